# Copyright: consulsec.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Writing files that may hold secrets: never readable by others, not even for a moment.

Private module_utils: may change in any release.
"""

from __future__ import annotations

import os
import tempfile

from ._errors import ConsulInputError


def read_optional(path: str) -> bytes | None:
    """The file's bytes, or None when it does not exist."""
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except FileNotFoundError:
        return None


def write_atomic(path: str, data: bytes, mode: int) -> None:
    """Write ``data`` to ``path`` through a temporary file created with ``mode`` in the
    same directory, then rename it over: readers see the old or the new file, whole."""
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise ConsulInputError(f"the directory of {path} does not exist")
    descriptor, temporary = tempfile.mkstemp(dir=directory, prefix=".consulsec-")
    try:
        os.fchmod(descriptor, mode)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


def create_exclusive(path: str, data: bytes, mode: int = 0o600) -> None:
    """Create ``path`` with ``mode``, failing if it exists: a kept secret is never replaced."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)
