# Copyright: consulsec.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter tls_stages: the TLS migration's stages on one agent."""

from __future__ import annotations

from typing import Any

from ansible.errors import AnsibleFilterError

from ansible_collections.consulsec.hardening.plugins.module_utils._errors import ConsulInputError
from ansible_collections.consulsec.hardening.plugins.module_utils._tls_config import render
from ansible_collections.consulsec.hardening.plugins.module_utils._tls_stages import tls_stages as stages


def tls_stages(files: dict[str, str], role: str, https_port: int, version: str = "",
               auto_encrypt: bool = False, http: str = "closed", http_loopback_address: str = "127.0.0.1",
               http_port: int = 8500, dns_names: list[str] | None = None,
               ip_addresses: list[str] | None = None) -> list[dict[str, Any]]:
    try:
        found = stages(role, dict(files), int(https_port), bool(auto_encrypt), http,
                       http_loopback_address, int(http_port), dns_names, ip_addresses)
        return [{"name": stage["name"], "content": render(stage["settings"], version),
                 "expect": stage["expect"]} for stage in found]
    except (ConsulInputError, KeyError, TypeError, ValueError) as exc:
        raise AnsibleFilterError(f"tls_stages: {exc}") from None


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {"tls_stages": tls_stages}
