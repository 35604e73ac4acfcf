#!/usr/bin/python
# Copyright: consulsec.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: consul_agent_token
short_description: Set one of a Consul agent's own ACL tokens through its API
version_added: 0.3.0
description:
  - Sets the agent's C(agent), C(default), C(agent_master) or C(replication) token
    through C(PUT /v1/agent/token/<type>), with no restart. With
    C(acl.enable_token_persistence) the agent keeps it in C(acl-tokens.json) in its data
    dir across restarts.
  - With O(data_dir) (run on the agent's host), the token the agent persisted is compared
    first and nothing is sent when it is the same, so a re-run changes nothing. Without
    it the token is always sent (V(changed=true)).
  - Setting a token needs C(agent:write) on that agent. The agent recovery token
    (O(agent_recovery_token)) has it even while the servers cannot resolve tokens.
  - The token never appears in the result or the logs.
author:
  - consulsec.hardening developers (@consulsec)
extends_documentation_fragment:
  - consulsec.hardening.connection
attributes:
  check_mode:
    support: full
    description: Reports whether it would set the token; sends nothing.
  diff_mode:
    support: none
    description: Tokens never go into a diff.
  idempotent:
    support: partial
    description: Idempotent with O(data_dir) (the agent's persisted tokens are compared).
options:
  token_type:
    description: Which of the agent's tokens to set (C(agent_recovery) is C(agent_master)).
    type: str
    choices: [agent, default, agent_master, agent_recovery, replication]
    required: true
  value:
    description: The token's SecretID.
    type: str
    required: true
  data_dir:
    description:
      - The agent's data dir, to read the tokens it persisted (C(acl-tokens.json)). The
        module must then run on the agent's host with the rights to read it.
    type: path
"""

EXAMPLES = r"""
- name: Give the agent its own token (node identity), kept across restarts
  consulsec.hardening.consul_agent_token:
    token_type: agent
    value: "{{ agent_token_secret }}"
    data_dir: /opt/consul
    agent_recovery_token: "{{ recovery_token }}"
"""

RETURN = r"""
persisted:
  description: Whether the agent's data dir holds the token now (V(null) without
    O(data_dir) or in check mode).
  returned: success
  type: bool
"""

import json
import os

from ansible_collections.consulsec.hardening.plugins.module_utils._acl import check_uuid
from ansible_collections.consulsec.hardening.plugins.module_utils._errors import ConsulInputError
from ansible_collections.consulsec.hardening.plugins.module_utils._files import read_optional
from ansible_collections.consulsec.hardening.plugins.module_utils._module import ConsulModule

PERSISTED = "acl-tokens.json"


def persisted(data_dir: str | None, token_type: str) -> str | None:
    """The token of ``token_type`` the agent persisted, or None."""
    if not data_dir:
        return None
    data = read_optional(os.path.join(data_dir, PERSISTED))
    if data is None:
        return None
    try:
        tokens = json.loads(data)
    except ValueError:
        raise ConsulInputError(f"{os.path.join(data_dir, PERSISTED)} is not JSON") from None
    return tokens.get(token_type) if isinstance(tokens, dict) else None


def run(module: ConsulModule) -> dict:
    params = module.params
    token_type = "agent_master" if params["token_type"] == "agent_recovery" else params["token_type"]
    value = check_uuid(params["value"], "value")
    if params["data_dir"] and persisted(params["data_dir"], token_type) == value:
        return {"changed": False, "persisted": True}
    if module.check_mode:
        return {"changed": True, "persisted": None}
    client = module.client()
    client.request("put", f"/v1/agent/token/{token_type}", data={"Token": value})
    return {"changed": True,
            "persisted": persisted(params["data_dir"], token_type) == value if params["data_dir"] else None}


def main() -> None:
    module = ConsulModule(
        argument_spec={
            "token_type": {"type": "str", "required": True,
                           "choices": ["agent", "default", "agent_master", "agent_recovery", "replication"]},
            "value": {"type": "str", "required": True, "no_log": True},
            "data_dir": {"type": "path"},
        },
        supports_check_mode=True,
    )
    module.run(run)


if __name__ == "__main__":
    main()
