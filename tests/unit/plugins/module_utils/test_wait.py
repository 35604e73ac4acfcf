"""consul_wait's judgement and loop on recorded replies; a fake clock stands for time."""

from __future__ import annotations

import json

import pytest

from ansible_collections.consulsec.hardening.plugins.module_utils import _agent_state as state
from ansible_collections.consulsec.hardening.plugins.module_utils import _wait as wait
from ansible_collections.consulsec.hardening.plugins.module_utils._errors import ConsulInputError
from tests.unit.conftest import FIXTURES, load

ALL = ["server1", "server2", "server3", "client1", "client2"]
WHOLE = {"members_alive": ALL, "leader": True, "autopilot_healthy": True,
         "min_failure_tolerance": 1, "voters": 3}


def body(path: str):
    return json.loads((FIXTURES / f"{path}.json").read_text())["json"]


def healthy_record() -> dict:
    return state.agent_record(load("plain/follower-self"), load("plain/follower-members"),
                              load("plain/follower-leader"), autopilot=load("plain/follower-autopilot"),
                              raft=load("plain/follower-raft"))


def failed_server_record() -> dict:
    leader = load("plain/leader-leader")
    return state.agent_record(load("plain/leader-self"), load("server-failed/leader-members"),
                              leader, autopilot=body("server-failed/leader-autopilot"),
                              raft=load("server-failed/leader-raft"))


def unmet(results: list[dict]) -> dict:
    return {r["condition"]: r["seen"] for r in results if not r["met"]}


def test_whole_cluster_meets_every_condition():
    results = wait.evaluate(WHOLE, healthy_record())
    assert all(r["met"] for r in results), results
    assert [r["condition"] for r in results][0] == "answers"


def test_failed_server_is_named():
    seen = unmet(wait.evaluate(WHOLE, failed_server_record()))
    assert set(seen) == {"members_alive", "autopilot_healthy", "min_failure_tolerance"}
    (victim, status), = seen["members_alive"].items()
    assert status == "failed"
    assert seen["autopilot_healthy"]["unhealthy_servers"] == [victim]


def test_reaped_server_fails_voters_although_autopilot_is_healthy():
    rec = state.agent_record(load("plain/leader-self"), load("server-reaped/leader-members"),
                             load("plain/leader-leader"), autopilot=load("server-reaped/leader-autopilot"),
                             raft=load("server-reaped/leader-raft"))
    seen = unmet(wait.evaluate(WHOLE, rec))
    assert set(seen) == {"members_alive", "min_failure_tolerance", "voters"}
    assert seen["voters"] == 2
    assert list(seen["members_alive"].values()) == ["left"]


def test_no_quorum_has_no_leader():
    rec = state.agent_record(load("no-quorum/client-self"), load("no-quorum/client-members"),
                             load("no-quorum/client-leader"))
    rec["errors"] = {"autopilot": "500 No cluster leader", "raft": "500 No cluster leader"}
    seen = unmet(wait.evaluate({"leader": True, "autopilot_healthy": True}, rec))
    assert seen["leader"]["agent"] is None
    assert "No cluster leader" in seen["leader"]["raft"]
    assert "No cluster leader" in seen["autopilot_healthy"]
    assert wait.evaluate({"leader": False}, rec)[1]["met"] is True


def test_leader_disagreement_is_unmet():
    rec = healthy_record()
    rec["raft"]["leader"] = "server-other"
    seen = unmet(wait.evaluate({"leader": True}, rec))
    assert seen["leader"]["raft"] == "server-other"


def test_agent_that_does_not_answer_fails_every_condition():
    results = wait.evaluate({"leader": True, "security": {"gossip_encrypted": True}}, None,
                            "http://127.0.0.1:8500/v1/agent/self: ConnectionError")
    assert [r["met"] for r in results] == [False, False, False]
    assert "ConnectionError" in results[0]["seen"]


def test_security_expectations():
    rec = state.agent_record(load("gossip-phase1/client-self"), load("gossip-phase1/client-members"),
                             load("plain/client-leader"))
    phase1 = {"gossip_encrypted": True, "encrypt_verify_incoming": False,
              "encrypt_verify_outgoing": False}
    assert wait.evaluate({"security": phase1}, rec)[1]["met"]
    result = wait.evaluate({"security": {**phase1, "encrypt_verify_outgoing": True}}, rec)[1]
    assert not result["met"]
    assert result["seen"] == {"encrypt_verify_outgoing": False}


def test_acl_mode_names_the_agents_not_out_of_legacy_mode():
    def record(members: str) -> dict:
        return state.agent_record(load("plain/follower-self"), load(f"acl-legacy/{members}"),
                                  load("plain/follower-leader"))
    result = wait.evaluate({"acl_mode": "enabled"}, record("legacy-members"))[1]
    assert not result["met"]
    assert result["seen"] == {"client1": "legacy", "server1": "disabled", "server2": "legacy",
                              "server3": "legacy"}
    assert wait.evaluate({"acl_mode": "enabled"}, record("enabled-members"))[1]["met"]
    # a member that is not alive gossips nothing new: only alive members are judged
    rec = record("legacy-members")
    for member in rec["members"]:
        if member["acl_mode"] != "enabled":
            member["status"] = "left"
    assert wait.evaluate({"acl_mode": "enabled"}, rec)[1]["met"]


def test_validate_conditions():
    assert wait.validate_conditions({"leader": None, "members_alive": [], "voters": 3,
                                     "timeout": 5}) == {"voters": 3}
    with pytest.raises(ConsulInputError, match="unknown key.*gossip_encryption"):
        wait.validate_conditions({"security": {"gossip_encryption": True}})
    with pytest.raises(ConsulInputError, match="voters must be 0 or more"):
        wait.validate_conditions({"voters": -1})
    with pytest.raises(ConsulInputError, match="acl_mode must be one of disabled, legacy, enabled"):
        wait.validate_conditions({"acl_mode": "on"})


def test_needed_parts():
    assert wait.needed_parts({"members_alive": ["a"]}) == []
    assert wait.needed_parts({"voters": 3}) == ["autopilot", "raft"]
    assert wait.needed_parts({"autopilot_healthy": True}) == ["autopilot"]


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def run_sequence(records: list, settle: float = 3, timeout: float = 30) -> wait.WaitOutcome:
    clock = FakeClock()
    feed = iter(records)
    last = [None]

    def observe():
        last[0] = next(feed, last[0])
        return last[0]

    return wait.wait_for(observe, WHOLE, timeout=timeout, poll_interval=1, settle=settle,
                         clock=clock, sleep=clock.sleep)


def test_one_good_poll_is_not_enough():
    """After a restart autopilot briefly reports the old healthy state, then unhealthy."""
    good, bad = (healthy_record(), None), (failed_server_record(), None)
    outcome = run_sequence([good, bad, bad, good, good, good, good, good])
    assert outcome.met
    assert outcome.elapsed == 6  # met from t=3, held for the 3 s settle period
    assert outcome.history[0].endswith("all conditions met")
    assert "members_alive" in outcome.history[1]


def test_timeout_reports_last_unmet_and_history():
    down = (None, "http://127.0.0.1:8500/v1/agent/self: ConnectionError: refused")
    outcome = run_sequence([(healthy_record(), None), down], timeout=10)
    assert not outcome.met
    assert outcome.elapsed == 10
    assert "refused" in wait.describe_unmet(outcome.results)
    assert len(outcome.history) == 2


def test_timeout_while_settling_reports_how_long_it_held():
    outcome = run_sequence([(failed_server_record(), None)] * 8 + [(healthy_record(), None)],
                           settle=5, timeout=10)
    assert not outcome.met
    assert outcome.held_for == 2
    assert wait.describe_unmet(outcome.results) == ""


def test_zero_timeout_observes_once():
    outcome = run_sequence([(failed_server_record(), None)], settle=0, timeout=0)
    assert outcome.polls == 1 and not outcome.met
    outcome = run_sequence([(healthy_record(), None)], settle=0, timeout=0)
    assert outcome.polls == 1 and outcome.met


def client_record(scenario: str) -> dict:
    """client1's own view (its members) with the servers' view (serfHealth) next to it."""
    members = "serf-health-failed/client-members" if scenario == "serf-health-failed" else "plain/client-members"
    return state.agent_record(load("plain/client-self"), load(members), load("plain/client-leader"),
                              serf_health=load(f"{scenario}/client-serf_health"))


def test_cluster_members_alive_reads_the_servers_view():
    results = wait.evaluate({"cluster_members_alive": ALL}, client_record("serf-health"))
    assert all(r["met"] for r in results), results


def test_cluster_members_alive_names_the_member_the_servers_lost():
    seen = unmet(wait.evaluate({"cluster_members_alive": ALL, "members_alive": ["client1"]},
                               client_record("serf-health-failed")))
    assert seen == {"cluster_members_alive": {"client2": "critical"}}


def test_cluster_members_alive_absent_and_not_gathered():
    rec = client_record("serf-health")
    seen = unmet(wait.evaluate({"cluster_members_alive": ALL + ["client9"]}, rec))
    assert seen["cluster_members_alive"] == {"client9": "absent"}
    rec["serf_health"] = None
    rec["errors"] = {"serf_health": "403 Permission denied"}
    seen = unmet(wait.evaluate({"cluster_members_alive": ALL}, rec))
    assert "403 Permission denied" in seen["cluster_members_alive"]


def test_cluster_members_alive_needs_serf_health():
    assert wait.needed_parts({"cluster_members_alive": ["a"]}) == ["serf_health"]
