#!/usr/bin/python
# Copyright: consulsec.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: consul_intention
short_description: Keep one service mesh intention, including the default-deny C(* -> *)
version_added: 0.3.0
description:
  - Keeps the intention from O(source) to O(destination) (service names, C(*) for all)
    with the given action, description and meta, found by its source and destination.
  - The default deny (O(source=*), O(destination=*), O(action=deny)) is refused while the
    agent asked does not run ACLs with C(default_policy=deny), unless
    O(allow_without_acl_deny), because Consul's mesh checklist calls a default-deny intention
    meaningless while anyone may edit intentions.
author:
  - consulsec.hardening developers (@consulsec)
extends_documentation_fragment:
  - consulsec.hardening.connection
  - consulsec.hardening.attributes.KEEPS_OBJECT
options:
  source:
    description: The source service's name, or C(*).
    type: str
    required: true
  destination:
    description: The destination service's name, or C(*).
    type: str
    required: true
  action:
    description: Allow or deny. Required with O(state=present).
    type: str
    choices: [allow, deny]
  description:
    description: The intention's description.
    type: str
    default: ""
  meta:
    description: Meta data (string values).
    type: dict
    default: {}
  state:
    description: Whether the intention exists.
    type: str
    choices: [present, absent]
    default: present
  allow_without_acl_deny:
    description: Write the default deny even where ACLs do not deny by default.
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: Deny every connection not allowed explicitly
  consulsec.hardening.consul_intention:
    source: "*"
    destination: "*"
    action: deny
    description: default deny
    token: "{{ management_token }}"

- name: Let web talk to db
  consulsec.hardening.consul_intention:
    source: web
    destination: db
    action: allow
    token: "{{ management_token }}"
"""

RETURN = r"""
intention:
  description: The intention now (C(id), C(source), C(destination), C(action),
    C(description), C(meta)); V(null) when absent.
  returned: success
  type: dict
changes:
  description: The fields that changed.
  returned: success
  type: list
  elements: str
"""

from ansible_collections.consulsec.hardening.plugins.module_utils._acl import (
    default_deny_refusal,
    find_intention,
    intention_body,
    intention_changes,
)
from ansible_collections.consulsec.hardening.plugins.module_utils._agent_state import parse_security
from ansible_collections.consulsec.hardening.plugins.module_utils._errors import ConsulInputError
from ansible_collections.consulsec.hardening.plugins.module_utils._keep import keep, module_result
from ansible_collections.consulsec.hardening.plugins.module_utils._module import ConsulModule

INTENTIONS = "/v1/connect/intentions"


def shown(intention: dict) -> dict:
    return {"id": intention.get("ID"), "source": intention.get("SourceName"),
            "destination": intention.get("DestinationName"), "action": intention.get("Action"),
            "description": intention.get("Description", ""), "meta": intention.get("Meta") or {}}


def run(module: ConsulModule) -> dict:
    params = module.params
    client = module.client()
    present = find_intention(client.get(INTENTIONS), params["source"], params["destination"])
    wanted = None
    if params["state"] == "present":
        if not params["action"]:
            raise ConsulInputError("action is required with state=present")
        wanted = intention_body(params["source"], params["destination"], params["action"],
                                params["description"], params["meta"])
        default_deny = (params["source"], params["destination"], params["action"]) == ("*", "*", "deny")
        if default_deny and not params["allow_without_acl_deny"]:
            refusal = default_deny_refusal(parse_security(client.get("/v1/agent/self")))
            if refusal:
                raise ConsulInputError(refusal)

    def write(present, body):
        if present:
            client.request("put", f"{INTENTIONS}/{present['ID']}", data=dict(body, ID=present["ID"]))
            return dict(present, **body)
        return dict(body, ID=client.request("post", INTENTIONS, data=body)[1].get("ID"))

    kept = keep(present, wanted, module.check_mode, shown, intention_changes, write,
                lambda found: client.request("delete", f"{INTENTIONS}/{found['ID']}"))
    return module_result(kept, "intention")


def main() -> None:
    module = ConsulModule(
        argument_spec={
            "source": {"type": "str", "required": True},
            "destination": {"type": "str", "required": True},
            "action": {"type": "str", "choices": ["allow", "deny"]},
            "description": {"type": "str", "default": ""},
            "meta": {"type": "dict", "default": {}},
            "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
            "allow_without_acl_deny": {"type": "bool", "default": False},
        },
        supports_check_mode=True,
    )
    module.run(run)


if __name__ == "__main__":
    main()
