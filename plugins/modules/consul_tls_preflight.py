#!/usr/bin/python
# Copyright: consulsec.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: consul_tls_preflight
short_description: Judge the whole cluster's TLS material before the first restart
version_added: 0.2.0
description:
  - Takes every agent's TLS material as M(consulsec.hardening.consul_tls_material_info)
    read it and fails, before anything changes, if a roll would break on it. Per agent,
    the certificate must be signed by a CA in that agent's CA file, its key must belong to
    it, it must be valid now and for O(min_days_left) more days, and it must name what
    Consul checks (C(server.<datacenter>.<domain>) on servers, C(client.<...>) on clients,
    and the names and addresses given). Across the cluster, every agent's CA file must hold
    the CA of every other agent's certificate.
  - Each problem names the agent, the file and the fix.
author:
  - consulsec.hardening developers (@consulsec)
requirements:
  - cryptography
extends_documentation_fragment:
  - consulsec.hardening.attributes.READ_ONLY
options:
  agents:
    description:
      - Agent name to its material (RV(consulsec.hardening.consul_tls_material_info#module:material))
        plus C(role) (server or client) and optionally C(dns_names) and C(ip_addresses)
        its certificate must also carry.
      - C(auto_encrypt=true) marks a client that gets its certificate from the servers;
        only its CA file is judged.
    type: dict
    required: true
  datacenter:
    description: The datacenter the certificates are for.
    type: str
    default: dc1
  domain:
    description: Consul's domain.
    type: str
    default: consul
  min_days_left:
    description: A certificate valid for fewer days than this fails the check.
    type: int
    default: 7
"""

EXAMPLES = r"""
- name: Judge the cluster's TLS material before the roll
  consulsec.hardening.consul_tls_preflight:
    agents: "{{ dict(ansible_play_hosts | zip(ansible_play_hosts | map('extract', hostvars, ['tls_material', 'material']))) }}"
    datacenter: dc1
  run_once: true
"""

RETURN = r"""
problems:
  description: Every problem found (agent, file, code, problem, fix); empty when the
    material is sound.
  returned: always
  type: list
  elements: dict
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.consulsec.hardening.plugins.module_utils import _tls as tls
from ansible_collections.consulsec.hardening.plugins.module_utils._errors import ConsulInputError
from ansible_collections.consulsec.hardening.plugins.module_utils._module import require_library


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "agents": {"type": "dict", "required": True},
            "datacenter": {"type": "str", "default": "dc1"},
            "domain": {"type": "str", "default": "consul"},
            "min_days_left": {"type": "int", "default": 7},
        },
        supports_check_mode=True,
    )
    require_library(module, tls.CRYPTOGRAPHY_IMPORT_ERROR, "cryptography")
    agents = module.params["agents"]
    for name, material in agents.items():
        if not isinstance(material, dict) or material.get("role") not in tls.ROLES:
            module.fail_json(msg=f"agents.{name}: give its material and role (server or client)")
    try:
        problems = tls.preflight(agents, module.params["datacenter"], module.params["domain"],
                                 module.params["min_days_left"])
    except ConsulInputError as exc:
        module.fail_json(msg=str(exc), problems=[])
    if problems:
        lines = [f"{p['agent']}: {p['file']}: {p['problem']} (fix: {p['fix']})" for p in problems]
        module.fail_json(msg=f"the TLS material would break the roll; nothing was changed. "
                             f"{len(problems)} problem(s): " + " | ".join(lines),
                         problems=problems)
    module.exit_json(changed=False, problems=[])


if __name__ == "__main__":
    main()
