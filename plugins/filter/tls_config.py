# Copyright: consulsec.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter consul_tls_config: TLS settings rendered for the agent's Consul version."""

from __future__ import annotations

from typing import Any

from ansible.errors import AnsibleFilterError

from ansible_collections.consulsec.hardening.plugins.module_utils._errors import ConsulInputError
from ansible_collections.consulsec.hardening.plugins.module_utils._tls_config import render


def consul_tls_config(settings: dict[str, Any], version: str) -> dict[str, Any]:
    if not isinstance(settings, dict):
        raise AnsibleFilterError(f"consul_tls_config expects a dict of settings, got {type(settings).__name__}")
    try:
        return render(settings, version)
    except ConsulInputError as exc:
        raise AnsibleFilterError(f"consul_tls_config: {exc}") from None


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {"consul_tls_config": consul_tls_config}
