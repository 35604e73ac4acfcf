"""The rolling-restart planner on agent states parsed from recorded 1.8.7 replies."""

from __future__ import annotations

import pytest

from ansible_collections.consulsec.hardening.plugins.module_utils import _agent_state as state
from ansible_collections.consulsec.hardening.plugins.module_utils import _rolling as rolling
from ansible_collections.consulsec.hardening.plugins.module_utils._errors import ConsulInputError
from ansible_collections.consulsec.hardening.plugins.module_utils._gossip_phases import gossip_phases
from tests.unit.conftest import load

# the gossip role's own declaration (its phases' names and expected states; planning
# never reads the fragments)
GOSSIP = [{"name": phase["name"], "expect": phase["expect"]} for phase in gossip_phases("key")]


def agents(scenario_by_name: dict[str, str]) -> list[dict]:
    """Agents whose security state comes from recorded agent/self replies."""
    out = []
    for name, scenario in scenario_by_name.items():
        role = "leader" if name == "server2" else ("client" if name.startswith("client") else "follower")
        out.append({"name": name, "server": name.startswith("server"), "is_leader": name == "server2",
                    "security": state.parse_security(load(f"{scenario}/{role}-self"))})
    return out


ALL = ["server1", "server2", "server3", "client1", "client2"]


def test_agent_phase_from_recorded_states():
    assert rolling.agent_phase(state.parse_security(load("plain/follower-self")), GOSSIP) == 0
    assert rolling.agent_phase(state.parse_security(load("gossip-phase1/follower-self")), GOSSIP) == 1
    assert rolling.agent_phase(state.parse_security(load("gossip/client-self")), GOSSIP) == 3


def test_plain_cluster_plans_everyone_clients_first_leader_last():
    plan = rolling.plan_phase(agents({n: "plain" for n in ALL}), GOSSIP, 1)
    assert plan["blocked"] is None
    assert plan["batches"] == [["client1"], ["client2"], ["server1"], ["server3"], ["server2"]]
    assert plan["done"] == []


def test_servers_first_keeps_the_leader_last_of_the_servers():
    plan = rolling.plan_phase(agents({n: "plain" for n in ALL}), GOSSIP, 1, client_batch_size=2,
                              servers_first=True)
    assert plan["batches"] == [["server1"], ["server3"], ["server2"], ["client1", "client2"]]


def test_client_batches():
    assert rolling.restart_order(
        [{"name": f"c{i}", "server": False, "is_leader": False} for i in range(5)], 2
    ) == [["c0", "c1"], ["c2", "c3"], ["c4"]]


def test_phase_cannot_start_before_every_agent_finished_the_previous():
    mixed = agents({"server1": "gossip-phase1", "server2": "gossip-phase1", "server3": "plain",
                    "client1": "gossip-phase1", "client2": "gossip-phase1"})
    plan = rolling.plan_phase(mixed, GOSSIP, 2)
    assert plan["batches"] == []
    assert "server3 is in phase 0" in plan["blocked"]


def test_resume_only_restarts_what_is_left():
    half = agents({"server1": "gossip-phase1", "server2": "plain", "server3": "plain",
                   "client1": "gossip-phase1", "client2": "gossip-phase1"})
    plan = rolling.plan_phase(half, GOSSIP, 1)
    assert plan["batches"] == [["server3"], ["server2"]]
    assert plan["done"] == ["client1", "client2", "server1"]


def test_finished_cluster_plans_nothing():
    done = agents({n: "gossip" for n in ALL})
    for phase in (1, 2, 3):
        assert rolling.plan_phase(done, GOSSIP, phase)["batches"] == []
    assert rolling.cluster_phase(done, GOSSIP)["finished"] is True


def test_spread_of_more_than_one_phase_is_a_problem():
    spread = agents({"server1": "gossip", "server2": "plain", "server3": "plain",
                     "client1": "plain", "client2": "plain"})
    summary = rolling.cluster_phase(spread, GOSSIP)
    assert summary["problem"] and "server1: 3" in summary["problem"]


def test_no_phase_starts_on_a_cluster_more_than_one_phase_apart():
    """Restarting the plain agents into phase 1 next to an agent that verifies incoming
    gossip would split the cluster: nothing may be planned."""
    spread = agents({"server1": "gossip", "server2": "plain", "server3": "plain",
                     "client1": "plain", "client2": "plain"})
    for phase in (1, 2, 3):
        plan = rolling.plan_phase(spread, GOSSIP, phase)
        assert plan["batches"] == [] and "more than one phase apart" in plan["blocked"]


def test_check_mode_predicts_later_phases():
    plain = agents({n: "plain" for n in ALL})
    assert rolling.plan_phase(plain, GOSSIP, 3)["blocked"]
    predicted = rolling.assume_previous_done(plain, GOSSIP, 3)
    plan = rolling.plan_phase(predicted, GOSSIP, 3)
    assert plan["blocked"] is None and len(plan["todo"]) == 5
    # agents already past the phase before keep their own state
    half = agents({"server1": "gossip", "server2": "gossip-phase1", "server3": "gossip-phase1",
                   "client1": "gossip-phase1", "client2": "gossip-phase1"})
    assert rolling.assume_previous_done(half, GOSSIP, 3)[0] is half[0]
    assert rolling.plan_phase(rolling.assume_previous_done(half, GOSSIP, 3), GOSSIP, 3)["done"] == ["server1"]
    assert rolling.assume_previous_done(plain, GOSSIP, 1) is plain


def test_phases_must_declare_expectations():
    with pytest.raises(ConsulInputError, match="declares no expected state"):
        rolling.check_phases([{"name": "x", "expect": {}}])
    with pytest.raises(ConsulInputError, match="does not exist"):
        rolling.plan_phase(agents({"server1": "plain"}), GOSSIP, 4)


TLS = [
    {"name": "certificates", "expect": {"tls_verify_incoming": False, "tls_verify_outgoing": False}},
    {"name": "outgoing", "expect": {"tls_verify_incoming": False, "tls_verify_outgoing": True}},
    {"name": "incoming", "expect": {"tls_verify_incoming": True, "tls_verify_outgoing": True}},
]
# a client that takes its certificate from the servers shows other settings in each phase
AUTO_ENCRYPT_CLIENT = [
    TLS[0],
    {"name": "outgoing", "expect": {"auto_encrypt_tls": True, "tls_verify_outgoing": True}},
    {"name": "incoming", "expect": {"auto_encrypt_tls": True, "tls_verify_incoming_rpc": True}},
]


def test_an_agent_is_judged_by_its_own_phases():
    servers = agents({"server1": "tls", "server2": "tls"})
    client = {"name": "client1", "server": False, "is_leader": False,
              "security": state.parse_security(load("auto-encrypt/client-self"))}
    own = dict(client, phases=AUTO_ENCRYPT_CLIENT)
    plan = rolling.plan_phase([*servers, own], TLS, 3)
    assert plan["at"] == {"server1": 3, "server2": 3, "client1": 2}
    assert plan["batches"] == [["client1"]]
    # finished, it is done by its own phases; by the servers' it would restart forever
    finished = dict(own, security=dict(own["security"], tls_verify_incoming_rpc=True))
    assert rolling.plan_phase([*servers, finished], TLS, 3)["batches"] == []
    assert rolling.plan_phase([*servers, dict(finished, phases=None)], TLS, 3)["batches"] == [["client1"]]
    plain_client = dict(own, security=state.parse_security(load("plain/client-self")))
    assert rolling.plan_phase([*servers, plain_client], TLS, 3)["at"]["client1"] == 1
    predicted = rolling.assume_previous_done([plain_client], TLS, 3)[0]["security"]
    assert predicted["auto_encrypt_tls"] is True
    with pytest.raises(ConsulInputError, match="declares 1 phases, the migration 3"):
        rolling.plan_phase([dict(own, phases=TLS[:1])], TLS, 1)


def records(scenario: str) -> dict[str, dict]:
    """consul_agent_info's agent records of a recorded cluster, by host."""
    return {a["name"]: {"server": a["server"], "is_leader": a["is_leader"], "security": a["security"]}
            for a in agents({n: scenario for n in ALL})}


HOST_PHASE = [{"name": "settings and user", "expect": {"disable_remote_exec": True},
               "host_expect": {"agent_user": "consul"}, "content": {"secret": "never planned"}}]


def test_a_phase_may_expect_a_state_of_the_agents_host():
    hosts = {n: {"agent_user": "consul"} for n in ALL}
    hosts.update(client1={"agent_user": "root"}, server2={"agent_user": None})
    phases = rolling.names_and_expectations(HOST_PHASE)
    assert phases == [{"name": "settings and user",
                       "expect": {"disable_remote_exec": True, "agent_user": "consul"}}]
    plan = rolling.plan_phase(rolling.agents_from_records(records("plain"), host_states=hosts), phases, 1)
    # the recorded 1.8.7 defaults disable remote exec: only the user differs
    assert plan["batches"] == [["client1"], ["server2"]]
    assert plan["done"] == ["client2", "server1", "server3"]
    # without the host's state the expectation cannot hold
    assert rolling.plan_phase(rolling.agents_from_records(records("plain")), phases, 1)["todo"] == ALL_SORTED


ALL_SORTED = sorted(ALL)


def test_records_without_an_agent_state_are_refused():
    with pytest.raises(ConsulInputError, match="no agent state for server1"):
        rolling.agents_from_records({"server1": {"server": True}})


@pytest.mark.parametrize(("size", "clients", "count"), [
    (1, 6, 1), ("5", 6, 5), (" 2 ", 2, 2), ("50%", 6, 3), ("10%", 20, 2), ("10%", 6, 1),
    ("1%", 500, 5), ("100%", 6, 6), ("33%", 500, 165), (8, 3, 8),
])
def test_a_client_batch_is_a_count_or_a_percentage_of_the_clients(size, clients, count):
    assert rolling.client_batch(size, clients, "tls_client_batch_size") == count


@pytest.mark.parametrize(("size", "why"), [
    ("0", "at least 1 client"), (0, "at least 1 client"), ("150%", "from 1% to 100%"),
    ("0%", "from 1% to 100%"), ("ten", "whole number"), (-1, "whole number"), ("-5%", "whole number"),
    ("2.5", "whole number"), ("", "whole number"), (None, "whole number"), (True, "whole number"),
    ("%", "whole number"), ("²", "whole number"),
])
def test_any_other_batch_size_is_refused_naming_the_variable(size, why):
    with pytest.raises(ConsulInputError, match=f"^tls_client_batch_size is .*{why}"):
        rolling.client_batch(size, 6, "tls_client_batch_size")


def test_one_failure_tolerance_rule_before_and_after_a_restart():
    # before a server's restart the cluster must be able to lose it (never with two servers)
    assert [rolling.failure_tolerance(n, before_server_restart=True) for n in (1, 2, 3, 5)] == [0, 1, 1, 1]
    # after one, what a whole cluster has, up to 1
    assert [rolling.failure_tolerance(n) for n in (1, 2, 3, 4, 5)] == [0, 0, 1, 1, 1]


def test_the_planner_says_what_to_wait_for_around_each_restart():
    """By the nodes' own names, which need not be the inventory's."""
    recorded = {f"host-{n}": {**r, "name": n} for n, r in records("plain").items()}
    planned = rolling.agents_from_records(recorded)
    nodes = [a["node"] for a in planned]
    client = rolling.wait_conditions(planned, "host-client1", GOSSIP[0]["expect"])
    whole = {"cluster_members_alive": nodes, "leader": True, "autopilot_healthy": True, "voters": 3}
    assert client["before"] == {"members_alive": ["client1"], **whole, "min_failure_tolerance": 1}
    assert client["after"] == {"members_alive": ["client1", "server1", "server2", "server3"], **whole,
                               "min_failure_tolerance": 1, "security": GOSSIP[0]["expect"],
                               "catalog_in_sync": False}
    server = rolling.wait_conditions(planned, "host-server2", GOSSIP[0]["expect"], catalog_in_sync=True)
    assert server["before"]["min_failure_tolerance"] == 1 and server["before"]["members_alive"] == ["server2"]
    assert server["after"]["members_alive"] == ["server1", "server2", "server3"]
    assert server["after"]["catalog_in_sync"] is True


def test_a_batch_is_not_waited_for_before_its_own_restarts_but_after_them():
    """Clients of one batch restart together: the check before one of them must not wait
    for another that is already restarting, and the wait after judges the whole batch."""
    agents = [{"name": f"host-{n}", "node": n, "server": n.startswith("server")}
              for n in ("client1", "client2", "client3", "server1")]
    batch = ["host-client1", "host-client2"]
    one = rolling.wait_conditions(agents, "host-client1", {}, batch=batch)
    assert one["before"]["cluster_members_alive"] == ["client1", "client3", "server1"]
    assert one["before"]["members_alive"] == ["client1"]
    assert one["after"]["cluster_members_alive"] == ["client1", "client2", "client3", "server1"]
    alone = rolling.wait_conditions(agents, "host-client3", {}, batch=["host-client3"])
    assert alone["before"]["cluster_members_alive"] == ["client1", "client2", "client3", "server1"]


def test_the_leader_seen_last_decides_which_server_restarts_last():
    """Records kept from different times: the one read before the phase names its leader;
    the leader seen after the last restart (another server) is the one put last."""
    recorded = {n: {**r, "name": n} for n, r in records("plain").items()}
    leader = next(n for n, r in recorded.items() if r["is_leader"])
    other = next(n for n, r in recorded.items() if r["server"] and not r["is_leader"])
    assert rolling.restart_order(rolling.agents_from_records(recorded))[-1] == [leader]
    agents = rolling.agents_from_records(recorded, leader=other)
    assert [a["name"] for a in agents if a["is_leader"]] == [other]
    assert rolling.restart_order(agents)[-1] == [other]


def test_a_misspelt_phase_key_is_refused():
    with pytest.raises(ConsulInputError, match=r"phase 2 \(outgoing\) has unknown key\(s\) expct, servers_frist"):
        rolling.names_and_expectations([GOSSIP[0], {"name": "outgoing", "expct": {}, "servers_frist": True}])


def member_records(hosts: list[str], client_view: str = "plain/client-members") -> dict[str, dict]:
    """consul_agent_info-like records of ``hosts`` with the members each recorded agent
    listed: the servers the leader's view, the clients their own."""
    return {host: {"name": host, "server": host.startswith("server"),
                   "members": state.parse_members(load("plain/leader-members" if host.startswith("server")
                                                       else client_view))}
            for host in hosts}


def test_alive_members_outside_the_play_are_named_from_the_servers_views():
    assert rolling.members_outside(member_records(ALL)) == []
    assert rolling.members_outside(member_records(["server1", "server2", "server3", "client1"])) \
        == [{"name": "client2", "address": "127.0.1.15", "server": False}]
    # a client's view alone decides only without a server in the play
    assert [m["name"] for m in rolling.members_outside(member_records(["client1"]))] \
        == ["client2", "server1", "server2", "server3"]
    # members that left or failed are not alive: nothing to leave behind
    failed = state.parse_members(load("server-failed/leader-members"))  # server2 failed
    assert [m["name"] for m in rolling.members_outside(
        {"server1": {"name": "server1", "server": True, "members": failed}})] == ["client1", "client2", "server3"]


def test_a_phase_with_work_stops_while_members_are_outside_the_play():
    play = ["server1", "server2", "server3", "client1"]
    plan = rolling.plan_phase(agents({n: "plain" for n in play}), GOSSIP, 1)
    refused = rolling.refuse_members_outside(plan, member_records(play), False,
                                             "gossip_encryption_allow_members_outside")
    assert (refused["batches"], refused["todo"]) == ([], [])
    assert refused["blocked"].startswith("phase 1 cannot start: client2 (127.0.1.15, client) is an alive "
                                         "member of the cluster but not a host of this play")
    assert "set gossip_encryption_allow_members_outside: true" in refused["blocked"]
    # allowed: the play's agents only, the outside member named
    allowed = rolling.refuse_members_outside(plan, member_records(play), True)
    assert allowed["batches"] == plan["batches"] and allowed["blocked"] is None
    assert [m["name"] for m in allowed["members_outside"]] == ["client2"]
    # a phase without work (a finished cluster) is not stopped by them
    done = rolling.plan_phase(agents({n: "gossip" for n in play}), GOSSIP, 3)
    assert rolling.refuse_members_outside(done, member_records(play))["blocked"] is None
