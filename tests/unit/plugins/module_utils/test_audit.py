"""The audit's controls judged on agents recorded from real Consul 1.8.7 agents: the
insecure baseline, a TLS cluster, an auto_encrypt client."""

from __future__ import annotations

import copy

import pytest

from ansible_collections.consulsec.hardening.plugins.module_utils import _agent_state as state
from ansible_collections.consulsec.hardening.plugins.module_utils import _audit as audit
from tests.unit.conftest import load


def record(path: str) -> dict:
    """An agent's record from its recorded /v1/agent/self (the controls read no more)."""
    return state.agent_record(load(f"{path}-self"), None, "")


def statuses(agent: dict) -> dict:
    return {r["id"]: r["status"] for r in audit.audit_agent(agent)}


def test_the_registry_is_data_with_unique_ids_and_known_severities():
    ids = [c.id for c in audit.CONTROLS]
    assert len(ids) == len(set(ids))
    assert {c.severity for c in audit.CONTROLS} <= set(audit.SEVERITIES)
    assert {c.scope for c in audit.CONTROLS} <= {"agent", "server", "client", "host", "cluster"}
    assert all(c.source.startswith("Consul ") and c.fix for c in audit.CONTROLS)


def test_the_insecure_baseline_fails_every_requirement_consul_leaves_off():
    seen = statuses(record("plain/leader"))
    assert {k for k, v in seen.items() if v == "fail"} == {
        "CSEC-GOSSIP-01", "CSEC-GOSSIP-02", "CSEC-GOSSIP-03", "CSEC-TLS-01", "CSEC-TLS-03",
        "CSEC-TLS-04", "CSEC-TLS-05", "CSEC-ACL-01", "CSEC-ACL-02", "CSEC-REC-02", "CSEC-REC-03"}
    # what 1.8.7's defaults already get right
    assert {k for k, v in seen.items() if v == "pass"} == {
        "CSEC-EXEC-01", "CSEC-EXEC-02", "CSEC-HTTP-01", "CSEC-REC-01"}
    assert seen["CSEC-TLS-02"] == "not_applicable"  # no HTTPS
    assert seen["CSEC-REC-04"] == "not_applicable"  # a server


def test_a_tls_cluster_passes_the_tls_requirements():
    seen = statuses(record("tls/leader"))
    assert [seen[k] for k in ("CSEC-TLS-01", "CSEC-TLS-03", "CSEC-TLS-04")] == ["pass"] * 3
    assert statuses(record("tls/client"))["CSEC-REC-04"] == "fail"


def test_an_auto_encrypt_client_is_not_asked_for_https_client_certificates():
    agent = record("auto-encrypt/client")
    result = {r["id"]: r for r in audit.audit_agent(agent)}["CSEC-TLS-02"]
    assert result["status"] == "not_applicable" and result["evidence"] == {"auto_encrypt_tls": True}


@pytest.mark.parametrize(("flaw", "control", "status"), [
    ({"https_addrs": ["tcp://0.0.0.0:8501"], "tls_verify_incoming": False}, "CSEC-TLS-02", "fail"),
    ({"https_addrs": ["tcp://0.0.0.0:8501"]}, "CSEC-TLS-02", "pass"),
    ({"https_addrs": ["tcp://127.0.0.1:8501"], "tls_verify_incoming": False}, "CSEC-TLS-02", "not_applicable"),
    ({"http_addrs": ["tcp://10.0.0.5:8500"]}, "CSEC-HTTP-01", "fail"),
    ({"http_addrs": ["unix:///run/consul.sock"]}, "CSEC-HTTP-01", "pass"),
    ({"http_port": -1}, "CSEC-HTTP-01", "pass"),
    ({"enable_script_checks": True}, "CSEC-EXEC-01", "fail"),
    ({"disable_remote_exec": False}, "CSEC-EXEC-02", "fail"),
    ({"tls_min_version": "tls10"}, "CSEC-REC-01", "fail"),
    ({"tls_verify_outgoing": False}, "CSEC-TLS-04", "fail"),
    ({"tls_verify_server_hostname": None}, "CSEC-TLS-04", "unknown"),
])
def test_one_planted_flaw_on_a_tls_server(flaw, control, status):
    agent = copy.deepcopy(record("tls/leader"))
    agent["security"].update(flaw)
    assert statuses(agent)[control] == status


def test_summary_and_the_failures_that_fail_a_play():
    results = audit.audit_agent(record("plain/leader"))
    counted = audit.summary(results)
    assert counted["failed_by_severity"] == {"critical": 5, "high": 3, "medium": 2, "low": 1}
    assert counted["failed_by_agent"] == {"server1": 11}
    assert sum(counted["by_status"].values()) == len(audit.CONTROLS)
    assert {r["id"] for r in audit.fails_at_or_above(results, "critical")} == {
        "CSEC-TLS-01", "CSEC-TLS-03", "CSEC-TLS-04", "CSEC-ACL-01", "CSEC-ACL-02"}
    assert len(audit.fails_at_or_above(results, "low")) == 11


def test_host_controls_are_unknown_until_the_host_is_read():
    seen = statuses(record("plain/leader"))
    assert [seen[k] for k in ("CSEC-HOST-01", "CSEC-HOST-02", "CSEC-HOST-03", "CSEC-HOST-04")] == ["unknown"] * 4


def test_host_controls_on_the_modes_read():
    agent = record("plain/leader")
    agent["host"] = {
        "config_dir": {"path": "/etc/consul.d", "mode": "0755"},
        "data_dir": {"path": "/var/lib/consul", "mode": "0750"},
        "files": [{"path": "/etc/consul.d/50-gossip.json", "mode": "0640", "secret": True},
                  {"path": "/etc/consul.d/00-base.hcl", "mode": "0644", "secret": False}]}
    seen = statuses(agent)
    assert [seen[k] for k in ("CSEC-HOST-01", "CSEC-HOST-02", "CSEC-HOST-03")] == ["pass"] * 3
    agent["host"]["data_dir"]["mode"] = "0755"
    agent["host"]["files"][0]["mode"] = "0644"
    agent["host"]["files"][1]["mode"] = "0666"
    judged = {r["id"]: r for r in audit.audit_agent(agent)}
    assert judged["CSEC-HOST-01"]["evidence"] == {"/var/lib/consul": "0755"}
    assert judged["CSEC-HOST-02"]["evidence"] == {"/etc/consul.d/00-base.hcl": "0666"}
    assert judged["CSEC-HOST-03"]["evidence"] == {"/etc/consul.d/50-gossip.json": "0644"}
    assert all(judged[k]["status"] == "fail" for k in ("CSEC-HOST-01", "CSEC-HOST-02", "CSEC-HOST-03"))


def leader(intentions: str | None) -> dict:
    return state.agent_record(load("plain/leader-self"), load("plain/leader-members"), load("plain/leader-leader"),
                              intentions=load(f"acl-api/{intentions}") if intentions else None)


def test_the_default_deny_intention_is_judged_once_on_the_leader():
    assert statuses(leader("intentions-one"))["CSEC-MESH-01"] == "pass"
    empty = {r["id"]: r for r in audit.audit_agent(leader("intentions-empty"))}["CSEC-MESH-01"]
    assert empty["status"] == "fail" and empty["evidence"] == {"intentions": 0, "star_to_star": []}
    assert statuses(leader(None))["CSEC-MESH-01"] == "unknown"
    follower = state.agent_record(load("plain/follower-self"), load("plain/follower-members"),
                                  load("plain/follower-leader"), intentions=load("acl-api/intentions-one"))
    assert statuses(follower)["CSEC-MESH-01"] == "not_applicable"


def test_the_agent_user_from_its_process():
    agent = record("plain/leader")
    agent["host"] = {"files": [], "process": {"pid": 7, "uid": 0, "euid": 0}}
    judged = {r["id"]: r for r in audit.audit_agent(agent)}["CSEC-HOST-04"]
    assert (judged["status"], judged["evidence"]) == ("fail", {"pid": 7, "uid": 0, "euid": 0})
    agent["host"]["process"] = {"pid": 7, "uid": 105, "euid": 105}
    assert statuses(agent)["CSEC-HOST-04"] == "pass"
    agent["host"]["process"] = None
    assert statuses(agent)["CSEC-HOST-04"] == "unknown"


def keyring_leader(keyring: str, members: str) -> dict:
    """The gossip cluster's leader with a keyring and member list recorded during a rotation."""
    agent_self = load("gossip/leader-self")
    return state.agent_record(agent_self, load(f"keyring/{members}-members"), f"{agent_self['Member']['Addr']}:8300",
                              keyring=load(f"keyring/{keyring}-keyring"))


def test_the_keyring_holds_one_key_on_every_member():
    assert statuses(keyring_leader("one-key", "one-key"))["CSEC-GOSSIP-04"] == "pass"
    unfinished = {r["id"]: r for r in audit.audit_agent(keyring_leader("used", "one-key"))}["CSEC-GOSSIP-04"]
    assert unfinished["status"] == "fail" and "rotation was not finished" in unfinished["why"]
    assert unfinished["evidence"] == {"lan:dc1": {"nodes": 5, "keys": 2}, "wan:dc1": {"nodes": 3, "keys": 2}}
    # a member down: the keyring looks whole (4 of 4) but the member list says 5
    down = {r["id"]: r for r in audit.audit_agent(keyring_leader("one-key", "client-down"))}["CSEC-GOSSIP-04"]
    assert down["status"] == "fail" and "client2 (failed)" in down["evidence"]["missing"][0]
    assert statuses(record("plain/leader"))["CSEC-GOSSIP-04"] == "not_applicable"
    assert statuses(state.agent_record(load("gossip/leader-self"), None, ""))["CSEC-GOSSIP-04"] == "not_applicable"


def test_response_headers_are_judged_as_served_where_a_reply_was_read():
    agent = record("hardened/server")
    agent["served_headers"] = ["X-Consul-Knownleader", "X-Content-Type-Options", "X-Frame-Options"]
    assert statuses(agent)["CSEC-REC-02"] == "pass"
    agent["served_headers"] = ["X-Consul-Knownleader", "x-frame-options"]
    judged = {r["id"]: r for r in audit.audit_agent(agent)}["CSEC-REC-02"]
    assert judged["status"] == "fail" and judged["evidence"]["missing"] == ["X-Content-Type-Options"]


BASE_FAILS = {"CSEC-ACL-01", "CSEC-ACL-02", "CSEC-REC-02", "CSEC-REC-03", "CSEC-TLS-05"}
NO_TLS = {"CSEC-TLS-01", "CSEC-TLS-03", "CSEC-TLS-04"}
NO_GOSSIP = {"CSEC-GOSSIP-01", "CSEC-GOSSIP-02", "CSEC-GOSSIP-03"}


@pytest.mark.parametrize(("stage", "fails"), [
    ("plain/leader", BASE_FAILS | NO_TLS | NO_GOSSIP),
    # gossip phase 1: the key is in use, neither verify flag is on yet
    ("gossip-phase1/leader", BASE_FAILS | NO_TLS | {"CSEC-GOSSIP-02", "CSEC-GOSSIP-03"}),
    ("gossip/leader", BASE_FAILS | NO_TLS),
    ("tls/leader", BASE_FAILS | NO_GOSSIP),
    ("tls/client", BASE_FAILS | NO_GOSSIP | {"CSEC-REC-04"}),
    # the harden role's settings alone: only what the migrations bring is missing
    ("hardened/server", NO_TLS | NO_GOSSIP | {"CSEC-ACL-01", "CSEC-ACL-02"}),
])
def test_each_recorded_stage_fails_what_it_lacks(stage, fails):
    seen = statuses(record(stage))
    assert {k for k, v in seen.items() if v == "fail"} == fails
