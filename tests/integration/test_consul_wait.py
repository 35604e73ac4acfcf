"""consul_wait against real agents: it passes once the cluster is whole after a restart,
and fails, naming the unmet condition, while an agent is down or quorum is gone.

Tests in this file share one cluster and run in order; the destructive ones come last.
"""

from __future__ import annotations

import time

from conftest import ALL, leader_of, run_module

WHOLE = {"members_alive": ALL, "cluster_members_alive": ALL, "leader": True, "autopilot_healthy": True,
         "min_failure_tolerance": 1, "voters": 3, "security": {"gossip_encrypted": False},
         "poll_interval": 0.5, "settle": 3, "timeout": 90}


def wait_args(cluster, name: str, **overrides) -> dict:
    return {**WHOLE, "http_addr": cluster.agents[name].http_addr, **overrides}


def test_whole_cluster_passes(cluster):
    result = run_module("consul_wait", wait_args(cluster, "client1"))
    assert result["met"] is True and result.get("failed") is not True, result.get("msg")
    assert result["elapsed"] >= 3  # held for the settle period, not a single poll
    assert 3 <= result["held"] <= result["elapsed"]
    assert {c["condition"] for c in result["conditions"]} == {"answers", *[
        k for k in WHOLE if k not in ("poll_interval", "settle", "timeout")]}


def test_passes_after_a_follower_restart(cluster):
    follower = next(n for n in ("server1", "server2", "server3") if n != leader_of(cluster))
    cluster.restart_agent(follower)
    result = run_module("consul_wait", wait_args(cluster, follower))
    assert result["met"] is True, result.get("msg")
    assert result["agent"]["name"] == follower


def test_passes_after_a_leader_restart(cluster):
    old = leader_of(cluster)
    cluster.restart_agent(old)
    result = run_module("consul_wait", wait_args(cluster, "client2"))
    assert result["met"] is True, result.get("msg")
    # the election went through the states the settle period is there for
    assert len(result["history"]) >= 2, result["history"]


def test_acl_mode_names_the_agent_left_in_legacy_mode(cluster):
    """A client with ACLs on in a cluster whose servers have none stays in legacy mode
    (it leaves it only once every server has ACLs): the wait names it and the others."""
    assert run_module("consul_wait", wait_args(cluster, "server1", acl_mode="disabled"))["met"]
    recovery = "00000000-0000-4000-8000-00000000a11e"
    cluster.write_fragment("client2", "70-acl.json", {"acl": {
        "enabled": True, "default_policy": "allow", "tokens": {"agent_master": recovery}}})
    try:
        cluster.restart_agent("client2")
        result = run_module("consul_wait", {
            "http_addr": cluster.agents["client2"].http_addr, "agent_recovery_token": recovery,
            "acl_mode": "enabled", "timeout": 5, "settle": 0, "poll_interval": 0.5})
    finally:
        cluster.remove_fragment("client2", "70-acl.json")
        cluster.restart_agent("client2")
        cluster.wait_healthy()
    assert result["failed"] and result["met"] is False
    acl_mode = next(c for c in result["conditions"] if c["condition"] == "acl_mode")
    assert acl_mode["seen"] == {"client2": "legacy", **dict.fromkeys(
        ["client1", "server1", "server2", "server3"], "disabled")}, acl_mode
    assert "acl_mode: expected enabled on every alive member" in result["msg"]


def test_check_mode_reports_without_waiting(cluster):
    cluster.stop_agent("client2")
    start = time.monotonic()
    result = run_module("consul_wait", wait_args(cluster, "server1", timeout=60), check=True)
    assert time.monotonic() - start < 30
    assert result.get("failed") is not True and result["met"] is False
    assert result["polls"] == 1


def test_fails_while_an_agent_is_kept_down(cluster):
    # client2 stays down from the test before
    result = run_module("consul_wait", wait_args(cluster, "server1", timeout=8))
    assert result["failed"] and result["met"] is False
    unmet = {c["condition"]: c["seen"] for c in result["conditions"] if not c["met"]}
    assert set(unmet) == {"members_alive", "cluster_members_alive"}
    assert unmet["members_alive"] == {"client2": "left"}  # a client leaves gracefully
    # the servers deregister a node that left: its serfHealth check is gone
    assert unmet["cluster_members_alive"] == {"client2": "absent"}
    assert "members_alive" in result["msg"] and "client2" in result["msg"]


def test_fails_when_the_agent_asked_is_down(cluster):
    result = run_module("consul_wait", wait_args(cluster, "client2", timeout=3))
    assert result["failed"] and result["agent"] is None
    assert "answers" in result["msg"] and "Connection refused" in result["msg"]
    cluster.start_agent("client2")


def test_fails_when_quorum_is_gone(cluster):
    cluster.wait_healthy()
    leader = leader_of(cluster)
    for name in [n for n in ("server1", "server2", "server3") if n != leader]:
        cluster.stop_agent(name, graceful=False)
    args = wait_args(cluster, "client1", timeout=30, members_alive=[], cluster_members_alive=[])
    result = run_module("consul_wait", args)
    assert result["failed"] and result["met"] is False
    unmet = {c["condition"]: c["seen"] for c in result["conditions"] if not c["met"]}
    assert "leader" in unmet
    assert "No cluster leader" in str(unmet["leader"])
    assert "leader" in result["msg"]
