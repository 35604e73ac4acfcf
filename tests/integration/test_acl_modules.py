"""The ACL modules on real agents: one server and one client with ACLs on (default deny)
and an agent recovery token, as the ACL role's first stage leaves them."""

from __future__ import annotations

import stat
import time
import uuid

import pytest

from conftest import run_module, run_module_output
from local_cluster import LocalCluster, http_call

RECOVERY = "00000000-0000-4000-8000-00000000aaaa"
ACL = {"acl": {"enabled": True, "default_policy": "deny", "enable_token_persistence": True,
               "tokens": {"agent_master": RECOVERY}}}


def call(cluster: LocalCluster, name: str, path: str, token: str | None = None,
         method: str = "GET", body: object = None) -> tuple[int, object]:
    return http_call(cluster.agents[name].http_addr + path, token, method, body, timeout=5)


def up(cluster: LocalCluster) -> bool:
    """A leader, and the client answering its recovery token."""
    try:
        return call(cluster, "server1", "/v1/status/leader")[1] not in ("", None) and \
            call(cluster, "client1", "/v1/agent/members", RECOVERY)[0] == 200
    except OSError:  # not listening yet
        return False


@pytest.fixture(scope="module")
def acl_cluster(tmp_path_factory):
    cluster = LocalCluster(tmp_path_factory.mktemp("acl-modules") / "cluster", servers=1, clients=1,
                           first_host=81)
    cluster.prepare()
    for name in cluster.agents:
        cluster.write_fragment(name, "70-acl.json", ACL)
    # not `with cluster`: its health wait reads anonymously, which default deny refuses
    try:
        for name in cluster.agents:
            cluster.start_agent(name)
        deadline = time.monotonic() + 60
        while not up(cluster):
            assert time.monotonic() < deadline, "the ACL cluster never came up"
            time.sleep(0.5)
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="module")
def management(acl_cluster, tmp_path_factory):
    """The management secret, from a first bootstrap with a generated secret."""
    secret_file = tmp_path_factory.mktemp("secrets") / "management.token"
    result, output = run_module_output("consul_acl_bootstrap", {
        "http_addr": acl_cluster.agents["server1"].http_addr, "secret_file": str(secret_file)}, verbosity=3)
    secret = secret_file.read_text().strip()
    return secret_file, secret, result, output


def test_bootstrap_keeps_a_secret_chosen_beforehand(acl_cluster, management):
    secret_file, secret, result, output = management
    assert result.get("failed") is not True, result
    assert result["changed"] and result["bootstrapped_now"]
    # 1.8.7 ignores BootstrapSecret: a management token with the chosen secret replaced its own
    assert result["secret_kept_by"] == "token"
    assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600
    status, me = call(acl_cluster, "server1", "/v1/acl/token/self", secret)
    assert status == 200 and me["AccessorID"] == result["accessor_id"]
    assert [p["Name"] for p in me["Policies"]] == ["global-management"]
    # the bootstrap token nobody holds is gone: ours and the anonymous token remain
    tokens = call(acl_cluster, "server1", "/v1/acl/tokens", secret)[1]
    assert sorted(t["AccessorID"] for t in tokens) == sorted(
        [result["accessor_id"], "00000000-0000-0000-0000-000000000002"])
    assert secret not in output


def test_a_second_bootstrap_with_the_held_secret_changes_nothing(acl_cluster, management):
    secret_file, _secret, _result, _output = management
    again = run_module("consul_acl_bootstrap", {
        "http_addr": acl_cluster.agents["server1"].http_addr, "secret_file": str(secret_file)})
    assert again["changed"] is False and again["bootstrapped_now"] is False


def test_a_bootstrap_by_someone_else_is_an_error_with_the_reset_procedure(acl_cluster, management):
    other = run_module("consul_acl_bootstrap", {
        "http_addr": acl_cluster.agents["server1"].http_addr, "secret": str(uuid.uuid4()),
        "data_dir": str(acl_cluster.agents["server1"].data_dir)})
    assert other["failed"]
    assert "bootstrapped already, but the held secret is not a token the servers know" in other["msg"]
    assert f"{acl_cluster.agents['server1'].data_dir}/acl-bootstrap-reset" in other["msg"]


def test_policy_and_token_are_kept_as_given(acl_cluster, management):
    _file, secret, _result, _output = management
    api = {"http_addr": acl_cluster.agents["server1"].http_addr, "token": secret}
    policy = {**api, "name": "anonymous-dns", "rules": 'node_prefix "" { policy = "read" }\n'}
    assert run_module("consul_acl_policy", policy)["changes"] == ["created"]
    assert run_module("consul_acl_policy", policy)["changed"] is False
    wider = dict(policy, rules=policy["rules"] + 'service_prefix "" { policy = "read" }\n')
    checked = run_module("consul_acl_policy", wider, check=True)
    assert checked["changes"] == ["rules"]
    assert call(acl_cluster, "server1", "/v1/acl/policy/name/anonymous-dns", secret)[1]["Rules"] == policy["rules"]
    assert run_module("consul_acl_policy", wider)["changes"] == ["rules"]

    accessor, token_secret = str(uuid.uuid4()), str(uuid.uuid4())
    token = {**api, "accessor_id": accessor, "secret_id": token_secret, "description": "agent client1",
             "node_identities": [{"node_name": "client1", "datacenter": "dc1"}]}
    created, output = run_module_output("consul_acl_token", token, verbosity=3)
    assert created["changes"] == ["created"] and token_secret not in output
    assert run_module("consul_acl_token", token)["changed"] is False
    assert run_module("consul_acl_token", dict(token, policies=["anonymous-dns"]))["changes"] == ["policies"]
    rekeyed = run_module("consul_acl_token", dict(token, secret_id=str(uuid.uuid4())))
    assert rekeyed["failed"] and "cannot change a token's SecretID" in rekeyed["msg"]
    assert call(acl_cluster, "server1", "/v1/acl/token/self", token_secret)[1]["AccessorID"] == accessor
    assert run_module("consul_acl_policy", {**api, "name": "anonymous-dns", "state": "absent"})["changed"]
    assert run_module("consul_acl_policy", {**api, "name": "anonymous-dns", "state": "absent"})["changed"] is False


def test_a_role_is_kept_as_given_and_a_token_takes_its_rights(acl_cluster, management):
    _file, secret, _result, _output = management
    api = {"http_addr": acl_cluster.agents["server1"].http_addr, "token": secret}
    assert run_module("consul_acl_policy", {**api, "name": "kv-web-read",
                                            "rules": 'key_prefix "web/" { policy = "read" }\n'})["changed"]
    role = {**api, "name": "web", "description": "web instances", "policies": ["kv-web-read"],
            "service_identities": [{"service_name": "web"}]}
    created = run_module("consul_acl_role", role)
    assert created["changes"] == ["created"] and created["role"]["policies"] == ["kv-web-read"]
    assert run_module("consul_acl_role", role)["changed"] is False
    checked = run_module("consul_acl_role", dict(role, description="web and sidecars"), check=True)
    assert checked["changes"] == ["description"]
    assert call(acl_cluster, "server1", "/v1/acl/role/name/web", secret)[1]["Description"] == "web instances"

    accessor, token_secret = str(uuid.uuid4()), str(uuid.uuid4())
    assert run_module("consul_acl_token", {**api, "accessor_id": accessor, "secret_id": token_secret,
                                           "roles": ["web"]})["changed"]
    call(acl_cluster, "server1", "/v1/kv/web/greeting", secret, method="PUT", body="hello")
    assert call(acl_cluster, "server1", "/v1/kv/web/greeting", token_secret)[0] == 200
    assert call(acl_cluster, "server1", "/v1/kv/other", token_secret)[0] == 403
    assert run_module("consul_acl_token", {**api, "accessor_id": accessor, "state": "absent"})["changed"]
    assert run_module("consul_acl_role", {**api, "name": "web", "state": "absent"})["changed"]
    assert run_module("consul_acl_role", {**api, "name": "web", "state": "absent"})["changed"] is False


def test_an_unknown_token_is_named_not_taken_for_a_missing_policy(acl_cluster, management):
    refused = run_module("consul_acl_policy", {"http_addr": acl_cluster.agents["server1"].http_addr,
                                               "token": str(uuid.uuid4()), "name": "x", "rules": ""})
    assert refused["failed"] and "is not known to the servers" in refused["msg"]


def test_an_agent_takes_its_token_and_its_anti_entropy_works(acl_cluster, management):
    _file, secret, _result, _output = management
    client = acl_cluster.agents["client1"]
    accessor, token_secret = str(uuid.uuid4()), str(uuid.uuid4())
    run_module("consul_acl_token", {
        "http_addr": acl_cluster.agents["server1"].http_addr, "token": secret, "accessor_id": accessor,
        "secret_id": token_secret, "node_identities": [{"node_name": "client1", "datacenter": "dc1"}]})
    args = {"http_addr": client.http_addr, "agent_recovery_token": RECOVERY, "token_type": "agent",
            "value": token_secret, "data_dir": str(client.data_dir)}
    assert run_module("consul_agent_token", args, check=True)["changed"]
    mark = client.log_path.read_text().count("\n")
    first, output = run_module_output("consul_agent_token", args, verbosity=3)
    assert first["changed"] and first["persisted"] is True and token_secret not in output
    assert run_module("consul_agent_token", args)["changed"] is False
    # its node information syncs with its own token now (default deny refused it before)
    deadline = time.monotonic() + 60
    while "Synced node info" not in "\n".join(client.log_path.read_text().splitlines()[mark:]):
        assert time.monotonic() < deadline, "the client never synced with its token"
        time.sleep(1)
    # without agent:write, setting a token is refused
    anonymous = run_module("consul_agent_token", {k: v for k, v in args.items()
                                                  if k not in ("agent_recovery_token", "data_dir")})
    assert anonymous["failed"] and "403" in anonymous["msg"]


def test_a_secret_is_made_once_and_kept(tmp_path):
    path = tmp_path / "agent.token"
    made, output = run_module_output("consul_acl_secret", {"path": str(path)})
    assert made["changed"] and made["source"] == "generated"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and path.read_text().strip() == made["secret"]
    again = run_module("consul_acl_secret", {"path": str(path)})
    assert (again["changed"], again["secret"]) == (False, made["secret"])
    other = run_module("consul_acl_secret", {"path": str(path), "secret": str(uuid.uuid4())})
    assert other["failed"] and "keeps another secret" in other["msg"]
    assert not run_module("consul_acl_secret", {"path": str(tmp_path / "x"), "secret": "nope"}).get("secret")


def test_intentions_default_deny_and_an_allow(acl_cluster, management):
    _file, secret, _result, _output = management
    api = {"http_addr": acl_cluster.agents["server1"].http_addr, "token": secret}
    deny = {**api, "source": "*", "destination": "*", "action": "deny", "description": "default deny"}
    assert run_module("consul_intention", deny, check=True)["changes"] == ["created"]
    assert run_module("consul_intention", deny)["changes"] == ["created"]
    assert run_module("consul_intention", deny)["changed"] is False
    allow = {**api, "source": "web", "destination": "db", "action": "allow"}
    assert run_module("consul_intention", allow)["intention"]["action"] == "allow"
    assert run_module("consul_intention", dict(allow, action="deny"))["changes"] == ["action"]
    listed = call(acl_cluster, "server1", "/v1/connect/intentions", secret)[1]
    assert sorted((i["SourceName"], i["DestinationName"], i["Action"]) for i in listed) == [
        ("*", "*", "deny"), ("web", "db", "deny")]
    assert run_module("consul_intention", dict(allow, state="absent"))["changed"]
    # anonymous callers may not write intentions under default deny
    assert run_module("consul_intention", {k: v for k, v in allow.items() if k != "token"})["failed"]
