#!/usr/bin/python
# Copyright: consulsec.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: consul_audit
short_description: Judge one Consul agent's running state against Consul's security model
version_added: 0.4.0
description:
  - Reads one agent's running state (C(/v1/agent/self), as
    M(consulsec.hardening.consul_agent_info) reports it) and judges it by every control of
    the collection's registry that applies to the agent. Each control comes from the
    security model's requirements and recommendations (mTLS, ACLs, gossip encryption,
    script checks, remote exec, plain HTTP beyond loopback, TLS version, response headers,
    HTTP write CIDRs, RPC limits), the gossip keyring and the mesh checklist's default-deny
    intention (both judged once, on the leader), and, given the directories, the modes of
    the agent's data and configuration directories and of its files with secrets, and the
    user its process runs as.
  - Response headers are judged as a reply of the agent actually carries them (header
    names only).
  - Each judgement is C(pass), C(fail), C(not_applicable) or C(unknown) (the agent does not
    report the setting), with the evidence seen and the fix (the role of this collection, or
    the Consul setting). Evidence never holds a secret.
  - Read-only. The play decides what to do with failures, e.g. with O(fail_on).
author:
  - consulsec.hardening developers (@consulsec)
extends_documentation_fragment:
  - consulsec.hardening.connection
  - consulsec.hardening.attributes
  - consulsec.hardening.attributes.READ_ONLY
options:
  config_dir:
    description:
      - The agent's configuration directory on this host. With O(data_dir), the host
        controls are judged (modes of the directories and of the files with secrets, read
        where the module runs; file contents are only searched for secret keys, never
        returned). Without them those controls are C(unknown).
    type: path
  data_dir:
    description: The agent's data directory on this host.
    type: path
  fail_on:
    description:
      - Fail when a control fails at this severity or a worse one. V(none) never fails.
    type: str
    choices: [critical, high, medium, low, none]
    default: none
notes:
  - The keyring (judged once, on the leader) needs C(keyring:read), the default-deny
    intention C(service:read) on the token; the observer token of role
    C(consulsec.hardening.acl) has both.
  - The agent's user is read from C(/proc) on the host (the C(consul agent) process that
    reads O(config_dir)), so the module must run on the agent's host with the right to read
    it (C(become)).
"""

EXAMPLES = r"""
- name: Audit every agent, failing on critical findings
  consulsec.hardening.consul_audit:
    fail_on: critical
  register: audit
"""

RETURN = r"""
results:
  description: One judgement per control, with C(id), C(title), C(source), C(severity),
    C(scope), C(agent), C(status), C(evidence), C(why) and C(fix).
  returned: success
  type: list
  elements: dict
summary:
  description: Counts C(by_status), C(failed_by_severity) and C(failed_by_agent).
  returned: success
  type: dict
"""

from ansible_collections.consulsec.hardening.plugins.module_utils._agent_info import ENDPOINTS, gather_agent
from ansible_collections.consulsec.hardening.plugins.module_utils._audit import (
    SEVERITIES,
    audit_agent,
    fails_at_or_above,
    summary,
)
from ansible_collections.consulsec.hardening.plugins.module_utils._host_facts import host_facts
from ansible_collections.consulsec.hardening.plugins.module_utils._module import ConsulModule


def run(module: ConsulModule) -> dict:
    client = module.client()
    agent = gather_agent(client, ["intentions", "keyring"])
    # the security headers of a reply as served, without values that could matter
    security = {h.lower() for h in agent["security"].get("http_response_headers") or {}}
    served = client.headers(ENDPOINTS["leader"])
    agent["served_headers"] = sorted(h for h in served if h.lower() in security or h.lower().startswith("x-"))
    if module.params["config_dir"] and module.params["data_dir"]:
        agent["host"] = host_facts(module.params["config_dir"], module.params["data_dir"])
    results = audit_agent(agent)
    outcome = {"changed": False, "results": results, "summary": summary(results)}
    if module.params["fail_on"] != "none":
        failed = fails_at_or_above(results, module.params["fail_on"])
        if failed:
            module.fail_json(
                msg=f"{len(failed)} control(s) failed at {module.params['fail_on']} or worse: "
                    + "; ".join(f"{r['id']} {r['title']} ({r['why']}; fix: {r['fix']})" for r in failed),
                **outcome)
    return outcome


def main() -> None:
    module = ConsulModule(
        argument_spec={
            "config_dir": {"type": "path"},
            "data_dir": {"type": "path"},
            "fail_on": {"type": "str", "choices": [*SEVERITIES, "none"], "default": "none"},
        },
        supports_check_mode=True,
    )
    module.run(run)


if __name__ == "__main__":
    main()
