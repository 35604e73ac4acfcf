"""consul_restart on real agents (detached, restarted through tests/testbed/agentctl.sh): a
follower and the leader restart once each into the new fragment, judged from the agents'
recorded starts and what they report; check mode, a fragment consul validate refuses, a
cluster that cannot lose the agent and a failing restart command change nothing they
should not, each naming its step; the fragment's secret never reaches the output.

Tests in this file share one cluster and run in order."""

from __future__ import annotations

import json
import stat
import time

import pytest

from conftest import ALL, leader_of, run_module, run_module_output
from local_cluster import DetachedCluster, consul_binary, http_call

SECRET = "00000000-0000-0000-0000-0000005ec2e7"
FRAGMENT = "50-consulsec-test.json"


@pytest.fixture(scope="module")
def detached(tmp_path_factory):
    cluster = DetachedCluster(tmp_path_factory.mktemp("restart") / "cluster", first_host=131)
    cluster.start(timeout=90)
    try:
        yield cluster
    finally:
        cluster.stop()


def conditions(cluster: DetachedCluster, name: str) -> dict:
    """What the engine asks around a restart of ``name`` (consul_rolling_plan's rule)."""
    whole = {"cluster_members_alive": ALL, "leader": True, "autopilot_healthy": True, "voters": 3}
    servers = ["server1", "server2", "server3"]
    return {"before": {"members_alive": [name], **whole, "min_failure_tolerance": 1},
            "after": {"members_alive": sorted(set(servers) | {name}), **whole, "min_failure_tolerance": 1,
                      "security": {"gossip_encrypted": False}}}


def args(cluster: DetachedCluster, name: str, content: dict, **overrides) -> dict:
    agent = cluster.agents[name]
    return {"http_addr": agent.http_addr, **conditions(cluster, name),
            "fragment": {"config_dir": str(agent.config_dir), "name": FRAGMENT,
                         "content": json.dumps(content, indent=4) + "\n", "mode": "0640",
                         "consul_binary": consul_binary()},
            "restart_command": cluster.restart_command(name),
            "poll_interval": 0.5, "settle": 2, "timeout": 90, "before_timeout": 30, **overrides}


def meta(cluster: DetachedCluster, name: str) -> dict:
    meta = http_call(cluster.agents[name].http_addr + "/v1/agent/self", timeout=5)[1]["Meta"]
    return {k: v for k, v in meta.items() if k != "consul-network-segment"}


def test_a_follower_restarts_once_into_its_fragment(detached):
    follower = next(n for n in ("server1", "server2", "server3") if n != leader_of(detached))
    since = time.time()
    content = {"node_meta": {"restarted": "once"}, "acl": {"tokens": {"agent": SECRET}}}
    result, output = run_module_output("consul_restart", args(detached, follower, content), verbosity=3)
    assert result.get("failed") is not True, result.get("msg")
    assert (result["changed"], result["step"], result["left"]) == (True, None, False)
    assert detached.starts(since) == [follower]
    assert meta(detached, follower) == {"restarted": "once"}
    path = detached.agents[follower].config_dir / FRAGMENT
    assert stat.S_IMODE(path.stat().st_mode) == 0o640 and SECRET in path.read_text()
    assert SECRET not in output
    assert set(result["seconds"]) == {"before", "write", "restart", "until_met", "settle"}
    assert result["after"]["met"] and result["after"]["held"] >= 2
    assert result["fragment"]["validated"] is True


def test_the_leader_leaves_before_its_restart(detached):
    leader = leader_of(detached)
    since = time.time()
    result = run_module("consul_restart", args(detached, leader, {"node_meta": {"restarted": "leader"}}))
    assert result.get("failed") is not True, result.get("msg")
    assert result["left"] is True and result["seconds"]["leave"] > 0
    # read from the agent itself: it left the cluster before the restart
    assert "server starting leave" in detached.agents[leader].log_path.read_text()
    assert detached.starts(since) == [leader]
    assert meta(detached, leader) == {"restarted": "leader"}
    assert leader_of(detached) in ("server1", "server2", "server3")


def test_check_mode_writes_and_restarts_nothing(detached):
    since = time.time()
    path = detached.agents["client1"].config_dir / FRAGMENT
    result = run_module("consul_restart", args(detached, "client1", {"node_meta": {"x": "y"}}), check=True)
    assert result.get("failed") is not True, result.get("msg")
    assert result["changed"] is True and result["fragment"]["content_changed"] is True
    assert not path.exists() and detached.starts(since) == []


def test_a_fragment_consul_refuses_is_neither_written_nor_restarted(detached):
    since = time.time()
    result, output = run_module_output(
        "consul_restart", args(detached, "client1", {"verify_incomming": True, "encrypt": SECRET}))
    assert result.get("failed") and result["step"] == "Write the phase's fragment once consul validate accepts it"
    assert "consul validate refused" in result["msg"] and "verify_incomming" in result["msg"]
    assert SECRET not in output
    assert not (detached.agents["client1"].config_dir / FRAGMENT).exists()
    assert detached.starts(since) == []


def test_a_restart_command_that_fails_is_named(detached):
    since = time.time()
    failing = args(detached, "client2", {"node_meta": {"x": "y"}}, restart_command="false")
    result = run_module("consul_restart", failing)
    assert result.get("failed") and result["step"] == "Restart the agent", result
    assert "ended with 1" in result["msg"]
    assert detached.starts(since) == []


def test_nothing_changes_while_the_cluster_cannot_lose_the_agent(detached):
    # client2's fragment from the test before is in place: the cluster is whole again
    detached.stop_agent("server3")
    try:
        since = time.time()
        gated = args(detached, "client1", {"node_meta": {"x": "z"}}, before_timeout=4)
        result = run_module("consul_restart", gated)
        assert result.get("failed") and result["step"] == "Check that the cluster is whole and can lose this agent"
        assert "server3" in result["msg"], result["msg"]
        assert not (detached.agents["client1"].config_dir / FRAGMENT).exists()
        assert detached.starts(since) == []
    finally:
        detached.start_agent("server3")
    detached.wait_healthy(timeout=90)


def test_an_agent_that_does_not_come_back_as_expected_stops_the_run(detached):
    since = time.time()
    wanted = args(detached, "client1", {"node_meta": {"x": "w"}}, timeout=8)
    wanted["after"]["security"] = {"gossip_encrypted": True}
    result = run_module("consul_restart", wanted)
    assert result.get("failed") and result["step"].startswith("Wait until the agent is back"), result
    assert "gossip_encrypted" in result["msg"]
    assert detached.starts(since) == ["client1"]
