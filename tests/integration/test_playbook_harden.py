"""playbooks/harden.yml on real local agents (detached processes, restarted by Ansible
through tests/testbed/agentctl.sh), from Consul's defaults: bad input (a batch size of
"150%" too) and an address that would lose the API are refused before any change; a batch
beyond forks is reported; check mode changes nothing; the run reloads the RPC rate limit
and rolls the rest (six clients, "50%": three at a time), after which every agent runs the
settings, serves the headers, keeps its files closed and passes the audit's controls for
them; a second run reloads and restarts nothing."""

from __future__ import annotations

import os
import stat
import time
import urllib.request

import pytest

from conftest import ALL, LEADER_STOPS, announced_batches, assert_restarted_as_announced, run_module, run_playbook
from local_cluster import DetachedCluster, http_call

HARDEN = {
    "harden_script_checks": "local",
    "harden_allow_write_http_from": ["127.0.0.0/8"],
    "harden_tls_cipher_suites": ["TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"],
    "harden_limits": {"rpc_rate": 500, "rpc_max_burst": 1000, "http_max_conns_per_client": 150,
                      "rpc_handshake_timeout": "4000ms"},
    # six clients: two batches of three
    "harden_client_batch_size": "50%",
}
NOBODY = 65534  # a user and group the agents' files do not belong to
CONTROLS_FIXED = {"CSEC-EXEC-01", "CSEC-EXEC-02", "CSEC-TLS-05", "CSEC-REC-01", "CSEC-REC-02",
                  "CSEC-REC-03", "CSEC-HOST-01", "CSEC-HOST-02", "CSEC-HOST-03"}


def debug_config(cluster: DetachedCluster, name: str) -> dict:
    return http_call(cluster.agents[name].http_addr + "/v1/agent/self", timeout=5)[1]["DebugConfig"]


def pids(cluster: DetachedCluster) -> dict[str, str]:
    return {n: a.pidfile.read_text() for n, a in cluster.agents.items()}


def recap(run) -> str:
    return run.stdout[run.stdout.rfind("PLAY RECAP"):]


@pytest.fixture(scope="module")
def hardened(tmp_path_factory):
    base = tmp_path_factory.mktemp("harden")
    cluster = DetachedCluster(base / "cluster", first_host=111, clients=6)
    cluster.start(timeout=90)
    inventory = cluster.write_inventory(base / "inventory.json", **LEADER_STOPS)
    # flaws the role must close: a data dir and a fragment open to others
    cluster.agents["client2"].data_dir.chmod(0o755)
    planted = cluster.write_fragment("client1", "20-operator.json", {"node_meta": {"team": "a"}})
    planted.chmod(0o666)
    # files with a token: one of the agent's user, one of another user and group (closing
    # that one would lock the agent out)
    token = {"acl": {"tokens": {"default": "00000000-0000-0000-0000-00000000f00d"}}}
    cluster.write_fragment("client1", "22-token.json", token).chmod(0o644)
    foreign = cluster.write_fragment("client1", "21-foreign.json", token)
    foreign.chmod(0o644)
    os.chown(foreign, NOBODY, NOBODY)
    # forks 2: the batches of three clients are more than the controller runs at once
    runs = {"bad": run_playbook("harden", inventory, 600, "--forks", "2",
                                **{**HARDEN, "harden_limits": {"rpc_ratee": 5}})}
    runs["batch"] = run_playbook("harden", inventory, 600, **{**HARDEN, "harden_client_batch_size": "150%"})
    runs["address"] = run_playbook("harden", inventory, 600, **{**HARDEN, "harden_client_addr": "127.0.0.1"})
    # the agents run as root, restarted by a command: they cannot be switched to nobody
    nobody = {"harden_agent_user": "nobody", "harden_agent_group": "nogroup"}
    runs["user"] = run_playbook("harden", inventory, 600, **{**HARDEN, **nobody})
    runs["untouched"] = pids(cluster)
    runs["fragments"] = sorted(p.name for n in ALL for p in cluster.agents[n].config_dir.iterdir())
    runs["data_dir_mode"] = stat.S_IMODE(cluster.agents["client2"].data_dir.stat().st_mode)
    runs["check"] = run_playbook("harden", inventory, 600, "--check", **HARDEN)
    runs["checked"] = pids(cluster)
    runs["fragments_checked"] = sorted(p.name for n in ALL for p in cluster.agents[n].config_dir.iterdir())
    runs["first_since"] = time.time()
    runs["first"] = run_playbook("harden", inventory, 900, **HARDEN)
    runs["after_first"] = pids(cluster)
    runs["second"] = run_playbook("harden", inventory, 600, **HARDEN)
    yield cluster, runs, base
    cluster.stop()


def test_bad_input_and_a_lost_address_are_refused_before_any_change(hardened):
    _cluster, runs, base = hardened
    bad, address = runs["bad"], runs["address"]
    assert bad.returncode != 0 and "unknown limits rpc_ratee" in bad.stdout, bad.stdout[-3000:]
    assert address.returncode != 0
    assert "would not serve the API at consul_http_addr" in " ".join(address.stdout.split()), address.stdout[-3000:]
    user = " ".join(runs["user"].stdout.split())
    assert runs["user"].returncode != 0
    assert "the agent runs as root, not nobody, and cannot be switched" in user, user[-3000:]
    assert "it is restarted by consul_restart_command, which must start it as nobody" in user
    # pytest's directories are closed to others: nobody could not reach the configuration
    assert "the user nobody (group nogroup) could not read " in user
    assert f" {base}," in user or f" {base}:" in user
    assert not [f for f in runs["fragments"] if "harden" in f]
    assert runs["data_dir_mode"] == 0o755


def test_a_bad_batch_size_is_refused_and_a_batch_beyond_forks_reported(hardened):
    _cluster, runs, _base = hardened
    batch = " ".join(runs["batch"].stdout.split())
    assert runs["batch"].returncode != 0
    assert "harden_client_batch_size is '150%': a percentage must be from 1% to 100%" in batch, batch[-3000:]
    assert "Nothing was changed" in batch and "Write once consul validate" not in batch
    bad = " ".join(runs["bad"].stdout.split())
    assert "harden_client_batch_size (50%) makes batches of 3 clients, but Ansible runs a task on 2 hosts" in bad


def test_clients_restart_half_at_a_time_in_the_announced_order(hardened):
    """Six clients in batches of "50%": two batches of three, each restarted together, then
    the servers one by one, read from the agents' starts."""
    cluster, runs, _base = hardened
    batches = announced_batches(runs["first"].stdout)
    clients = [b for b in batches if b[0].startswith("client")]
    assert [len(b) for b in clients] == [3, 3] * (len(clients) // 2) and clients, batches
    assert all(len(b) == 1 for b in batches if b[0].startswith("server")), batches
    assert_restarted_as_announced(cluster, runs["first"].stdout, runs["first_since"])


def test_check_mode_changes_nothing(hardened):
    cluster, runs, _base = hardened
    check = runs["check"]
    assert check.returncode == 0, check.stdout[-4000:]
    assert "would restart in this order" in check.stdout
    assert runs["checked"] == runs["untouched"]
    assert runs["fragments_checked"] == runs["fragments"]


def test_every_agent_runs_the_settings_after_the_roll(hardened):
    cluster, runs, _base = hardened
    first = runs["first"]
    assert first.returncode == 0, first.stdout[-5000:]
    assert all(runs["after_first"][n] != runs["checked"][n] for n in ALL)
    for name in ALL:
        config = debug_config(cluster, name)
        assert (config["EnableRemoteScriptChecks"], config["EnableLocalScriptChecks"],
                config["DisableRemoteExec"], config["EnableAgentTLSForChecks"]) == (False, True, True, True)
        assert (config["RPCRateLimit"], config["RPCMaxBurst"], config["HTTPMaxConnsPerClient"],
                config["RPCHandshakeTimeout"]) == (500, 1000, 150, "4s")
        assert config["TLSCipherSuites"] == [0xC02F] and config["AllowWriteHTTPFrom"] == ["127.0.0.0/8"]
        with urllib.request.urlopen(cluster.agents[name].http_addr + "/v1/status/leader", timeout=5) as reply:  # noqa: S310
            assert reply.headers["X-Frame-Options"] == "DENY"
            assert reply.headers["X-Content-Type-Options"] == "nosniff"
        fragment = cluster.agents[name].config_dir / "60-consulsec-harden.json"
        assert stat.S_IMODE(fragment.stat().st_mode) == 0o640
    assert stat.S_IMODE(cluster.agents["client2"].data_dir.stat().st_mode) & 0o007 == 0
    config = cluster.agents["client1"].config_dir
    # no secret: only writes by others are taken away; a secret: closed to others
    assert stat.S_IMODE((config / "20-operator.json").stat().st_mode) == 0o664
    assert stat.S_IMODE((config / "22-token.json").stat().st_mode) == 0o640
    foreign = cluster.agents["client1"].config_dir / "21-foreign.json"
    assert stat.S_IMODE(foreign.stat().st_mode) == 0o644
    assert "left open to others, because neither" in " ".join(first.stdout.split())
    assert str(foreign) in first.stdout


def test_the_audit_passes_what_the_role_set(hardened):
    cluster, _runs, _base = hardened
    for name in ("server1", "client2"):
        agent = cluster.agents[name]
        audited = run_module("consul_audit", {"http_addr": agent.http_addr, "config_dir": str(agent.config_dir),
                                              "data_dir": str(agent.data_dir)})
        status = {r["id"]: r["status"] for r in audited["results"]}
        assert {c: status[c] for c in CONTROLS_FIXED} == dict.fromkeys(CONTROLS_FIXED, "pass"), name
        assert status["CSEC-REC-04"] == ("pass" if name == "client2" else "not_applicable")


def test_a_second_run_reloads_and_restarts_nothing(hardened):
    cluster, runs, _base = hardened
    second = runs["second"]
    assert second.returncode == 0, second.stdout[-4000:]
    assert "changed=0" in recap(second) and "changed=1" not in recap(second), recap(second)
    assert pids(cluster) == runs["after_first"]
