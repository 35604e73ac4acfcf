# Copyright: consulsec.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter gossip_phases: the gossip encryption migration's phases with a key."""

from __future__ import annotations

from typing import Any

from ansible.errors import AnsibleFilterError

from ansible_collections.consulsec.hardening.plugins.module_utils._errors import ConsulInputError
from ansible_collections.consulsec.hardening.plugins.module_utils._gossip_phases import gossip_phases as phases


def gossip_phases(key: str) -> list[dict[str, Any]]:
    try:
        return phases(key)
    except ConsulInputError as exc:
        raise AnsibleFilterError(str(exc)) from None


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {"gossip_phases": gossip_phases}
