#!/usr/bin/python
# Copyright: consulsec.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: consul_wait
short_description: Wait until a Consul agent and its cluster are in the state asked for
version_added: 0.1.0
description:
  - Polls one agent until every stated condition has held for O(settle) seconds in a
    row, or fails after O(timeout) naming each condition not met and what it saw last.
  - The agent must answer in any case. Further conditions are only checked when given.
  - A single good poll is not enough. Right after a restart autopilot still reports the
    old, healthy state for about a second, and followers keep naming the old leader until
    an election is over. That is what O(settle) is for.
author:
  - consulsec.hardening developers (@consulsec)
extends_documentation_fragment:
  - consulsec.hardening.connection
  - consulsec.hardening.attributes
  - consulsec.hardening.attributes.READ_ONLY
attributes:
  check_mode:
    description: In check mode the module reports the current state of every condition
      once and waits for nothing.
options:
  members_alive:
    description:
      - Names of members that must be C(alive) in the agent's LAN pool.
    type: list
    elements: str
  cluster_members_alive:
    description:
      - Names of members that the servers hold alive (each node's C(serfHealth) check in
        the catalog, which the leader keeps from its own gossip pool, is C(passing)).
        Answered through any agent, so a restarted client can be judged on the servers'
        view instead of its own, which can stay stale for minutes after mass restarts.
    type: list
    elements: str
  min_alive_members:
    description:
      - At least this many LAN members must be C(alive).
    type: int
  leader:
    description:
      - V(true) requires a leader that the agent, the Raft configuration (the leader's own
        view) and autopilot all name alike. Autopilot calls a server healthy only when it
        follows the leader in the current term, so with O(autopilot_healthy) this means
        every server agrees on the leader.
      - V(false) requires that the agent knows no leader (to confirm an outage in tests).
    type: bool
  autopilot_healthy:
    description:
      - Whether autopilot must report the servers healthy (V(true)) or unhealthy.
    type: bool
  min_failure_tolerance:
    description:
      - Autopilot's failure tolerance must be at least this.
    type: int
  voters:
    description:
      - Exactly this many Raft voters. Autopilot removes a dead server from Raft within
        seconds and then reports the smaller cluster healthy; this catches that.
    type: int
  security:
    description:
      - Expected values of the agent's effective security state, by the keys of
        RV(consulsec.hardening.consul_agent_info#module:agent.security).
      - "For example C({gossip_encrypted: true, encrypt_verify_incoming: false})."
      - Unknown keys are refused before any waiting.
    type: dict
  acl_mode:
    description:
      - Every alive member in the agent's LAN view gossips this ACL mode.
      - An agent with ACLs enabled starts in V(legacy) mode and leaves it only once every
        server has ACLs enabled, each agent on its own timer that backs off to about 30
        seconds (measured on Consul 1.8.7, 1.5 to 12 seconds after the last server's
        restart on idle loopback agents, longer under load). Until then the agent refuses
        every ACL endpoint (C(The ACL system is currently in legacy mode.)), so wait for
        V(enabled) after rolling ACLs on and before bootstrapping or writing tokens.
    type: str
    choices: [disabled, legacy, enabled]
  catalog_in_sync:
    description:
      - V(true) requires the catalog to hold what the agent holds, i.e. its anti-entropy
        works with its tokens. Its node information (tagged addresses and meta, which only
        the agent's own sync writes), every service and check registered on it (checks with
        the same status), and no C(consul.acl.blocked.*) counter in the agent's last metrics
        interval. See RV(consulsec.hardening.consul_agent_info#module:agent.catalog_sync).
      - A write refused by ACLs ends the wait at once, failed. It is an event, not a state
        to wait out. The agent tries again only at its next full sync (about a minute
        later), the counter shows for one 10-second metrics interval, and the catalog keeps
        the object when the node did not leave it.
      - The token (O(token)) must be allowed to read the agent, its node and its services;
        the agent recovery token may read no service.
      - V(false) asks for nothing.
    type: bool
  timeout:
    description:
      - Seconds to wait in all before failing.
    type: float
    default: 300
  poll_interval:
    description:
      - Seconds between two polls.
    type: float
    default: 1
  settle:
    description:
      - Seconds every condition must hold without interruption before the wait succeeds.
    type: float
    default: 5
notes:
  - O(members_alive) is judged from the view of the agent asked. After mass restarts a
    client can keep a stale view of another client for minutes; use
    O(cluster_members_alive) for the cluster's membership, and O(members_alive) for what
    the agent itself must see (itself and the servers).
"""

EXAMPLES = r"""
- name: Wait until the restarted agent is back and the cluster is whole
  consulsec.hardening.consul_wait:
    members_alive: "{{ groups['consul_servers'] + groups['consul_clients'] }}"
    leader: true
    autopilot_healthy: true
    min_failure_tolerance: 1
    voters: 3
    security:
      gossip_encrypted: true
      encrypt_verify_incoming: false
      encrypt_verify_outgoing: false
    timeout: 120

- name: Only check, do not wait (as in check mode)
  consulsec.hardening.consul_wait:
    leader: true
    timeout: 0
    settle: 0
  register: consul_now
  failed_when: false
"""

RETURN = r"""
met:
  description: Whether every condition held for the settle period.
  returned: always
  type: bool
elapsed:
  description: Seconds spent waiting.
  returned: always
  type: float
held:
  description: Seconds every condition had held when the wait ended (the settle period
    once met); RV(elapsed) minus RV(held) is when the conditions were first met for good.
  returned: always
  type: float
  version_added: 0.5.0
polls:
  description: Number of observations made.
  returned: always
  type: int
conditions:
  description: The last judgement of each condition with C(condition), C(met),
    C(expected) and C(seen); C(final) when waiting could not make it right.
  returned: always
  type: list
  elements: dict
history:
  description: Each change of the set of unmet conditions during the wait, with the time.
  returned: always
  type: list
  elements: str
agent:
  description: The last record of the agent, as RV(consulsec.hardening.consul_agent_info#module:agent)
    returns it; V(null) when it never answered.
  returned: always
  type: dict
"""

from ansible_collections.consulsec.hardening.plugins.module_utils._module import ConsulModule
from ansible_collections.consulsec.hardening.plugins.module_utils._wait import validate_conditions
from ansible_collections.consulsec.hardening.plugins.module_utils._wait_agent import (
    not_in_state,
    outcome_fields,
    wait_on_agent,
)


def run(module: ConsulModule) -> dict:
    params = module.params
    conditions = validate_conditions(params)
    client = module.client()
    if module.check_mode:
        timeout, settle = 0.0, 0.0
    else:
        timeout, settle = params["timeout"], params["settle"]
    outcome = wait_on_agent(client, conditions, timeout, params["poll_interval"], settle)
    result = {"changed": False, **outcome_fields(outcome)}
    if not outcome.met and not module.check_mode:
        module.fail_json(msg=not_in_state(client.address, outcome, settle), **result)
    return result


def main() -> None:
    module = ConsulModule(
        argument_spec={
            "members_alive": {"type": "list", "elements": "str"},
            "cluster_members_alive": {"type": "list", "elements": "str"},
            "min_alive_members": {"type": "int"},
            "leader": {"type": "bool"},
            "autopilot_healthy": {"type": "bool"},
            "min_failure_tolerance": {"type": "int"},
            "voters": {"type": "int"},
            "security": {"type": "dict"},
            "catalog_in_sync": {"type": "bool"},
            "acl_mode": {"type": "str", "choices": ["disabled", "legacy", "enabled"]},
            "timeout": {"type": "float", "default": 300.0},
            "poll_interval": {"type": "float", "default": 1.0},
            "settle": {"type": "float", "default": 5.0},
        },
        supports_check_mode=True,
    )
    module.run(run)


if __name__ == "__main__":
    main()
