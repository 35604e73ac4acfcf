#!/usr/bin/python
# Copyright: consulsec.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: consul_acl_token
short_description: Create, update or remove a Consul ACL token with IDs the caller chooses
version_added: 0.3.0
description:
  - Keeps one ACL token, found by the AccessorID the caller chose (O(accessor_id)), with
    the given policies, roles, node and service identities, description and locality. A
    re-run finds the same token and mints no new one.
  - The SecretID can be chosen too (O(secret_id), e.g. generated once and kept in a
    vault); Consul cannot change a token's SecretID, so a token found with another secret
    is an error (remove it first to re-key it).
  - The SecretID never appears in the result, the diff or the logs.
author:
  - consulsec.hardening developers (@consulsec)
extends_documentation_fragment:
  - consulsec.hardening.connection
  - consulsec.hardening.acl_links
  - consulsec.hardening.attributes.KEEPS_OBJECT
options:
  accessor_id:
    description: The token's AccessorID, a UUID the caller chooses and keeps.
    type: str
    required: true
  secret_id:
    description:
      - The token's SecretID (a UUID). Without it, Consul chooses one when it creates the
        token, and it can only be read back with a token that may read ACLs.
    type: str
  description:
    description: The token's description.
    type: str
    default: ""
  roles:
    description: Names of the roles linked to the token.
    type: list
    elements: str
    default: []
  local:
    description: A token local to this datacenter.
    type: bool
    default: false
  state:
    description: Whether the token exists.
    type: str
    choices: [present, absent]
    default: present
"""

EXAMPLES = r"""
- name: The agent token of node client1 (node identity)
  consulsec.hardening.consul_acl_token:
    accessor_id: "{{ agent_token_accessor }}"
    secret_id: "{{ agent_token_secret }}"
    description: agent token of client1
    node_identities:
      - node_name: client1
        datacenter: dc1
    token: "{{ management_token }}"
  no_log: true
"""

RETURN = r"""
acl_token:
  description: The token as it is now, without its secret (C(accessor_id), C(description),
    C(policies), C(roles), C(node_identities), C(service_identities), C(local)); V(null)
    when absent.
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
    token_body,
    token_changes,
    token_summary,
)
from ansible_collections.consulsec.hardening.plugins.module_utils._acl_api import (
    read_token,
    require_working_token,
)
from ansible_collections.consulsec.hardening.plugins.module_utils._keep import keep, module_result
from ansible_collections.consulsec.hardening.plugins.module_utils._module import ConsulModule


def run(module: ConsulModule) -> dict:
    params = module.params
    wanted = token_body(params["accessor_id"], params["secret_id"], params["description"],
                        params["policies"], params["roles"], params["node_identities"],
                        params["service_identities"], params["local"])
    client = module.client()
    require_working_token(client)
    endpoint = f"/v1/acl/token/{wanted['AccessorID']}"

    def write(present, body):
        return client.request("put", endpoint if present else "/v1/acl/token", data=body)[1]

    kept = keep(read_token(client, wanted["AccessorID"]), wanted if params["state"] == "present" else None,
                module.check_mode, token_summary, token_changes, write,
                lambda _present: client.request("delete", endpoint))
    return module_result(kept, "acl_token")


def main() -> None:
    module = ConsulModule(
        argument_spec={
            "accessor_id": {"type": "str", "required": True},
            "secret_id": {"type": "str", "no_log": True},
            "description": {"type": "str", "default": ""},
            **LINK_OPTIONS,
            "roles": {"type": "list", "elements": "str", "default": []},
            "local": {"type": "bool", "default": False},
            "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
        },
        supports_check_mode=True,
    )
    module.run(run)


if __name__ == "__main__":
    main()
