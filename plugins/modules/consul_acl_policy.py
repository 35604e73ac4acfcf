#!/usr/bin/python
# Copyright: consulsec.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: consul_acl_policy
short_description: Create, update or remove a Consul ACL policy by name
version_added: 0.3.0
description:
  - Keeps one ACL policy, found by its name, as given (its rules in HCL or JSON text,
    description and datacenters). Rules are compared without trailing blanks.
  - The token used must work, and is checked first. Consul 1.8.7 answers "ACL not found"
    both for an unknown token and for a policy that does not exist.
author:
  - consulsec.hardening developers (@consulsec)
extends_documentation_fragment:
  - consulsec.hardening.connection
  - consulsec.hardening.attributes.KEEPS_OBJECT
options:
  name:
    description: The policy's name (letters, digits, C(-) and C(_)).
    type: str
    required: true
  rules:
    description: The policy's rules. Required with O(state=present).
    type: str
  description:
    description: The policy's description.
    type: str
    default: ""
  datacenters:
    description: Datacenters the policy applies in; empty for all.
    type: list
    elements: str
    default: []
  state:
    description: Whether the policy exists.
    type: str
    choices: [present, absent]
    default: present
"""

EXAMPLES = r"""
- name: Policy for DNS lookups by anonymous callers
  consulsec.hardening.consul_acl_policy:
    name: anonymous-dns
    rules: |
      node_prefix "" { policy = "read" }
      service_prefix "" { policy = "read" }
    token: "{{ management_token }}"
"""

RETURN = r"""
policy:
  description: The policy as it is now (C(id), C(name), C(description), C(rules),
    C(datacenters)); V(null) when absent.
  returned: success
  type: dict
changes:
  description: The fields that changed.
  returned: success
  type: list
  elements: str
"""

from ansible_collections.consulsec.hardening.plugins.module_utils._acl import policy_body, policy_changes
from ansible_collections.consulsec.hardening.plugins.module_utils._acl_api import (
    check_name,
    read_policy,
    require_working_token,
    writers_by_id,
)
from ansible_collections.consulsec.hardening.plugins.module_utils._errors import ConsulInputError
from ansible_collections.consulsec.hardening.plugins.module_utils._keep import keep, module_result
from ansible_collections.consulsec.hardening.plugins.module_utils._module import ConsulModule


def shown(policy: dict) -> dict:
    return {"id": policy.get("ID"), "name": policy.get("Name"), "description": policy.get("Description", ""),
            "rules": policy.get("Rules", ""), "datacenters": sorted(policy.get("Datacenters") or [])}


def run(module: ConsulModule) -> dict:
    params = module.params
    name = check_name(params["name"], "policy name")
    wanted = None
    if params["state"] == "present":
        if params["rules"] is None:
            raise ConsulInputError("rules is required with state=present")
        wanted = policy_body(name, params["rules"], params["description"], params["datacenters"])
    client = module.client()
    require_working_token(client)

    write, remove = writers_by_id(client, "/v1/acl/policy")
    kept = keep(read_policy(client, name), wanted, module.check_mode, shown, policy_changes, write, remove)
    return module_result(kept, "policy")


def main() -> None:
    module = ConsulModule(
        argument_spec={
            "name": {"type": "str", "required": True},
            "rules": {"type": "str"},
            "description": {"type": "str", "default": ""},
            "datacenters": {"type": "list", "elements": "str", "default": []},
            "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
        },
        supports_check_mode=True,
    )
    module.run(run)


if __name__ == "__main__":
    main()
