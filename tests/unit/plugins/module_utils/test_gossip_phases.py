"""The gossip migration's phases, judged against what recorded 1.8.7 agents showed in them."""

from __future__ import annotations

import pytest

from ansible_collections.consulsec.hardening.plugins.module_utils import _agent_state as state
from ansible_collections.consulsec.hardening.plugins.module_utils._errors import ConsulInputError
from ansible_collections.consulsec.hardening.plugins.module_utils._gossip_phases import gossip_phases
from ansible_collections.consulsec.hardening.plugins.module_utils._rolling import agent_phase
from tests.unit.conftest import load

KEY = "pUqJrVyVRj5jsiYEkM/tFQYfWyJIv4s3XkvDwy7Cu5s="


def test_the_guides_three_steps_outgoing_before_incoming():
    phases = gossip_phases(KEY)
    assert [p["name"] for p in phases] == [
        "key installed, verification off", "outgoing verification on", "incoming verification on"]
    assert [(p["content"]["encrypt_verify_outgoing"], p["content"]["encrypt_verify_incoming"])
            for p in phases] == [(False, False), (True, False), (True, True)]
    assert all(p["content"]["encrypt"] == KEY and p["expect"]["gossip_encrypted"] for p in phases)


@pytest.mark.parametrize(("scenario", "phase"), [
    ("plain/follower-self", 0), ("plain/client-self", 0),
    ("gossip-phase1/follower-self", 1), ("gossip-phase1/leader-self", 1),
    ("gossip/follower-self", 3), ("gossip/client-self", 3)])
def test_recorded_agents_are_in_the_phase_their_settings_make(scenario, phase):
    expects = [{"expect": p["expect"]} for p in gossip_phases(KEY)]
    assert agent_phase(state.parse_security(load(scenario)), expects) == phase


def test_each_phase_expects_exactly_what_an_agent_running_it_showed():
    shown = state.parse_security(load("gossip-phase1/follower-self"))
    first = gossip_phases(KEY)[0]["expect"]
    assert {key: shown[key] for key in first} == first


@pytest.mark.parametrize("key", ["", None, 3])
def test_no_key_is_refused(key):
    with pytest.raises(ConsulInputError, match="gossip key"):
        gossip_phases(key)
