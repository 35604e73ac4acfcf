#!/usr/bin/python
# Copyright: consulsec.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: consul_rolling_plan
short_description: Decide which Consul agents restart in a migration phase, and in which order
version_added: 0.1.0
description:
  - The planner of the collection's rolling-restart engine (role
    C(consulsec.hardening.rolling_restart)). Pure computation, no I/O; run it on the
    controller.
  - Reads each agent's phase from its running security state (as
    M(consulsec.hardening.consul_agent_info) reports it) against the phases' declared
    expectations, and returns the agents that still need O(phase), in restart order.
    Clients go in batches, then servers one by one, followers first, the leader last.
  - A phase is blocked while any agent has not finished the phase before, and a phase
    with work while the cluster has alive members that are not hosts of the play (unless
    O(allow_members_outside)), since a migration that rolled around them would leave them
    behind.
author:
  - consulsec.hardening developers (@consulsec)
attributes:
  check_mode:
    support: full
    description: Computes only.
  diff_mode:
    support: none
    description: Computes only.
  idempotent:
    support: full
    description: Computes only.
options:
  agents:
    description:
      - Inventory host name -> the C(agent) record of consul_agent_info for that host.
    type: dict
    required: true
  phases:
    description:
      - The migration's phases, in order; each a dict with C(name) and C(expect) (the
        security state an agent shows once it runs the phase), and optionally
        C(host_expect) (the state its host shows then, in the keys of O(host_states)).
        Other keys are ignored.
    type: list
    elements: dict
    required: true
  agent_phases:
    description:
      - Inventory host name -> that agent's own phases (C(name) and C(expect)), where its
        expected states differ from O(phases) (e.g. a client that takes its certificate
        from the servers). Same number of phases. Hosts not named use O(phases).
    type: dict
    default: {}
  host_states:
    description:
      - Inventory host name -> the host's part of that agent's state (the C(security) of
        M(consulsec.hardening.consul_host_info), e.g. C(agent_user)), judged with the
        phases' C(host_expect). Hosts not named have none.
    type: dict
    default: {}
  phase:
    description: The phase to plan, from 1.
    type: int
    required: true
  client_batch_size:
    description: How many clients restart together.
    type: int
    default: 1
  servers_first:
    description:
      - Restart the servers (the leader last of them) before the clients, where a phase
        must be in effect on the servers before the clients' restarts can show whether it
        works (e.g. default deny, which the leader applies to every catalog write).
    type: bool
    default: false
  assume_previous_done:
    description:
      - Plan as if every agent had finished the phase before (for check mode, where
        earlier phases are only predicted).
    type: bool
    default: false
  leader:
    description:
      - The leader's node name as an agent saw it after O(agents) were read, when the
        records are of different times (the engine keeps each restarted agent's record from
        its restart, and the leader the last one restarted saw). It decides which server
        restarts last; empty to take each record's own word.
    type: str
    default: ""
    version_added: 0.5.0
  allow_members_outside:
    description:
      - Plan a phase with work although the cluster has alive members that are not hosts
        of the play (RV(members_outside)), which are neither restarted nor waited for.
        Only for a migration that changes nothing between agents (e.g. hardening one agent).
    type: bool
    default: false
    version_added: 0.2.0
  allow_members_outside_variable:
    description: The variable that sets O(allow_members_outside), named in the refusal.
    type: str
    default: allow_members_outside
    version_added: 0.2.0
"""

EXAMPLES = r"""
- name: Plan phase 2
  consulsec.hardening.consul_rolling_plan:
    agents: "{{ dict(ansible_play_hosts | zip(ansible_play_hosts | map('extract', hostvars, ['state', 'agent']))) }}"
    phases: "{{ my_phases }}"
    phase: 2
  delegate_to: localhost
  run_once: true
  register: plan
"""

RETURN = r"""
batches:
  description: Inventory host names in restart order, one list per batch.
  returned: success
  type: list
  elements: list
  sample: [[client1], [client2], [server1], [server3], [server2]]
todo:
  description: Hosts that still need the phase.
  returned: success
  type: list
  elements: str
done:
  description: Hosts already in the phase or later.
  returned: success
  type: list
  elements: str
at:
  description: Each host's current phase (0 = none).
  returned: success
  type: dict
members_outside:
  description:
    - The cluster's alive members (in the servers' views of the members) that are not
      hosts of the play, each with its C(name), C(address) and C(server).
  returned: success
  type: list
  elements: dict
  version_added: 0.2.0
blocked:
  description: Why the phase may not start, or V(null).
  returned: success
  type: str
conditions:
  description:
    - For each host of RV(todo), what the engine waits for around its restart, as
      M(consulsec.hardening.consul_wait)'s options. C(before) the restart, the cluster is
      whole and can lose the agent (C(members_alive) the agent itself,
      C(cluster_members_alive) every member in the servers' view but the others of its batch,
      which restart beside it, C(leader),
      C(autopilot_healthy), C(voters) every server, C(min_failure_tolerance) what a whole
      cluster has, up to 1, and 1 before a server's restart when there is more than one
      server). C(after) it, the agent shows its phase's state (C(security)), sees itself
      and every server alive, and the cluster is whole again, its batch included;
      C(catalog_in_sync) as the phase declares.
  returned: success
  type: dict
  version_added: 0.5.0
  sample:
    client1:
      before: {members_alive: [client1], cluster_members_alive: [client1, server1],
               leader: true, autopilot_healthy: true, voters: 1, min_failure_tolerance: 0}
      after: {members_alive: [client1, server1], cluster_members_alive: [client1, server1],
              leader: true, autopilot_healthy: true, voters: 1, min_failure_tolerance: 0,
              security: {gossip_encrypted: true}, catalog_in_sync: false}
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.consulsec.hardening.plugins.module_utils._errors import ConsulInputError
from ansible_collections.consulsec.hardening.plugins.module_utils._rolling import (
    agents_from_records,
    assume_previous_done,
    check_phases,
    names_and_expectations,
    plan_phase,
    refuse_members_outside,
    wait_conditions,
)


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "agents": {"type": "dict", "required": True},
            "phases": {"type": "list", "elements": "dict", "required": True},
            "agent_phases": {"type": "dict", "default": {}},
            "host_states": {"type": "dict", "default": {}},
            "phase": {"type": "int", "required": True},
            "client_batch_size": {"type": "int", "default": 1},
            "servers_first": {"type": "bool", "default": False},
            "assume_previous_done": {"type": "bool", "default": False},
            "leader": {"type": "str", "default": ""},
            "allow_members_outside": {"type": "bool", "default": False},
            "allow_members_outside_variable": {"type": "str", "default": "allow_members_outside"},
        },
        supports_check_mode=True,
    )
    params = module.params
    try:
        agents = agents_from_records(params["agents"], params["agent_phases"], params["host_states"],
                                     params["leader"])
        phases = names_and_expectations(params["phases"])
        check_phases(phases)
        if params["assume_previous_done"]:
            agents = assume_previous_done(agents, phases, params["phase"])
        plan = plan_phase(agents, phases, params["phase"], params["client_batch_size"],
                          params["servers_first"])
        plan = refuse_members_outside(plan, params["agents"], params["allow_members_outside"],
                                      params["allow_members_outside_variable"])
        plan["conditions"] = {}
        for batch in plan["batches"]:
            for host in batch:
                # the host's own phase: its expected state (not its host's) and its options
                own = (params["agent_phases"].get(host) or params["phases"])[params["phase"] - 1]
                plan["conditions"][host] = wait_conditions(
                    agents, host, own.get("expect") or {}, bool(own.get("catalog_in_sync")), batch)
    except ConsulInputError as exc:
        module.fail_json(msg=str(exc))
    module.exit_json(changed=False, **plan)


if __name__ == "__main__":
    main()
