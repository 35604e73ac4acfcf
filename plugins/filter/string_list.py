# Copyright: consulsec.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter string_list: a list of strings, from a list or a comma-separated string."""

from __future__ import annotations

from typing import Any

from ansible.errors import AnsibleFilterError

from ansible_collections.consulsec.hardening.plugins.module_utils._errors import ConsulInputError
from ansible_collections.consulsec.hardening.plugins.module_utils._survey import string_list as as_list


def string_list(value: Any, variable: str = "the list") -> list[str]:
    try:
        return as_list(value, variable)
    except ConsulInputError as exc:
        raise AnsibleFilterError(f"{exc}. Nothing was changed.") from None


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {"string_list": string_list}
