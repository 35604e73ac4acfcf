"""The test bed's load judge (tests/testbed/load.py): every failed request put down to
the right cause. Timelines as the load's monitors record them: (last sighting of the
value before, first sighting, value)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "testbed"))

from load import summarize  # noqa: E402

L1, L2 = "10.0.0.1:8300", "10.0.0.2:8300"


def agent(name, address, timeline, pids=None, failures=(), lost=0):
    return {"agent": name, "address": address, "server": name.startswith("server"),
            "requests": {"kv_put": 100},
            "timeline": [list(t) for t in timeline], "pids": [list(p) for p in (pids or [])],
            "failures": [{"agent": name, "op": "kv_put", "start": s, "end": s + 0.01,
                          "status": 500, "error": "x"} for s in failures],
            "kv": {"acked": 50, "lost": ["k"] * lost, "unreadable": []}}


def steady(name, address, leader=L1, until=100.0, **extra):
    return agent(name, address, [(0, 0, leader), (until, until, "stopped")], **extra)


def report(*agents):
    return {"started": 0.0, "stopped": 100.0, "agents": list(agents)}


def test_a_client_restart_counts_on_the_client_only():
    client1 = agent("client1", "10.0.0.4",
                    [(0, 0, L1), (9.8, 10.0, "down"), (12.0, 12.2, "no-leader"),
                     (13.0, 13.2, L1), (100, 100, "stopped")],
                    pids=[(0, 0, 100), (9.9, 10.0, None), (12.0, 12.1, 200)],
                    failures=[9.5, 12.5])
    client2 = steady("client2", "10.0.0.5", failures=[11.0])
    summary = summarize(report(steady("server1", "10.0.0.1"), client1, client2))
    assert summary["failed"] == {"restarting": 2, "leader": 0, "server": 0, "other": 1}
    assert summary["per_agent"]["client2"]["other"] == 1


def test_a_leave_before_the_restart_is_part_of_the_restart():
    # the agent names no leader from its leave on, then its process changes
    client1 = agent("client1", "10.0.0.4",
                    [(0, 0, L1), (19.8, 20.0, "no-leader"), (25.0, 25.2, L1), (100, 100, "stopped")],
                    pids=[(0, 0, 100), (23.9, 24.0, 200)], failures=[20.5])
    summary = summarize(report(steady("server1", "10.0.0.1"), client1))
    assert summary["failed"] == {"restarting": 1, "leader": 0, "server": 0, "other": 0}


def test_a_leader_restart_covers_others_until_they_name_the_new_leader():
    server1 = agent("server1", "10.0.0.1",
                    [(0, 0, L1), (29.9, 30.0, "down"), (30.5, 30.6, "no-leader"),
                     (33.0, 33.2, L2), (100, 100, "stopped")],
                    pids=[(0, 0, 100), (29.9, 30.1, 200)])
    # server3 still names the old leader for a moment: a request forwarded to it fails
    server3 = agent("server3", "10.0.0.3",
                    [(0, 0, L1), (31.0, 31.2, "no-leader"), (32.0, 32.2, L2), (100, 100, "stopped")],
                    failures=[30.05, 60.0])
    server2 = agent("server2", "10.0.0.2", [(0, 0, L1), (31.5, 31.7, L2), (100, 100, "stopped")])
    summary = summarize(report(server1, server2, server3))
    assert summary["failed"] == {"restarting": 0, "leader": 1, "server": 0, "other": 1}
    assert summary["leader_changes_seen"] >= 1


def test_a_follower_restart_is_no_leader_change():
    # a client's request in flight on the restarting follower fails; Consul does not retry
    server2 = agent("server2", "10.0.0.2",
                    [(0, 0, L1), (39.9, 40.0, "down"), (40.4, 40.5, L1), (100, 100, "stopped")],
                    pids=[(0, 0, 100), (39.9, 40.0, 200)])
    client1 = steady("client1", "10.0.0.4", failures=[40.1, 70.0])
    summary = summarize(report(steady("server1", "10.0.0.1"), server2, client1))
    assert summary["failed"] == {"restarting": 0, "leader": 0, "server": 1, "other": 1}


def test_lost_writes_are_counted():
    summary = summarize(report(steady("server1", "10.0.0.1", lost=2)))
    assert summary["kv_lost"] == 2
    assert summary["kv_acked"] == 50


def test_a_leaving_leader_changes_leadership_from_its_leave_on():
    # the leader leaves 14 s before its process changes; clients' requests in flight on
    # it fail at the start of the leave, before any agent names another leader
    server1 = agent("server1", "10.0.0.1",
                    [(0, 0, L1), (49.9, 50.0, "leaving"), (64.0, 64.2, "down"),
                     (64.5, 64.6, L2), (100, 100, "stopped")],
                    pids=[(0, 0, 100), (64.0, 64.1, 200)], failures=[55.0])
    server2 = agent("server2", "10.0.0.2", [(0, 0, L1), (60.0, 60.2, L2), (100, 100, "stopped")])
    client1 = steady("client1", "10.0.0.4", failures=[50.1])
    summary = summarize(report(server1, server2, client1))
    assert summary["failed"] == {"restarting": 1, "leader": 1, "server": 0, "other": 0}
