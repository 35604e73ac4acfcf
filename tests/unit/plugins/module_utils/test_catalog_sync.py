"""catalog_sync on replies recorded from a client whose anti-entropy default deny blocked,
then from the same client once it held its token."""

from __future__ import annotations

import copy

from ansible_collections.consulsec.hardening.plugins.module_utils import _wait as wait
from ansible_collections.consulsec.hardening.plugins.module_utils._catalog_sync import (
    blocked_counters,
    judge_catalog_sync,
)
from tests.unit.conftest import load

PARTS = ("services", "checks", "catalog-node", "health-node", "metrics")


def replies(state: str) -> dict:
    got = {part.replace("-", "_"): load(f"catalog-sync/{state}-{part}") for part in PARTS}
    got["agent_self"] = load(f"catalog-sync/{state}-self")
    return got


def test_a_synced_agent_is_in_sync():
    judged = judge_catalog_sync(**replies("synced"))
    assert judged == {"in_sync": True, "differences": [], "blocked": {}, "services": 1, "checks": 1}


def test_a_blocked_agent_names_what_the_catalog_lacks_and_the_blocked_counters():
    judged = judge_catalog_sync(**replies("blocked"))
    assert not judged["in_sync"]
    text = " | ".join(judged["differences"])
    assert "node client1: tagged addresses lan, lan_ipv4, wan, wan_ipv4 not in the catalog" in text
    assert "node client1: node meta not in the catalog" in text
    assert "service web-1 (web) not in the catalog" in text
    assert "check web-ttl not in the catalog" in text
    assert ("blocked by ACLs in the agent's last metrics interval: "
            "consul.acl.blocked.node.registration 2, consul.acl.blocked.service.registration 2") in text


def test_blocked_counters_only():
    assert blocked_counters(load("catalog-sync/synced-metrics")) == {}
    assert blocked_counters(None) == {}
    assert set(blocked_counters(load("catalog-sync/blocked-metrics"))) == {
        "consul.acl.blocked.node.registration", "consul.acl.blocked.service.registration"}


def test_a_check_status_the_catalog_has_not_taken_yet():
    got = replies("synced")
    got["checks"] = copy.deepcopy(got["checks"])
    got["checks"]["web-ttl"]["Status"] = "critical"
    judged = judge_catalog_sync(**got)
    assert judged["differences"] == ["check web-ttl: critical on the agent, passing in the catalog"]


def test_a_node_missing_from_the_catalog():
    got = replies("synced")
    got["catalog_node"], got["health_node"] = None, []
    differences = judge_catalog_sync(**got)["differences"]
    assert differences[0] == "node client1 is not in the catalog"
    assert "service web-1 (web) not in the catalog" in differences


def judged_by_wait(record: dict) -> dict:
    answers, in_sync = wait.evaluate({"catalog_in_sync": True}, record)
    assert answers["met"]
    return in_sync


def test_catalog_in_sync_as_a_wait_condition():
    assert wait.needed_parts({"catalog_in_sync": True}) == ["catalog_sync"]
    assert wait.validate_conditions({"catalog_in_sync": False}) == {}
    synced = judged_by_wait({"catalog_sync": judge_catalog_sync(**replies("synced"))})
    assert synced == {"condition": "catalog_in_sync", "met": True, "expected": True,
                      "seen": "in sync (1 services, 1 checks)"}
    blocked = judged_by_wait({"catalog_sync": judge_catalog_sync(**replies("blocked"))})
    assert not blocked["met"] and "service web-1 (web) not in the catalog" in blocked["seen"]
    assert blocked["final"]
    unknown = judged_by_wait({"catalog_sync": None, "errors": {"catalog_sync": "403 Permission denied"}})
    assert not unknown["met"] and unknown["seen"] == "unknown (403 Permission denied)"


def test_a_write_refused_by_acls_ends_the_wait_at_once():
    """The catalog can still hold the object (the node never left it): the refused write
    shows only as a counter, for one 10 s metrics interval. Waiting would outlast it."""
    got = replies("synced")
    got["metrics"] = load("catalog-sync/blocked-metrics")
    record = {"catalog_sync": judge_catalog_sync(**got)}
    clock = [0.0]

    def sleep(seconds: float) -> None:
        clock[0] += seconds

    outcome = wait.wait_for(lambda: (record, None), {"catalog_in_sync": True}, timeout=60,
                            poll_interval=1, settle=5, clock=lambda: clock[0], sleep=sleep)
    assert not outcome.met and outcome.polls == 1
    assert outcome.results[1]["seen"] == [
        "blocked by ACLs in the agent's last metrics interval: "
        "consul.acl.blocked.node.registration 2, consul.acl.blocked.service.registration 2"]


def test_a_missing_service_is_waited_for():
    got = replies("synced")
    got["catalog_node"] = load("catalog-sync/blocked-catalog-node")
    missing = {"catalog_sync": judge_catalog_sync(**got)}
    synced = {"catalog_sync": judge_catalog_sync(**replies("synced"))}
    feed = iter([missing, missing, synced])
    clock = [0.0]

    def sleep(seconds: float) -> None:
        clock[0] += seconds

    outcome = wait.wait_for(lambda: (next(feed, synced), None), {"catalog_in_sync": True},
                            timeout=60, poll_interval=1, settle=3, clock=lambda: clock[0], sleep=sleep)
    assert outcome.met and outcome.polls == 6
