# Copyright: consulsec.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Writing files that may hold secrets: never readable by others, not even for a moment.

Private module_utils: may change in any release.
"""

from __future__ import annotations

import os
import tempfile
from typing import Any

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


def file_mode(text: str) -> int:
    """A file mode given as octal digits in a string ("0640"), refused otherwise."""
    try:
        return int(text, 8)
    except ValueError:
        raise ConsulInputError(f"mode {text!r} is not a file mode in octal digits, e.g. 0640") from None


def put_files(module: Any, params: dict[str, Any], check_mode: bool) -> dict[str, Any]:
    """Make ``params["directories"]`` and put ``params["files"]`` in place (consul_files'
    options), each written only when its contents differ and then given its owner, group
    and mode; ``module`` is the AnsibleModule that sets those. The contents are never
    returned."""
    owner, group = params.get("owner"), params.get("group")
    directory_mode = file_mode(params["directory_mode"])
    files = params.get("files") or []
    for entry in files:
        file_mode(entry["mode"])  # refused before anything changes
    changed: list[str] = []
    written: list[str] = []

    def attributes(path: str, mode: str) -> None:
        # a path not made yet (check mode) has none: its making says it all
        file_args = module.load_file_common_arguments({"path": path, "owner": owner, "group": group, "mode": mode})
        if os.path.exists(path) and module.set_fs_attributes_if_different(file_args, False) and path not in changed:
            changed.append(path)

    for directory in params.get("directories") or []:
        if not os.path.isdir(directory):
            if os.path.exists(directory):
                raise ConsulInputError(f"{directory} exists and is not a directory")
            changed.append(directory)
            if not check_mode:
                os.makedirs(directory, directory_mode)
        attributes(directory, params["directory_mode"])
    for entry in files:
        path, data = entry["path"], entry["content"].encode()
        if read_optional(path) != data:
            written.append(path)
            changed.append(path)
            if not check_mode:
                write_atomic(path, data, file_mode(entry["mode"]))
        attributes(path, entry["mode"])
    return {"changed": bool(changed), "changed_paths": changed, "written": written}
