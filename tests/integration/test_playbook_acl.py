"""playbooks/acl.yml on real local agents (detached processes, restarted by Ansible through
tests/testbed/agentctl.sh): from Consul's defaults to ACLs with default deny, with a
service registered on a client; checked with plain urllib, the agents' logs and the
secrets the role kept. A first run without a token for the service stops at its agent in
the deny roll; the run that resumes it ends the roll; a second run mints and restarts
nothing; a run whose management secret does not match is stopped before any change."""

from __future__ import annotations

import shutil
import time
import uuid

import pytest

from conftest import LEADER_STOPS, run_playbook
from local_cluster import DetachedCluster, http_call

ALL = ["server1", "server2", "server3", "client1", "client2"]
DNS_RULES = 'node_prefix "" { policy = "read" }\nservice_prefix "" { policy = "read" }\n'
ROLE_VARS = {"acl_anonymous_rules": DNS_RULES, "acl_intentions_default_deny": True,
             "acl_intentions_allow": [{"source": "web", "destination": "db", "description": "web reads db"}]}


def call(cluster: DetachedCluster, name: str, path: str, token: str | None = None,
         method: str = "GET", body: object = None) -> tuple[int, object]:
    return http_call(cluster.agents[name].http_addr + path, token, method, body, timeout=5)


def status_of(cluster: DetachedCluster, name: str, path: str, method: str = "GET") -> int:
    """The status an anonymous request gets, past a transient 500: a client's first request
    on a pooled connection to a server restarted meanwhile can end in "rpc error making
    call: stream closed" (1.8.7, not retried even for reads)."""
    for _attempt in range(5):
        status, body = call(cluster, name, path, method=method, body="x" if method == "PUT" else None)
        if not (status == 500 and "stream closed" in str(body)):
            return status
        time.sleep(0.5)
    return status


def secret(secrets, name: str) -> str:
    return (secrets / name).read_text().strip()


def since_last_start(cluster: DetachedCluster, name: str) -> str:
    log = cluster.agents[name].log_path.read_text()
    return log[log.rfind("Consul agent running!"):]


@pytest.fixture(scope="module")
def rolled(tmp_path_factory):
    base = tmp_path_factory.mktemp("acl-roll")
    cluster = DetachedCluster(base / "cluster", first_host=91)
    cluster.start(timeout=90)
    # stopped also when the set-up fails (an agent left running blocks the next run)
    try:
        client = cluster.agents["client1"]
        registered = call(cluster, "client1", "/v1/agent/service/register", method="PUT", body={
            "Name": "web", "Port": 8500,
            "Check": {"TCP": f"{client.address}:8500", "Interval": "2s"}})
        assert registered[0] == 200
        secrets = base / "secrets"
        inv = cluster.write_inventory(base / "inventory.json", **LEADER_STOPS)
        before_check = {n: a.pidfile.read_text() for n, a in cluster.agents.items()}
        checked = run_playbook("acl", inv, 600, "--check", **ROLE_VARS, acl_secrets_dir=str(secrets))
        (base / "checked.log").write_text(checked.stdout + checked.stderr)
        after_check = {
            "pids": {n: a.pidfile.read_text() for n, a in cluster.agents.items()} == before_check,
            "files": sorted(p.name for a in cluster.agents.values() for p in a.config_dir.iterdir()
                            if "acl" in p.name),
            "secrets": secrets.exists(),
            "acls": {n: call(cluster, n, "/v1/agent/self")[1]["DebugConfig"]["ACLsEnabled"] for n in ALL},
        }
        # no default token for client1's service: the deny roll must stop at client1
        stopped = run_playbook("acl", inv, **ROLE_VARS, acl_secrets_dir=str(secrets),
                               acl_services_default_token=False, acl_timeout=90)
        (base / "stopped.log").write_text(stopped.stdout + stopped.stderr)
        recovery = secret(secrets, "agent-recovery.token")
        policies = {n: call(cluster, n, "/v1/agent/self", recovery)[1]["DebugConfig"]["ACLDefaultPolicy"]
                    for n in ALL}
        client1_log = len(cluster.agents["client1"].log_path.read_text())
        first = run_playbook("acl", inv, **ROLE_VARS, acl_secrets_dir=str(secrets))
        (base / "first.log").write_text(first.stdout + first.stderr)
        pids = {n: a.pidfile.read_text() for n, a in cluster.agents.items()}
        management = secret(secrets, "management.token")
        tokens_before = call(cluster, "server1", "/v1/acl/tokens", management)[1]
        second = run_playbook("acl", inv, **ROLE_VARS, acl_secrets_dir=str(secrets))
        (base / "second.log").write_text(second.stdout + second.stderr)
        runs = {"stopped": stopped, "first": first, "second": second, "policies": policies,
                "client1_log": client1_log, "checked": checked, "after_check": after_check}
        yield cluster, secrets, runs, pids, tokens_before, inv, base
    finally:
        cluster.stop()


def test_check_mode_changes_nothing(rolled):
    _cluster, _secrets, runs, _pids, _tokens, _inv, _base = rolled
    checked = runs["checked"]
    assert checked.returncode == 0, checked.stdout[-4000:]
    assert "would restart in this order" in checked.stdout
    assert runs["after_check"] == {"pids": True, "files": [], "secrets": False,
                                   "acls": dict.fromkeys(ALL, False)}


def test_the_roll_ends_in_default_deny_with_every_agent_healthy(rolled):
    cluster, secrets, runs, _pids, _tokens, _inv, _base = rolled
    first = runs["first"]
    assert first.returncode == 0, first.stdout[-4000:] + first.stderr[-2000:]
    recovery = secret(secrets, "agent-recovery.token")
    for name in ALL:
        status, agent = call(cluster, name, "/v1/agent/self", recovery)
        assert status == 200, name
        config = agent["DebugConfig"]
        assert (config["ACLsEnabled"], config["ACLDefaultPolicy"], config["ACLEnableTokenPersistence"]) \
            == (True, "deny", True), name
    observer = secret(secrets, "observer.token")
    health = call(cluster, "server1", "/v1/health/state/any?filter=CheckID%20%3D%3D%20%22serfHealth%22", observer)[1]
    assert sorted(c["Node"] for c in health if c["Status"] == "passing") == sorted(ALL)


def test_anonymous_callers_read_only_what_was_allowed(rolled):
    cluster, _secrets, _runs, _pids, _tokens, _inv, _base = rolled
    assert status_of(cluster, "client2", "/v1/catalog/service/web") == 200
    assert status_of(cluster, "client2", "/v1/kv/anything", method="PUT") == 403
    assert status_of(cluster, "client2", "/v1/kv/anything") == 403
    assert status_of(cluster, "server1", "/v1/acl/tokens") == 403
    assert status_of(cluster, "client1", "/v1/agent/self") == 403


def test_a_service_without_a_token_stops_the_deny_roll_at_its_agent(rolled):
    """The servers deny first; client1 then restarts into a cluster that refuses its
    service's registration, and the run stops there, naming what the catalog lacks."""
    _cluster, _secrets, runs, _pids, _tokens, _inv, _base = rolled
    stopped = runs["stopped"]
    assert stopped.returncode != 0
    output = " ".join((stopped.stdout + stopped.stderr).split())  # the callback folds lines
    assert "ACL stopped in phase 2 (default deny) on client1" in output, output[-3000:]
    assert "catalog_in_sync: expected True" in output, output[-3000:]
    assert "service" in output[output.find("catalog_in_sync: expected True"):] or \
        "consul.acl.blocked.service.registration" in output, output[-3000:]
    # servers first, then client1, where it stopped; client2 untouched
    assert runs["policies"] == {"server1": "deny", "server2": "deny", "server3": "deny",
                                "client1": "deny", "client2": "allow"}


def test_the_service_stays_registered_and_every_agent_syncs_with_its_token(rolled):
    """After the resumed run (which gave client1 a default token for its service)."""
    cluster, secrets, runs, _pids, _tokens, _inv, _base = rolled
    management = secret(secrets, "management.token")
    deadline = time.monotonic() + 30
    while True:
        checks = call(cluster, "server1", "/v1/health/service/web", management)[1]
        if checks and all(c["Status"] == "passing" for c in checks[0]["Checks"]):
            break
        assert time.monotonic() < deadline, checks
        time.sleep(1)
    assert checks[0]["Node"]["Node"] == "client1"
    # anti-entropy ran with each agent's token since its last restart (in deny mode);
    # client1 was restarted by the stopped run, and synced its service in the resumed one
    time.sleep(5)
    for name in ALL:
        log = since_last_start(cluster, name)
        if name == "client1":
            resumed = cluster.agents[name].log_path.read_text()[runs["client1_log"]:]
            assert "Synced service: service=web" in resumed, resumed[-2000:]
            log = resumed[resumed.rfind("Synced service: service=web"):]
        else:
            assert "Synced node info" in log, name
        assert "blocked by ACLs" not in log, (name, [line for line in log.splitlines() if "blocked" in line])


def test_the_management_token_works_and_no_secret_was_shown(rolled):
    cluster, secrets, runs, _pids, _tokens, _inv, _base = rolled
    management = secret(secrets, "management.token")
    status, me = call(cluster, "server1", "/v1/acl/token/self", management)
    assert status == 200 and [p["Name"] for p in me["Policies"]] == ["global-management"]
    output = "".join(run.stdout + run.stderr for key, run in runs.items()
                     if key in ("stopped", "first", "second"))
    for path in secrets.iterdir():
        assert path.stat().st_mode & 0o077 == 0, path
        assert path.read_text().strip() not in output, path.name


def test_intentions_deny_by_default_and_allow_what_was_listed(rolled):
    cluster, secrets, runs, _pids, _tokens, _inv, _base = rolled
    intentions = call(cluster, "server1", "/v1/connect/intentions", secret(secrets, "management.token"))[1]
    assert sorted((i["SourceName"], i["DestinationName"], i["Action"]) for i in intentions) == [
        ("*", "*", "deny"), ("web", "db", "allow")]


def test_a_second_run_mints_nothing_and_restarts_nothing(rolled):
    cluster, secrets, runs, pids, tokens_before, _inv, _base = rolled
    second = runs["second"]
    assert second.returncode == 0, second.stdout[-4000:]
    recap = second.stdout[second.stdout.rfind("PLAY RECAP"):]
    assert "changed=0" in recap and "changed=1" not in recap, recap
    assert {n: a.pidfile.read_text() for n, a in cluster.agents.items()} == pids
    tokens_after = call(cluster, "server1", "/v1/acl/tokens", secret(secrets, "management.token"))[1]
    assert sorted(t["AccessorID"] for t in tokens_after) == sorted(t["AccessorID"] for t in tokens_before)


def test_a_management_secret_that_does_not_match_stops_the_run(rolled):
    cluster, secrets, _runs, pids, _tokens, inv, base = rolled
    other = base / "other-secrets"
    shutil.copytree(secrets, other)
    (other / "management.token").write_text(str(uuid.uuid4()) + "\n")
    refused = run_playbook("acl", inv, acl_secrets_dir=str(other))
    assert refused.returncode != 0
    assert "bootstrapped already, but the held secret is not a token the servers know" in refused.stdout
    assert "acl-bootstrap-reset" in refused.stdout
    assert {n: a.pidfile.read_text() for n, a in cluster.agents.items()} == pids
