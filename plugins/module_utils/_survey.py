# Copyright: consulsec.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Role variables as an AWX survey or ``-e name=value`` gives them: strings.

Private module_utils: may change in any release.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ._errors import ConsulInputError


def string_list(value: Any, variable: str = "the list") -> list[str]:
    """A role's list variable as the role reads it. A survey's text answer gives a string,
    which a role's argument spec check accepts (it splits it for its own check) but leaves
    a string: split it the same way here, each item stripped, empty ones dropped. A number
    is one item; None or "" no item; a list stays as it is."""
    if value is None:
        return []
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        return [item.strip() for item in str(value).split(",") if item.strip()]
    if isinstance(value, (list, tuple)) and not any(isinstance(i, (Mapping, list, tuple)) for i in value):
        return [str(item) for item in value]
    raise ConsulInputError(f"{variable} must be a list of strings or a comma-separated string, "
                           f"not {type(value).__name__} {value!r}")
