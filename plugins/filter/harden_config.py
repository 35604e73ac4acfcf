# Copyright: consulsec.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter consul_harden_config: the hardening switches as fragments and expected states."""

from __future__ import annotations

from typing import Any

from ansible.errors import AnsibleFilterError

from ansible_collections.consulsec.hardening.plugins.module_utils._errors import ConsulInputError
from ansible_collections.consulsec.hardening.plugins.module_utils._harden import render


def consul_harden_config(settings: dict[str, Any]) -> dict[str, Any]:
    if not isinstance(settings, dict):
        raise AnsibleFilterError(f"consul_harden_config expects a dict of settings, got {type(settings).__name__}")
    try:
        return render(settings)
    except ConsulInputError as exc:
        raise AnsibleFilterError(f"consul_harden_config: {exc}") from None


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {"consul_harden_config": consul_harden_config}
