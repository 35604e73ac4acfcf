# Copyright: consulsec.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter client_batch: how many clients restart together, from a count or a percentage."""

from __future__ import annotations

from typing import Any

from ansible.errors import AnsibleFilterError

from ansible_collections.consulsec.hardening.plugins.module_utils._errors import ConsulInputError
from ansible_collections.consulsec.hardening.plugins.module_utils._rolling import client_batch as count


def client_batch(size: Any, clients: int, variable: str = "client_batch_size") -> int:
    try:
        return count(size, int(clients), variable)
    except ConsulInputError as exc:
        raise AnsibleFilterError(f"{exc}. Nothing was changed.") from None


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {"client_batch": client_batch}
