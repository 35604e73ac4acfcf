#!/usr/bin/python
# Copyright: consulsec.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: consul_agent_info
short_description: The running state of one Consul agent, normalized
version_added: 0.1.0
description:
  - Asks one Consul agent for its identity, its view of the cluster (LAN members, leader)
    and its B(effective) security state, that is what the running agent reports, not
    what a config file says.
  - Gossip encryption comes from the LAN pool's C(encrypted) statistic; the verify flags,
    TLS, HTTPS, ACL, script check and remote exec settings from the agent's running
    configuration (C(DebugConfig) of C(/v1/agent/self)).
  - Optionally adds autopilot health, the Raft configuration and a keyring summary (key
    fingerprints and node counts, never key material).
  - Read-only.
author:
  - consulsec.hardening developers (@consulsec)
extends_documentation_fragment:
  - consulsec.hardening.connection
  - consulsec.hardening.attributes
  - consulsec.hardening.attributes.READ_ONLY
options:
  gather:
    description:
      - Optional parts to add to the record.
      - C(autopilot) is the servers' health as the leader sees it (answered through any
        agent). C(raft) is the leader's Raft configuration. C(keyring) lists the gossip
        keys per pool; it is only gathered on servers, and on a cluster without gossip
        encryption it is an error kept in RV(agent.errors). C(serf_health) is the servers'
        view of every member (each node's C(serfHealth) check status in the catalog).
        C(connect_roots) are the Connect CA's root certificates (public), which sign the
        HTTPS certificate of a client agent with C(auto_encrypt). C(services) are the
        services registered on this agent (those the token may read). C(catalog_sync)
        compares what the agent holds with what the catalog holds of its node (its
        anti-entropy works with its tokens); it needs a token that may read the agent,
        its node and its services. C(intentions) are the service mesh's intentions.
      - An error in an optional part does not fail the module; it is reported in
        RV(agent.errors) and the part is V(null).
    type: list
    elements: str
    choices: [autopilot, raft, keyring, serf_health, connect_roots, services, catalog_sync, intentions]
    default: [autopilot, raft]
  paths:
    description:
      - Paths that must exist on the agent's host (its binary, its configuration and data
        directories), looked at before the agent is asked. A missing one fails the module,
        naming each missing path, and the agent is not asked.
      - Role C(consulsec.hardening.consul) looks at its paths this way, once per host and
        run, in the same module run as its read of the agent.
    type: list
    elements: path
    default: []
    version_added: 0.2.0
notes:
  - Tested against real Consul 1.8.7 agents. The parser also reads the newer nested
    C(TLS) layout of C(DebugConfig) (Consul 1.12 and later), checked by unit tests only.
"""

EXAMPLES = r"""
- name: Read the state of the local agent
  consulsec.hardening.consul_agent_info:
  register: consul_state

- name: Show whether gossip is encrypted
  ansible.builtin.debug:
    msg: "{{ consul_state.agent.name }} encrypts gossip: {{ consul_state.agent.security.gossip_encrypted }}"

- name: Ask an agent over HTTPS with a client certificate, and include the keyring summary
  consulsec.hardening.consul_agent_info:
    http_addr: https://127.0.0.1:8501
    cacert: /etc/consul.d/tls/consul-agent-ca.pem
    client_cert: /etc/consul.d/tls/client.pem
    client_key: /etc/consul.d/tls/client-key.pem
    tls_server_name: server.dc1.consul
    gather: [autopilot, raft, keyring]
"""

RETURN = r"""
agent:
  description: One normalized record of the agent.
  returned: success
  type: dict
  contains:
    name:
      description: Node name.
      type: str
      sample: server1
    datacenter:
      description: Datacenter of the agent.
      type: str
      sample: dc1
    server:
      description: Whether the agent is a server.
      type: bool
    version:
      description: Consul version the agent runs.
      type: str
      sample: 1.8.7
    address:
      description: The agent's LAN gossip address.
      type: str
    api_address:
      description: The API address this module talked to.
      type: str
      sample: http://127.0.0.1:8500
    is_leader:
      description: Whether this agent is the Raft leader.
      type: bool
    leader:
      description: The leader this agent sees (C(known), C(address), C(name), C(is_self)).
      type: dict
    members:
      description: LAN members with C(name), C(address), C(status) (alive, leaving, left,
        failed), C(server), C(use_tls), C(version), C(acl_mode) (disabled, legacy, enabled,
        unknown).
      type: list
      elements: dict
    member_counts:
      description: Number of LAN members per status.
      type: dict
      sample: {alive: 5}
    security:
      description:
        - The effective security state. Among others C(gossip_encrypted),
          C(encrypt_verify_incoming), C(encrypt_verify_outgoing), C(tls_verify_incoming),
          C(tls_verify_outgoing), C(tls_verify_server_hostname), C(https_port),
          C(auto_encrypt_tls), C(auto_encrypt_allow_tls), C(connect_enabled),
          C(acl_enabled), C(acl_default_policy), C(enable_script_checks),
          C(enable_local_script_checks), C(disable_remote_exec).
        - A key is V(null) when this Consul version does not report it.
      type: dict
    autopilot:
      description: Autopilot health (C(healthy), C(failure_tolerance), C(voters),
        C(leader), C(unhealthy_servers), C(servers)); V(null) when not gathered.
      type: dict
    raft:
      description: The leader's Raft configuration (C(leader), C(voters), C(peers)).
      type: dict
    serf_health:
      description: Node name to the status of its C(serfHealth) check in the catalog
        (C(passing) while the servers hold the node alive); V(null) when not gathered.
      type: dict
    connect_roots:
      description: The Connect CA's roots, each with C(id), C(name), C(active), C(pem) and
        C(not_after); V(null) when not gathered.
      type: list
      elements: dict
    services:
      description: The services registered on this agent, each with C(id) and C(name);
        V(null) when not gathered.
      type: list
      elements: dict
    intentions:
      description: The intentions, each with C(source), C(destination) and C(action);
        V(null) when not gathered.
      type: list
      elements: dict
    catalog_sync:
      description: >-
        Whether the catalog holds what the agent holds (C(in_sync)), and if not each
        C(differences) (node information, a service or a check missing, a check status
        not synced, C(consul.acl.blocked.*) counters in the agent's last metrics
        interval), with the numbers of local C(services) and C(checks); V(null) when not
        gathered.
      type: dict
    keyring:
      description: Per pool (lan, wan) the key fingerprints with node counts, and whether
        every node has every key with one primary (C(consistent)). Never key material.
      type: list
      elements: dict
    errors:
      description: Optional parts that could not be gathered, with the reason.
      type: dict
"""

import os

from ansible_collections.consulsec.hardening.plugins.module_utils._agent_info import (
    GATHER_CHOICES,
    gather_agent,
)
from ansible_collections.consulsec.hardening.plugins.module_utils._errors import ConsulInputError
from ansible_collections.consulsec.hardening.plugins.module_utils._module import ConsulModule


def run(module: ConsulModule) -> dict:
    missing = [path for path in module.params["paths"] if not os.path.exists(path)]
    if missing:
        raise ConsulInputError(
            f"{', '.join(missing)} not found on the host; give the paths this host's agent uses "
            "(role consulsec.hardening.consul: consul_binary, consul_config_dir and consul_data_dir "
            "for this host in the inventory)")
    return {"changed": False, "agent": gather_agent(module.client(), module.params["gather"])}


def main() -> None:
    module = ConsulModule(
        argument_spec={
            "gather": {"type": "list", "elements": "str", "choices": list(GATHER_CHOICES),
                       "default": ["autopilot", "raft"]},
            "paths": {"type": "list", "elements": "path", "default": []},
        },
        supports_check_mode=True,
    )
    module.run(run)


if __name__ == "__main__":
    main()
