"""playbooks/cluster_state.yml with several agents on one machine (ansible_connection=local),
each inventory host with its own directories and API address."""

from __future__ import annotations

import subprocess

from conftest import run_playbook


def inventory(cluster, tmp_path, **overrides) -> str:
    return cluster.write_inventory(tmp_path / "inventory.json", per_host=overrides)


def test_state_of_every_agent_and_a_whole_cluster(cluster, tmp_path):
    done = run_playbook("cluster_state", inventory(cluster, tmp_path))
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "5 members alive" in done.stdout and "3 voters" in done.stdout
    for name in ("server1", "client2"):
        assert f"{name} (" in done.stdout
    assert "gossip encrypted=False" in done.stdout


def test_an_address_that_reaches_the_wrong_agent_is_refused(cluster, tmp_path):
    wrong = {"client1": {"consul_http_addr": cluster.agents["server1"].http_addr}}
    done = run_playbook("cluster_state", inventory(cluster, tmp_path, **wrong))
    assert done.returncode != 0
    assert "check consul_http_addr and the groups" in done.stdout


def test_a_wrong_directory_is_refused(cluster, tmp_path):
    wrong = {"server2": {"consul_config_dir": str(tmp_path / "no-such-dir")}}
    done = run_playbook("cluster_state", inventory(cluster, tmp_path, **wrong))
    assert done.returncode != 0
    assert "no-such-dir" in done.stdout and "not found on the host" in done.stdout


def started(cluster) -> dict[str, tuple[int, int]]:
    """Each agent's process, and how many times its log says it started."""
    return {n: (a.process.pid if a.process and a.process.poll() is None else 0,
                a.log_path.read_text().count("Consul agent running!")) for n, a in cluster.agents.items()}


def assert_nothing_changed(cluster, before: dict[str, tuple[int, int]]) -> None:
    """No agent restarted since ``before``, no fragment of the collection written, gossip
    still plain on every agent."""
    assert started(cluster) == before
    assert [p.name for a in cluster.agents.values() for p in a.config_dir.iterdir()
            if "consulsec" in p.name] == []
    assert {n: cluster.api(n, "/v1/agent/self")["Stats"]["serf_lan"]["encrypted"] for n in before} \
        == dict.fromkeys(before, "false")


def test_a_migration_stops_before_any_change_when_an_agent_failed_before_it(cluster, tmp_path):
    """An agent whose host failed role consul's checks has left the play: the migration
    must not roll the others around it (it could not rejoin after the last phase). Judged
    from the agents: no fragment written, no process restarted, gossip still plain."""
    wrong = {"client2": {"consul_config_dir": str(tmp_path / "no-such-dir")}}
    before = started(cluster)
    done = run_playbook("gossip_encryption", inventory(cluster, tmp_path, **wrong),
                        gossip_encryption_key_file=str(tmp_path / "gossip.key"))
    output = " ".join(done.stdout.split())  # the callback folds long lines
    assert done.returncode != 0
    assert "client2 failed before this step of the migration" in output, output[-3000:]
    assert_nothing_changed(cluster, before)


def test_a_migration_stops_before_any_change_when_alive_members_are_outside_the_play(cluster, tmp_path):
    """--limit leaves client2 out of the play while it is alive in the cluster: gossip
    encryption's last phase would leave it behind, unable to rejoin. Judged from the
    agents: no fragment, no restart, gossip still plain on every agent."""
    before = started(cluster)
    done = run_playbook("gossip_encryption", inventory(cluster, tmp_path), 1500, "--limit", "all:!client2",
                        gossip_encryption_key_file=str(tmp_path / "gossip.key"))
    output = " ".join(done.stdout.split())  # the callback folds long lines
    assert done.returncode != 0
    address = cluster.agents["client2"].address
    assert (f"phase 1 cannot start: client2 ({address}, client) is an alive member of the cluster "
            "but not a host of this play") in output, output[-3000:]
    assert "gossip_encryption_allow_members_outside: true" in output
    assert_nothing_changed(cluster, before)


def test_secure_cluster_refuses_bad_input_of_any_stage_before_the_first(cluster, tmp_path):
    """A value the hardening stage (the last) refuses and a client batch size the TLS stage
    refuses: both named in one run, before the first stage, so gossip encryption does not
    run first. Judged from the agents: no fragment, no restart, no report."""
    before = started(cluster)
    secure = tmp_path / "secure"
    done = run_playbook("secure_cluster", inventory(cluster, tmp_path), 600, secure_cluster_dir=str(secure),
                        harden_tls_min_version="tls9", tls_client_batch_size="ten")
    output = " ".join(done.stdout.split())
    assert done.returncode != 0
    assert "harden_tls_min_version must be one of" in output, output[-3000:]
    assert "tls_client_batch_size is 'ten'" in output, output[-3000:]
    assert "Nothing was changed" in output
    assert_nothing_changed(cluster, before)
    assert not (secure / "reports").exists()


def test_a_wrong_directory_is_refused_where_the_role_does_not_read_the_agent(cluster, tmp_path):
    """The TLS and ACL roles read the agent themselves (consul_check_agent false): role
    consul looks at the paths with a command of its own."""
    wrong = {"server2": {"consul_data_dir": str(tmp_path / "no-such-dir")}}
    play = tmp_path / "paths.yml"
    play.write_text("- name: Role consul without its read of the agent\n  hosts: consul_servers:consul_clients\n"
                    "  gather_facts: false\n  roles:\n    - role: consulsec.hardening.consul\n"
                    "      consul_check_agent: false\n")
    done = subprocess.run(["ansible-playbook", "-i", inventory(cluster, tmp_path, **wrong), str(play)],  # noqa: S603,S607
                          capture_output=True, text=True, timeout=300, check=False)
    output = " ".join(done.stdout.split())
    assert done.returncode != 0
    assert "server2: " + str(tmp_path / "no-such-dir") + " not found on the host; set consul_binary" in output, output[-3000:]
