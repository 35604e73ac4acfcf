# Copyright: consulsec.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure functions of the rolling-restart engine: where is each agent, who restarts next.

A migration is a list of phases. Each phase declares the effective security state an
agent shows once it runs that phase's configuration (``expect``: keys of
consul_agent_info's ``security``). An agent's phase is read from its running state, never
assumed: the last phase whose expectations all hold, or 0 when none does. An agent may
carry its own ``phases`` (the same number, its own expectations: e.g. a client that takes
its certificate from the servers shows other TLS settings than a server in the same phase).

Private module_utils: may change in any release.
"""

from __future__ import annotations

from typing import Any

from ._errors import ConsulInputError


def check_phases(phases: list[dict[str, Any]]) -> None:
    if not phases:
        raise ConsulInputError("a migration needs at least one phase")
    for index, phase in enumerate(phases, 1):
        if not isinstance(phase.get("expect"), dict) or not phase["expect"]:
            raise ConsulInputError(f"phase {index} ({phase.get('name', '?')}) declares no "
                                   "expected state (expect)")


def own_phases(agent: dict[str, Any], phases: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The phases as ``agent`` declares them (its own ``phases``, else the common ones)."""
    mine = agent.get("phases") or phases
    if mine is not phases:
        check_phases(mine)
        if len(mine) != len(phases):
            raise ConsulInputError(f"{agent.get('name', '?')} declares {len(mine)} phases, "
                                   f"the migration {len(phases)}")
    return mine


def agent_phase(security: dict[str, Any], phases: list[dict[str, Any]]) -> int:
    """The last phase (1-based) whose expected state the agent shows; 0 for none."""
    for index in range(len(phases), 0, -1):
        expect = phases[index - 1]["expect"]
        if all(security.get(key) == value for key, value in expect.items()):
            return index
    return 0


def client_batch(size: Any, clients: int, variable: str = "client_batch_size") -> int:
    """How many clients restart together: ``size`` is a count (``5``, ``"5"``) or a
    percentage of the ``clients`` (``"10%"``, rounded down, at least 1). Anything else
    ("0", "150%", "ten", a negative number) is refused, naming ``variable``."""
    text = str(size).strip()
    percent = text.endswith("%")
    number = text[:-1].strip() if percent else text
    if isinstance(size, bool) or not (number.isascii() and number.isdigit()):
        raise ConsulInputError(
            f"{variable} is {size!r}: give a whole number of clients (e.g. 5) or a "
            'percentage of them (e.g. "10%")')
    value = int(number)
    if percent:
        if not 1 <= value <= 100:
            raise ConsulInputError(f"{variable} is {size!r}: a percentage must be from 1% to 100%")
        return max(1, clients * value // 100)
    if value < 1:
        raise ConsulInputError(f"{variable} is {size!r}: at least 1 client must restart at a time")
    return value


def restart_order(agents: list[dict[str, Any]], client_batch_size: int = 1,
                  servers_first: bool = False) -> list[list[str]]:
    """Batches in the order they restart: clients in batches, servers one by one (followers
    by name, the leader last of them); the clients first unless ``servers_first``.
    ``agents``: dicts with name, server, is_leader."""
    size = max(1, int(client_batch_size))
    clients = sorted(a["name"] for a in agents if not a["server"])
    followers = sorted(a["name"] for a in agents if a["server"] and not a["is_leader"])
    leaders = sorted(a["name"] for a in agents if a["server"] and a["is_leader"])
    client_batches = [clients[i:i + size] for i in range(0, len(clients), size)]
    server_batches = [[name] for name in followers + leaders]
    if servers_first:
        return server_batches + client_batches
    return client_batches + server_batches


def plan_phase(agents: list[dict[str, Any]], phases: list[dict[str, Any]], phase: int,
               client_batch_size: int = 1, servers_first: bool = False) -> dict[str, Any]:
    """Which agents still need ``phase`` (1-based), in restart order, or why none may start.

    ``agents``: one dict per agent with name, server, is_leader and security (the
    effective state). A phase may start only when every agent has finished the one before;
    an agent already in ``phase`` (or later) is left alone.
    """
    check_phases(phases)
    if not 1 <= phase <= len(phases):
        raise ConsulInputError(f"phase {phase} does not exist (1 to {len(phases)})")
    at = {a["name"]: agent_phase(a["security"], own_phases(a, phases)) for a in agents}
    spread = cluster_phase(agents, phases)["problem"]
    if spread:
        return {"phase": phase, "batches": [], "todo": [], "done": [], "at": at,
                "blocked": spread}
    behind = sorted(name for name, p in at.items() if p < phase - 1)
    if behind:
        return {
            "phase": phase, "batches": [], "todo": [], "done": [], "at": at,
            "blocked": (f"phase {phase} ({phases[phase - 1].get('name', '')}) cannot start: "
                        f"{', '.join(f'{n} is in phase {at[n]}' for n in behind)}; every agent "
                        f"must have finished phase {phase - 1} first"),
        }
    todo = [a for a in agents if at[a["name"]] < phase]
    return {
        "phase": phase,
        "batches": restart_order(todo, client_batch_size, servers_first),
        "todo": sorted(a["name"] for a in todo),
        "done": sorted(name for name, p in at.items() if p >= phase),
        "at": at,
        "blocked": None,
    }


def members_outside(records: dict[str, Any]) -> list[dict[str, Any]]:
    """The cluster's alive members that no host of the play is, each with its address and
    whether it is a server, sorted by name. Judged from the servers' views of the members
    where the play has a server (a client's view can be stale on 1.8.7), else from every
    record's. ``records``: host -> consul_agent_info's agent record (its members)."""
    views = [r for r in records.values() if isinstance(r, dict) and r.get("server")] \
        or [r for r in records.values() if isinstance(r, dict)]
    ours = {r.get("name") or host for host, r in records.items() if isinstance(r, dict)}
    outside: dict[str, dict[str, Any]] = {}
    for record in views:
        for member in record.get("members") or []:
            if member.get("status") == "alive" and member.get("name") not in ours:
                outside[member["name"]] = {"name": member["name"], "address": member.get("address"),
                                           "server": bool(member.get("server"))}
    return [outside[name] for name in sorted(outside)]


def refuse_members_outside(plan: dict[str, Any], records: dict[str, Any], allow: bool = False,
                           variable: str = "allow_members_outside") -> dict[str, Any]:
    """``plan`` (plan_phase's) with the cluster's alive members outside the play
    (``members_outside``), and blocked when the phase has work and some are there, unless
    ``allow``: a migration that rolled around them would leave them behind. ``variable``:
    what sets ``allow``, named in the refusal."""
    outside = members_outside(records)
    plan = {**plan, "members_outside": outside}
    if not outside or not plan["todo"] or allow or plan["blocked"] is not None:
        return plan
    one = len(outside) == 1
    named = ", ".join(f"{m['name']} ({m['address']}, {'server' if m['server'] else 'client'})"
                      for m in outside)
    return {**plan, "batches": [], "todo": [], "blocked": (
        f"phase {plan['phase']} cannot start: {named} {'is an alive member' if one else 'are alive members'} "
        "of the cluster but not a host of this play (not in the inventory's consul_servers or "
        "consul_clients, or left out by --limit or a job slice): the migration would leave "
        f"{'it' if one else 'them'} behind, unable to rejoin once the others run its later "
        f"phases. Run on every agent of the cluster, or set {variable}: true to migrate only "
        "the play's agents anyway")}


def assume_previous_done(agents: list[dict[str, Any]], phases: list[dict[str, Any]],
                         phase: int) -> list[dict[str, Any]]:
    """The agents as they would be once every one finished the phase before ``phase``
    (check mode predicts later phases this way; nothing ran the earlier ones)."""
    if not 1 < phase <= len(phases):  # phase 1 has none before; plan_phase refuses others
        return agents
    predicted = []
    for agent in agents:
        mine = own_phases(agent, phases)
        if agent_phase(agent["security"], mine) < phase - 1:
            agent = {**agent, "security": {**agent["security"], **mine[phase - 2]["expect"]}}
        predicted.append(agent)
    return predicted


def cluster_phase(agents: list[dict[str, Any]], phases: list[dict[str, Any]]) -> dict[str, Any]:
    """Where the cluster stands: every agent's phase, the lowest one, and whether the
    spread is one a resumed run can mend (at most one phase apart)."""
    check_phases(phases)
    at = {a["name"]: agent_phase(a["security"], own_phases(a, phases)) for a in agents}
    low, high = (min(at.values()), max(at.values())) if at else (0, 0)
    problem = None
    if high - low > 1:
        problem = (f"agents are more than one phase apart ({', '.join(f'{n}: {p}' for n, p in sorted(at.items()))}); "
                   "such a cluster was not left by this migration and cannot be resumed safely")
    return {"at": at, "lowest": low, "highest": high, "finished": bool(at) and low == len(phases),
            "problem": problem}


# What a phase may declare (roles/rolling_restart/meta/argument_specs.yml says what each is)
PHASE_KEYS = frozenset({"name", "content", "expect", "host_expect", "connection", "before_restart",
                        "servers_first", "settle", "catalog_in_sync"})


def names_and_expectations(phases: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each phase's name and whole expectation: the agent's (expect) and its host's
    (host_expect). A key no phase may have (a misspelt one) is refused."""
    for index, phase in enumerate(phases, 1):
        unknown = sorted(set(phase) - PHASE_KEYS)
        if unknown:
            raise ConsulInputError(
                f"phase {index} ({phase.get('name', '?')}) has unknown key(s) {', '.join(unknown)}; "
                f"a phase has {', '.join(sorted(PHASE_KEYS))}")
    return [{"name": p.get("name", ""), "expect": {**(p.get("expect") or {}), **(p.get("host_expect") or {})}}
            for p in phases]


def failure_tolerance(servers: int, before_server_restart: bool = False) -> int:
    """The failure tolerance the cluster must show around a restart: what a whole cluster
    of ``servers`` has, up to 1 (0 with one or two servers); before a server's restart at
    least 1, as the cluster must be able to lose that server (a lone server restarts
    anyway; two servers never can, and the wait before says so)."""
    whole = min(1, (servers - 1) // 2) if servers > 0 else 0
    if before_server_restart and servers > 1:
        return max(whole, 1)
    return whole


def wait_conditions(agents: list[dict[str, Any]], host: str, expect: dict[str, Any],
                    catalog_in_sync: bool = False, batch: list[str] | None = None) -> dict[str, dict[str, Any]]:
    """What the engine waits for around ``host``'s restart, as consul_wait's options.

    ``before``: the cluster is whole and can lose the agent (every member alive in the
    servers' view, the agent itself in its own view, a leader, autopilot healthy, every
    server a voter, the failure tolerance to lose it). The other agents of ``host``'s
    ``batch`` (host names) restart beside it and are not waited for before: each is
    checked by its own run, and the waits after judge the whole batch back. ``after``: the
    agent is back in ``expect`` (its phase's state), sees itself and every server alive,
    and the cluster is whole again, its batch included. Members are judged from the
    servers' view (the catalog's serfHealth checks): a client that stayed up can keep a
    stale view of others for minutes on 1.8.7. ``agents``: the planner's agents (name,
    node, server)."""
    me = next(a for a in agents if a["name"] == host)
    node = me.get("node", host)
    members = [a.get("node", a["name"]) for a in agents]
    servers = [a.get("node", a["name"]) for a in agents if a["server"]]
    batchmates = {a.get("node", a["name"]) for a in agents if a["name"] in (batch or []) and a["name"] != host}
    whole = {"cluster_members_alive": members, "leader": True, "autopilot_healthy": True,
             "voters": len(servers)}
    before = {"members_alive": [node], **whole,
              "cluster_members_alive": [m for m in members if m not in batchmates],
              "min_failure_tolerance": failure_tolerance(len(servers), bool(me["server"]))}
    after = {"members_alive": sorted(set(servers) | {node}), **whole,
             "min_failure_tolerance": failure_tolerance(len(servers)),
             "security": dict(expect), "catalog_in_sync": bool(catalog_in_sync)}
    return {"before": before, "after": after}


def agents_from_records(records: dict[str, Any], agent_phases: dict[str, Any] | None = None,
                        host_states: dict[str, Any] | None = None, leader: str = "") -> list[dict[str, Any]]:
    """The planner's agents from each host's consul_agent_info record, with its own phases
    where it has them and its host's state (consul_host_info's security) merged in.
    ``leader``: the leader's node name as seen after the records were taken (the records
    taken at different times may name none or two); "" to take each record's own word."""
    agents = []
    for host, record in records.items():
        if not isinstance(record, dict) or "security" not in record:
            raise ConsulInputError(f"no agent state for {host}: give consul_agent_info's agent record")
        security = {**record["security"], **((host_states or {}).get(host) or {})}
        node = record.get("name") or host
        server = bool(record.get("server"))
        is_leader = server and node == leader if leader else bool(record.get("is_leader"))
        agent = {"name": host, "node": node, "server": server, "is_leader": is_leader, "security": security}
        if (agent_phases or {}).get(host):
            agent["phases"] = names_and_expectations(agent_phases[host])
        agents.append(agent)
    return agents
