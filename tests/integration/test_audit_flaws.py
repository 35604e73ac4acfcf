"""consul_audit against one real agent that meets every control (gossip encrypted and
verified, mTLS, ACLs denying by default, the default-deny intention, the harden role's
settings, closed files), then the same agent with one flaw planted at a time: the audit
must flag exactly the planted flaw (and, on test machines where the agents run as root,
the agent's user)."""

from __future__ import annotations

import base64
import os
import time
import uuid

import pytest

from conftest import run_module
from local_cluster import LocalCluster, http_call

KEY = base64.b64encode(bytes(range(7, 39))).decode()
SECOND_KEY = base64.b64encode(bytes(range(40, 72))).decode()
MASTER = str(uuid.UUID(int=0x5EC))
# where the agents run as root (the test machines), the agent's user fails as well
ROOT = {"CSEC-HOST-04"} if os.getuid() == 0 else set()
FRAGMENTS = {
    "50-gossip.json": {"encrypt": KEY, "encrypt_verify_incoming": True, "encrypt_verify_outgoing": True},
    "70-acl.json": {"acl": {"enabled": True, "default_policy": "deny",
                            "tokens": {"master": MASTER, "agent": MASTER}}},
    "80-harden.json": {"enable_script_checks": False, "disable_remote_exec": True,
                       "enable_agent_tls_for_checks": True, "tls_min_version": "tls12",
                       "limits": {"rpc_rate": 100}},
    "81-headers.json": {"http_config": {"response_headers": {"X-Frame-Options": "DENY"}}},
    "82-writes.json": {"http_config": {"allow_write_http_from": ["127.0.0.0/8"]}},
}


def call(agent, path: str, method: str = "GET", body=None):
    return http_call(agent.http_addr + path, MASTER, method, body, timeout=5)


def restart(cluster: LocalCluster, http_addr: str | None = None) -> None:
    agent = cluster.agents["server1"]
    cluster.restart_agent("server1")
    address = http_addr or agent.http_addr
    deadline = time.monotonic() + 60
    while True:
        try:
            if http_call(address + "/v1/status/leader", timeout=2)[1] and \
                    http_call(address + "/v1/operator/keyring", MASTER, timeout=3)[0] == 200:
                return
        except OSError:
            pass
        assert time.monotonic() < deadline, agent.log_path.read_text()[-2000:]
        time.sleep(0.3)


def failures(cluster: LocalCluster, http_addr: str | None = None) -> set[str]:
    agent = cluster.agents["server1"]
    audited = run_module("consul_audit", {"http_addr": http_addr or agent.http_addr, "token": MASTER,
                                          "config_dir": str(agent.config_dir), "data_dir": str(agent.data_dir)})
    assert not audited.get("failed"), audited
    results = audited["results"]
    assert not [r for r in results if r["status"] == "unknown"], [r for r in results if r["status"] == "unknown"]
    return {r["id"] for r in results if r["status"] == "fail"}


@pytest.fixture(scope="module")
def secure(tmp_path_factory):
    cluster = LocalCluster(tmp_path_factory.mktemp("flaws") / "cluster", servers=1, clients=0, first_host=121)
    cluster.prepare()
    cluster.write_tls()
    for name, content in FRAGMENTS.items():
        cluster.write_fragment("server1", name, content)
    for path in cluster.agents["server1"].config_dir.iterdir():
        path.chmod(0o640)
    cluster.start_agent("server1")
    try:
        restart(cluster)
        agent = cluster.agents["server1"]
        created = call(agent, "/v1/connect/intentions", "POST",
                       {"SourceName": "*", "DestinationName": "*", "Action": "deny"})
        assert created[0] == 200, created
        yield cluster
    finally:
        cluster.stop()


def test_the_secured_agent_fails_nothing(secure):
    assert failures(secure) == ROOT


CONFIG_FLAWS = [
    ("script checks on", {"enable_script_checks": True}, "CSEC-EXEC-01"),
    ("remote exec on", {"disable_remote_exec": False}, "CSEC-EXEC-02"),
    ("ACLs allow by default", {"acl": {"default_policy": "allow"}}, "CSEC-ACL-02"),
    ("unencrypted gossip accepted", {"encrypt_verify_incoming": False}, "CSEC-GOSSIP-02"),
    ("server names not verified", {"verify_server_hostname": False}, "CSEC-TLS-04"),
    ("incoming RPC without a certificate", {"verify_incoming": False}, "CSEC-TLS-01"),
    ("TLS 1.0 allowed", {"tls_min_version": "tls10"}, "CSEC-REC-01"),
    ("agent TLS for checks off", {"enable_agent_tls_for_checks": False}, "CSEC-TLS-05"),
]


@pytest.mark.parametrize(("flaw", "content", "control"), CONFIG_FLAWS, ids=[f[0] for f in CONFIG_FLAWS])
def test_one_configuration_flaw_is_flagged_alone(secure, flaw, content, control):
    fragment = secure.write_fragment("server1", "90-flaw.json", content)
    fragment.chmod(0o640)
    try:
        restart(secure)
        assert failures(secure) == {control} | ROOT, flaw
    finally:
        fragment.unlink()
        restart(secure)


@pytest.mark.parametrize(("flaw", "removed", "control"), [
    ("no response headers", "81-headers.json", "CSEC-REC-02"),
    ("HTTP writes from anywhere", "82-writes.json", "CSEC-REC-03"),
])
def test_one_missing_setting_is_flagged_alone(secure, flaw, removed, control):
    path = secure.agents["server1"].config_dir / removed
    kept = path.read_text()
    path.unlink()
    try:
        restart(secure)
        assert failures(secure) == {control} | ROOT, flaw
    finally:
        path.write_text(kept)
        path.chmod(0o640)
        restart(secure)


def test_plain_http_on_every_interface_is_flagged_alone(secure):
    # other ports than the test bed's, so the wildcard listener meets no other agent's
    agent = secure.agents["server1"]
    flaw = {"client_addr": "0.0.0.0", "ports": {"http": 18500, "https": 18501}}
    fragment = secure.write_fragment("server1", "90-flaw.json", flaw)
    fragment.chmod(0o640)
    address = f"http://{agent.address}:18500"
    try:
        restart(secure, address)
        assert failures(secure, address) == {"CSEC-HTTP-01"} | ROOT
    finally:
        fragment.unlink()
        restart(secure)


@pytest.mark.parametrize(("flaw", "target", "mode", "control"), [
    ("data dir open to others", "data", 0o755, "CSEC-HOST-01"),
    ("config dir writable by others", "config", 0o757, "CSEC-HOST-02"),
    ("gossip key readable by others", "config/50-gossip.json", 0o644, "CSEC-HOST-03"),
])
def test_one_host_flaw_is_flagged_alone(secure, flaw, target, mode, control):
    path = secure.agents["server1"].base / target
    before = path.stat().st_mode & 0o777
    path.chmod(mode)
    try:
        assert failures(secure) == {control} | ROOT, flaw
    finally:
        path.chmod(before)


def test_an_unfinished_rotation_and_a_missing_deny_intention_are_flagged_alone(secure):
    agent = secure.agents["server1"]
    assert call(agent, "/v1/operator/keyring", "POST", {"Key": SECOND_KEY})[0] == 200
    try:
        assert failures(secure) == {"CSEC-GOSSIP-04"} | ROOT
    finally:
        assert call(agent, "/v1/operator/keyring", "DELETE", {"Key": SECOND_KEY})[0] == 200
    deny = next(i for i in call(agent, "/v1/connect/intentions")[1] if i["SourceName"] == "*")
    assert call(agent, f"/v1/connect/intentions/{deny['ID']}", "DELETE")[0] == 200
    assert failures(secure) == {"CSEC-MESH-01"} | ROOT
