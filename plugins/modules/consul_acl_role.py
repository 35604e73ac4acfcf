#!/usr/bin/python
# Copyright: consulsec.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: consul_acl_role
short_description: Create, update or remove a Consul ACL role by name
version_added: 0.3.0
description:
  - Keeps one ACL role, found by its name, with the given policies, node and service
    identities and description. Tokens link a role by name
    (M(consulsec.hardening.consul_acl_token)'s O(consulsec.hardening.consul_acl_token#module:roles)),
    so a set of rights is kept in one place for many tokens.
  - The token used must work, and is checked first. Consul 1.8.7 answers "ACL not found"
    both for an unknown token and for a role that does not exist.
author:
  - consulsec.hardening developers (@consulsec)
extends_documentation_fragment:
  - consulsec.hardening.connection
  - consulsec.hardening.acl_links
  - consulsec.hardening.attributes.KEEPS_OBJECT
options:
  name:
    description: The role's name (letters, digits, C(-) and C(_)).
    type: str
    required: true
  description:
    description: The role's description.
    type: str
    default: ""
  state:
    description: Whether the role exists.
    type: str
    choices: [present, absent]
    default: present
"""

EXAMPLES = r"""
- name: One role for the web service's instances, linked by their tokens
  consulsec.hardening.consul_acl_role:
    name: web
    description: web instances
    policies: [kv-web-read]
    service_identities:
      - service_name: web
    token: "{{ management_token }}"
  no_log: true
"""

RETURN = r"""
role:
  description: The role as it is now (C(id), C(name), C(description), C(policies),
    C(node_identities), C(service_identities)); V(null) when absent.
  returned: success
  type: dict
changes:
  description: The fields that changed.
  returned: success
  type: list
  elements: str
"""

from ansible_collections.consulsec.hardening.plugins.module_utils._acl import (
    LINK_OPTIONS,
    role_body,
    role_changes,
    role_summary,
)
from ansible_collections.consulsec.hardening.plugins.module_utils._acl_api import (
    check_name,
    read_role,
    require_working_token,
    writers_by_id,
)
from ansible_collections.consulsec.hardening.plugins.module_utils._keep import keep, module_result
from ansible_collections.consulsec.hardening.plugins.module_utils._module import ConsulModule


def run(module: ConsulModule) -> dict:
    params = module.params
    name = check_name(params["name"], "role name")
    wanted = None
    if params["state"] == "present":
        wanted = role_body(name, params["description"], params["policies"],
                           params["node_identities"], params["service_identities"])
    client = module.client()
    require_working_token(client)

    write, remove = writers_by_id(client, "/v1/acl/role")
    kept = keep(read_role(client, name), wanted, module.check_mode, role_summary, role_changes, write, remove)
    return module_result(kept, "role")


def main() -> None:
    module = ConsulModule(
        argument_spec={
            "name": {"type": "str", "required": True},
            "description": {"type": "str", "default": ""},
            **LINK_OPTIONS,
            "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
        },
        supports_check_mode=True,
    )
    module.run(run)


if __name__ == "__main__":
    main()
