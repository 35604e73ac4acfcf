"""Parsers on replies recorded from real Consul 1.8.7 agents."""

from __future__ import annotations

import copy
import json

import pytest

from ansible_collections.consulsec.hardening.plugins.module_utils import _agent_state as state
from tests.unit.conftest import FIXTURES, load


def record(scenario: str, role: str, **optional: str) -> dict:
    parts = {k: load(f"{scenario}/{role}-{v}") for k, v in optional.items()}
    return state.agent_record(load(f"{scenario}/{role}-self"), load(f"{scenario}/{role}-members"),
                              load(f"{scenario}/{role}-leader") if (FIXTURES / scenario / f"{role}-leader.json").exists()
                              else load("plain/leader-leader"), **parts)


@pytest.mark.parametrize("role", ["leader", "follower", "client"])
def test_plain_cluster_is_insecure_and_whole(role):
    rec = record("plain", role)
    assert rec["datacenter"] == "dc1"
    assert rec["version"] == "1.8.7"
    assert rec["server"] is (role != "client")
    assert rec["is_leader"] is (role == "leader")
    assert rec["member_counts"] == {"alive": 5}
    assert [m["name"] for m in rec["members"]] == ["client1", "client2", "server1", "server2", "server3"]
    assert sum(m["server"] for m in rec["members"]) == 3
    assert rec["leader"]["known"] and rec["leader"]["name"].startswith("server")
    sec = rec["security"]
    assert sec["gossip_encrypted"] is False
    assert sec["encrypt_verify_incoming"] is True  # Consul's default: only matters with a key
    assert sec["tls_verify_incoming"] is False
    assert sec["tls_verify_outgoing"] is False
    assert sec["tls_verify_server_hostname"] is False
    assert sec["https_port"] == -1
    assert sec["acl_enabled"] is False
    assert sec["acl_default_policy"] == "allow"
    assert sec["enable_script_checks"] is False
    assert sec["disable_remote_exec"] is True
    assert sec["tls_ca_file"] is None


def test_leader_names_itself_and_followers_name_it():
    leader = record("plain", "leader")
    follower = record("plain", "follower")
    client = record("plain", "client")
    assert leader["leader"]["is_self"]
    assert not follower["leader"]["is_self"]
    assert leader["name"] == follower["leader"]["name"] == client["leader"]["name"]


def test_gossip_phase1_encrypts_without_verifying():
    sec = record("gossip-phase1", "follower")["security"]
    assert sec["gossip_encrypted"] is True
    assert sec["encrypt_verify_incoming"] is False
    assert sec["encrypt_verify_outgoing"] is False


@pytest.mark.parametrize("role", ["leader", "follower", "client"])
def test_gossip_encrypted_with_both_verify_flags(role):
    sec = record("gossip", role)["security"]
    assert sec["gossip_encrypted"] is True
    assert sec["encrypt_verify_incoming"] is True
    assert sec["encrypt_verify_outgoing"] is True


def test_keyring_summary_has_fingerprints_and_counts_never_keys():
    raw = load("gossip/leader-keyring")
    summary = state.parse_keyring(raw)
    assert [(p["pool"], p["num_nodes"]) for p in summary] == [("lan", 5), ("wan", 3)]
    for pool in summary:
        assert pool["consistent"] is True
        assert len(pool["keys"]) == 1
        key = pool["keys"][0]
        assert key["nodes"] == key["primary_nodes"] == pool["num_nodes"]
        assert key["fingerprint"].startswith("sha256:")
    text = json.dumps(summary)
    for pool in raw:
        for key in pool["Keys"]:
            assert key not in text


def test_keyring_during_rotation_is_not_consistent():
    raw = copy.deepcopy(load("gossip/leader-keyring"))
    lan = next(p for p in raw if not p["WAN"])
    lan["Keys"]["AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI="] = 3  # new key on 3 of 5
    pool = next(p for p in state.parse_keyring(raw) if p["pool"] == "lan")
    assert pool["consistent"] is False
    assert [k["nodes"] for k in pool["keys"]] == [5, 3]


def test_keyring_on_plain_cluster_is_an_error_reply():
    # 5 LAN members and 3 WAN members (the servers) each report it
    assert load("plain/leader-keyring").count("Keyring is empty (encryption not enabled)") == 8
    assert state.parse_keyring("Keyring is empty") is None


@pytest.mark.parametrize("role", ["leader", "follower", "client"])
def test_tls_state(role):
    rec = record("tls", role)
    sec = rec["security"]
    assert sec["tls_verify_incoming"] is True
    assert sec["tls_verify_outgoing"] is True
    assert sec["tls_verify_server_hostname"] is True
    assert sec["https_port"] == 8501
    assert sec["tls_ca_file"].endswith("consul-agent-ca.pem")
    assert sec["tls_min_version"] == "tls12"
    # only servers carry the use_tls tag; clients never do
    assert {m["name"]: m["use_tls"] for m in rec["members"]} == {
        "server1": True, "server2": True, "server3": True, "client1": False, "client2": False}


def test_auto_encrypt_client_has_no_certificate_of_its_own():
    client = state.agent_record(load("auto-encrypt/client-self"), [], "")["security"]
    assert client["auto_encrypt_tls"] is True
    assert client["tls_cert_file"] is None
    assert client["tls_verify_outgoing"] is True
    server = state.agent_record(load("auto-encrypt/server-self"), [], "")["security"]
    # allow_tls runs the Connect CA on a server (a plain 1.8.7 server has it off)
    assert (server["auto_encrypt_allow_tls"], server["connect_enabled"]) == (True, True)
    assert state.parse_security(load("plain/leader-self"))["connect_enabled"] is False


def test_connect_roots_are_public_certificates():
    roots = state.parse_connect_roots(load("auto-encrypt/client-connect_roots"))
    assert len(roots) == 1 and roots[0]["active"] is True
    assert roots[0]["pem"].startswith("-----BEGIN CERTIFICATE-----")
    assert "PRIVATE" not in json.dumps(roots)
    assert state.parse_connect_roots(None) is None


def test_autopilot_healthy():
    ap = state.parse_autopilot(load("plain/leader-autopilot"))
    assert ap["healthy"] is True
    assert ap["failure_tolerance"] == 1
    assert ap["voters"] == 3
    assert ap["unhealthy_servers"] == []
    assert ap["leader"] == record("plain", "leader")["name"]


def test_autopilot_unhealthy_right_after_a_follower_restart():
    reply = json.loads((FIXTURES / "follower-restarted" / "leader-autopilot.json").read_text())
    assert reply["status"] == 429  # same body, status 429 while unhealthy
    ap = state.parse_autopilot(reply["json"])
    assert ap["healthy"] is False
    assert ap["failure_tolerance"] == 0
    assert len(ap["unhealthy_servers"]) == 1


def test_killed_server_first_fails_autopilot():
    reply = json.loads((FIXTURES / "server-failed" / "leader-autopilot.json").read_text())
    assert reply["status"] == 429
    ap = state.parse_autopilot(reply["json"])
    assert ap["healthy"] is False
    assert ap["voters"] == 3
    assert len(ap["unhealthy_servers"]) == 1
    members = state.parse_members(load("server-failed/leader-members"))
    assert state.count_members(members) == {"alive": 4, "failed": 1}


def test_killed_server_is_reaped_and_autopilot_calls_the_rest_healthy():
    ap = state.parse_autopilot(load("server-reaped/leader-autopilot"))
    assert ap["healthy"] is True  # the trap: healthy, with one server fewer
    assert ap["failure_tolerance"] == 0
    assert ap["voters"] == 2
    raft = state.parse_raft(load("server-reaped/leader-raft"))
    assert raft["voters"] == 2
    members = state.parse_members(load("server-reaped/leader-members"))
    assert state.count_members(members) == {"alive": 4, "left": 1}


def test_no_quorum_means_no_leader():
    members = state.parse_members(load("no-quorum/client-members"))
    leader = state.parse_leader(load("no-quorum/client-leader"), members, "127.0.1.14")
    assert leader == {"known": False, "address": None, "name": None, "is_self": False}
    assert load("no-quorum/server-autopilot") == "No cluster leader"


def test_acl_deny_hides_members_from_anonymous():
    assert load("acl-deny/server-members") == []
    assert load("acl-deny/server-self") == "Permission denied"


def test_newer_nested_tls_layout_is_read():
    agent_self = copy.deepcopy(load("tls/follower-self"))
    debug = agent_self["DebugConfig"]
    for key in ("VerifyIncoming", "VerifyIncomingRPC", "VerifyOutgoing", "VerifyServerHostname",
                "CAFile", "TLSMinVersion", "ACLDefaultPolicy"):
        debug.pop(key)
    debug["TLS"] = {"InternalRPC": {"VerifyIncoming": True, "VerifyOutgoing": True,
                                    "VerifyServerHostname": False, "CAFile": "/ca.pem",
                                    "TLSMinVersion": "TLSv1_3"}}
    debug["ACLResolverSettings"] = {"ACLDefaultPolicy": "deny"}
    sec = state.parse_security(agent_self)
    assert sec["tls_verify_incoming"] is True
    assert sec["tls_verify_server_hostname"] is False
    assert sec["tls_ca_file"] == "/ca.pem"
    assert sec["tls_min_version"] == "TLSv1_3"
    assert sec["acl_default_policy"] == "deny"


def test_unknown_keys_are_none():
    sec = state.parse_security({"Stats": {}, "DebugConfig": {}})
    assert sec["gossip_encrypted"] is False
    assert sec["tls_verify_incoming"] is None
    assert set(sec) == set(state.SECURITY_KEYS)


def test_member_status_names():
    assert state.parse_member({"Name": "x", "Status": 2, "Tags": {}})["status"] == "leaving"
    assert state.parse_member({"Name": "x", "Status": 9, "Tags": {}})["status"] == "unknown(9)"


def test_fingerprint_is_stable_and_not_the_key():
    key = "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE="
    assert state.key_fingerprint(key) == state.key_fingerprint(key)
    assert key not in state.key_fingerprint(key)
    assert state.key_fingerprint("not base64!") != state.key_fingerprint(key)


def test_acl_mode_of_each_member_while_acls_roll_on():
    legacy = {m["name"]: m["acl_mode"] for m in state.parse_members(load("acl-legacy/legacy-members"))}
    # the leader not restarted yet, the others with ACLs on and waiting for it
    assert legacy == {"client1": "legacy", "server1": "disabled", "server2": "legacy", "server3": "legacy"}
    enabled = {m["name"]: m["acl_mode"] for m in state.parse_members(load("acl-legacy/enabled-members"))}
    assert set(enabled.values()) == {"enabled"}
    assert state.parse_member({"Name": "x", "Status": 1, "Tags": {}})["acl_mode"] == "unknown"
