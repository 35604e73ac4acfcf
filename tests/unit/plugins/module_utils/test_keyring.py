"""Keyring judgements on replies recorded from a real rotation: one key, a second one
installed, a client killed in between (the keyring then counts 4 of 4 nodes), the
second key made primary, a client frozen (the query misses it)."""

from __future__ import annotations

import pytest

from ansible_collections.consulsec.hardening.plugins.module_utils._agent_state import (
    key_fingerprint,
    parse_keyring,
    parse_members,
)
from ansible_collections.consulsec.hardening.plugins.module_utils._errors import ConsulApiError
from ansible_collections.consulsec.hardening.plugins.module_utils._keyring import (
    QUERY_ATTEMPTS,
    QUERY_PAUSE,
    actions,
    coverage_problems,
    keyring_call,
    missed_query,
    pool_problems,
    primary_anywhere,
)
from tests.unit.conftest import load, load_reply

OLD = key_fingerprint("AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=")
NEW = key_fingerprint("AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI=")
UNKNOWN = key_fingerprint("AwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwM=")


def pools(stage: str) -> list:
    return parse_keyring(load(f"keyring/{stage}-keyring"))


def members(stage: str, wan: bool = False) -> list:
    return parse_members(load(f"keyring/{stage}-members{'_wan' if wan else ''}"))


WAN = members("one-key", wan=True)


def test_every_member_answered_on_a_whole_cluster():
    assert coverage_problems(pools("one-key"), "dc1", members("one-key"), WAN) == []


def test_a_killed_client_is_missing_although_the_keyring_counts_4_of_4():
    down = pools("client-down")
    # the trap: by the keyring alone the new key is everywhere
    assert pool_problems(down, NEW, "present") == []
    problems = coverage_problems(down, "dc1", members("client-down"), WAN)
    assert problems == ["LAN pool of dc1: 4 node(s) answered the keyring query, 5 member(s) "
                        "known; not alive: client2 (failed)"]


def test_another_datacenters_lan_pool_is_judged_by_its_counts_only():
    other = [dict(p, datacenter="dc2") for p in pools("client-down") if p["pool"] == "lan"]
    assert coverage_problems(other, "dc1", members("client-down"), WAN) == []


@pytest.mark.parametrize(("stage", "state", "steps"), [
    ("one-key", "present", ["install"]),
    ("one-key", "only", ["install", "use", "remove_others"]),
    ("installed", "present", []),
    ("installed", "primary", ["use"]),
    ("installed", "only", ["use", "remove_others"]),
    ("used", "primary", []),
    ("used", "only", ["remove_others"]),
])
def test_actions_lead_from_each_recorded_stage_to_the_state(stage, state, steps):
    assert actions(pools(stage), NEW, state) == steps


def test_the_old_key_is_only_while_nothing_was_installed():
    assert actions(pools("one-key"), OLD, "only") == []
    assert actions(pools("installed"), OLD, "only") == ["remove_others"]
    assert actions(pools("used"), OLD, "absent") == ["remove"]
    assert actions(pools("one-key"), UNKNOWN, "absent") == []


def test_problems_say_where_and_what_was_seen():
    assert pool_problems(pools("installed"), NEW, "primary") == [
        "LAN pool of dc1: the key is on 5 of 5 node(s), primary on 0, not primary everywhere",
        "WAN pool of dc1: the key is on 3 of 3 node(s), primary on 0, not primary everywhere",
    ]
    assert pool_problems(pools("used"), NEW, "only") == [
        f"LAN pool of dc1: 1 other key(s) installed: {OLD}",
        f"WAN pool of dc1: 1 other key(s) installed: {OLD}",
    ]
    assert pool_problems(pools("used"), OLD, "absent")[0].startswith(
        "LAN pool of dc1: the key is still on 5 of 5 node(s)")


def test_primary_anywhere():
    assert primary_anywhere(pools("used"), NEW) and not primary_anywhere(pools("installed"), NEW)


def missed(stage: str = "client-frozen") -> ConsulApiError:
    reply = load_reply(f"keyring/{stage}-keyring")
    return ConsulApiError("http://127.0.1.101:8500", "/v1/operator/keyring", reply["status"],
                          reply["text"])


def test_a_node_that_missed_the_query_is_told_from_other_errors():
    assert missed_query(missed())
    assert "safe to repeat" in str(missed())
    assert not missed_query(ConsulApiError("h", "/v1/operator/keyring", 500,
                                           load("plain/leader-keyring")))
    assert not missed_query(ConsulApiError("h", "/v1/operator/keyring", 403, "Permission denied"))


def answers(*replies):
    """A call that raises or returns each of ``replies`` in turn, counting its calls."""
    queue = list(replies)

    def call():
        call.count += 1
        reply = queue.pop(0)
        if isinstance(reply, Exception):
            raise reply
        return reply
    call.count = 0
    return call


def test_a_missed_query_is_sent_again_until_every_node_answers():
    pauses = []
    call = answers(missed(), missed(), load("keyring/used-keyring"))
    assert keyring_call(call, pauses.append) == load("keyring/used-keyring")
    assert call.count == 3 and pauses == [QUERY_PAUSE, QUERY_PAUSE]


def test_the_last_miss_is_raised_and_other_errors_at_once():
    pauses = []
    call = answers(*[missed()] * QUERY_ATTEMPTS)
    with pytest.raises(ConsulApiError, match="4/5 nodes reported success"):
        keyring_call(call, pauses.append)
    assert call.count == QUERY_ATTEMPTS and len(pauses) == QUERY_ATTEMPTS - 1
    denied = answers(ConsulApiError("h", "/v1/operator/keyring", 403, "Permission denied"))
    with pytest.raises(ConsulApiError, match="403"):
        keyring_call(denied, pauses.append)
    assert denied.count == 1
