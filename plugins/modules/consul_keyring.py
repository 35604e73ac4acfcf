#!/usr/bin/python
# Copyright: consulsec.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: consul_keyring
short_description: Install, make primary or remove a gossip key on every node, and confirm it
version_added: 0.4.0
description:
  - Brings one gossip key to a state on every node of the cluster through the keyring
    (C(/v1/operator/keyring)), one keyring operation at a time, and reads the keyring back
    after each to confirm that every node reached it.
  - Before any change, every member the server knows (all but those that left, on LAN and
    WAN) must be alive and must have answered the keyring query. Consul counts only the
    nodes that answer, so a node that is down looks like no node at all; made primary
    without it, the new key locks it out of the cluster for good (measured on 1.8.7). The
    module stops instead and names the node. Bring it back, or remove it with
    C(consul force-leave), then run again.
  - Each keyring operation is a gossip query that every node must answer within the
    query's timeout (3.2 s on a small cluster). On a loaded machine a node can miss it
    (Consul answers HTTP 500, C(4/5 nodes reported success)); the module then sends the
    same operation again, up to 4 times 3 s apart, as it is safe to repeat on the nodes that
    already carried it out. When a node misses all of them the module stops and says so.
  - Run it against a server agent, with a token that has C(keyring:write) once ACLs are on.
  - No key is ever returned or logged; keys are named by their fingerprint.
author:
  - consulsec.hardening developers (@consulsec)
extends_documentation_fragment:
  - consulsec.hardening.connection
  - consulsec.hardening.attributes
attributes:
  check_mode:
    support: full
    description: Reads the keyring and reports the operations it would send; sends none.
  diff_mode:
    support: none
    description: Keys never go into a diff.
  idempotent:
    support: full
    description: A keyring already in the state is left alone.
options:
  key:
    description:
      - The gossip key (base64 of 16, 24 or 32 bytes, as C(consul keygen) prints it).
    type: str
    required: true
  state:
    description:
      - V(present) installs the key on every node.
      - V(primary) also makes it the key every node encrypts with.
      - V(only) also removes every other key, which ends a rotation.
      - V(absent) removes the key; refused while any node uses it as primary.
    type: str
    choices: [present, primary, only, absent]
    default: present
"""

EXAMPLES = r"""
- name: Rotate the gossip key, one confirmed step at a time
  consulsec.hardening.consul_keyring:
    key: "{{ new_gossip_key }}"
    state: "{{ item }}"
  loop: [present, primary, only]
  no_log: true
  when: inventory_hostname == groups['consul_servers'][0]
"""

RETURN = r"""
fingerprint:
  description: The key's fingerprint (C(sha256:) and 16 hex digits), never the key.
  returned: success
  type: str
actions:
  description: The keyring operations sent, in order (V(install), V(use),
    V(remove_others), V(remove)); in check mode, the ones that would be sent.
  returned: success
  type: list
  elements: str
keyring:
  description: Every pool after the run, as M(consulsec.hardening.consul_agent_info) returns
    C(keyring) (C(pool), C(datacenter), C(num_nodes), C(keys) with C(fingerprint),
    C(nodes) and C(primary_nodes), C(consistent)).
  returned: success
  type: list
  elements: dict
"""

import time
from typing import Any

from ansible_collections.consulsec.hardening.plugins.module_utils._agent_info import ENDPOINTS, read_keyring
from ansible_collections.consulsec.hardening.plugins.module_utils._agent_state import (
    key_fingerprint,
    parse_keyring,
    parse_members,
)
from ansible_collections.consulsec.hardening.plugins.module_utils._client import ConsulClient
from ansible_collections.consulsec.hardening.plugins.module_utils._errors import ConsulInputError
from ansible_collections.consulsec.hardening.plugins.module_utils._gossip_key import check_key
from ansible_collections.consulsec.hardening.plugins.module_utils._keyring import (
    actions,
    coverage_problems,
    keyring_call,
    pool_problems,
    primary_anywhere,
)
from ansible_collections.consulsec.hardening.plugins.module_utils._module import ConsulModule

KEYRING = ENDPOINTS["keyring"]
# the keyring operation of each action, and the state every node shows once it is done
OPERATIONS = {"install": ("post", "present"), "use": ("put", "primary"),
              "remove_others": ("delete", "only"), "remove": ("delete", "absent")}


class KeyringStopped(ConsulInputError):
    """The keyring is not in the state an operation should have left it in."""


def _whole_cluster(client: ConsulClient, pools: list[dict[str, Any]], datacenter: str | None,
                   when: str) -> None:
    lan = parse_members(client.get(ENDPOINTS["members"]))
    wan = parse_members(client.get(ENDPOINTS["members"], params={"wan": 1}))
    problems = coverage_problems(pools, datacenter, lan, wan)
    if problems:
        raise KeyringStopped(
            f"{when}: not every node answered the keyring: {'; '.join(problems)}. A node that "
            "misses a key change cannot rejoin once the key is primary. Start it again (or "
            "remove it for good with `consul force-leave`), then run again."
        )


def _send(client: ConsulClient, method: str, key: str) -> None:
    keyring_call(lambda: client.request(method, KEYRING, data={"Key": key}), time.sleep)


def _operation(client: ConsulClient, action: str, key: str, raw: list[dict[str, Any]]) -> None:
    method = OPERATIONS[action][0]
    if action == "remove_others":
        others = {k for pool in raw for k in (pool.get("Keys") or {}) if k != key}
        for other in sorted(others):
            _send(client, method, other)
    else:
        _send(client, method, key)


def run(module: ConsulModule) -> dict[str, Any]:
    state = module.params["state"]
    key = check_key(module.params["key"], "key")
    fingerprint = key_fingerprint(key)
    client = module.client()
    config = client.get(ENDPOINTS["self"]).get("Config") or {}
    if not config.get("Server"):
        raise ConsulInputError(f"{client.address} is a client agent ({config.get('NodeName')}): "
                               "run consul_keyring against a server")
    datacenter = config.get("Datacenter")
    raw = read_keyring(client) or []
    pools = parse_keyring(raw) or []
    todo = actions(pools, fingerprint, state)
    result: dict[str, Any] = {"changed": bool(todo), "fingerprint": fingerprint,
                              "actions": todo, "keyring": pools}
    if not todo:
        return result
    _whole_cluster(client, pools, datacenter, "Nothing was changed")
    if state == "absent" and primary_anywhere(pools, fingerprint):
        raise ConsulInputError(f"the key {fingerprint} is the primary key of some nodes: make "
                               "another key primary first (state=primary)")
    if module.check_mode:
        return result
    for action in todo:
        _operation(client, action, key, raw)
        raw = read_keyring(client) or []
        pools = parse_keyring(raw) or []
        problems = pool_problems(pools, fingerprint, OPERATIONS[action][1])
        if problems:
            raise KeyringStopped(f"after '{action}' the keyring is not {OPERATIONS[action][1]} "
                                 f"on every node: {'; '.join(problems)}")
        _whole_cluster(client, pools, datacenter, f"Stopped after '{action}'")
    result["keyring"] = pools
    return result


def main() -> None:
    module = ConsulModule(
        argument_spec={
            "key": {"type": "str", "required": True, "no_log": True},
            "state": {"type": "str", "choices": ["present", "primary", "only", "absent"],
                      "default": "present"},
        },
        supports_check_mode=True,
    )
    module.run(run)


if __name__ == "__main__":
    main()
