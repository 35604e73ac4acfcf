"""playbooks/cluster_state.yml with several agents on one machine (ansible_connection=local),
each inventory host with its own directories and API address."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from conftest import ROOT


def inventory(cluster, tmp_path, **overrides) -> str:
    hosts: dict[str, dict] = {"consul_servers": {"hosts": {}}, "consul_clients": {"hosts": {}}}
    for agent in cluster.agents.values():
        group = "consul_servers" if agent.server else "consul_clients"
        hosts[group]["hosts"][agent.name] = {
            "consul_config_dir": str(agent.config_dir),
            "consul_data_dir": str(agent.data_dir),
            "consul_binary": os.environ.get("CONSUL_BIN", "consul"),
            "consul_http_addr": agent.http_addr,
            **overrides.get(agent.name, {}),
        }
    path = tmp_path / "inventory.json"
    path.write_text(json.dumps({"all": {"vars": {"ansible_connection": "local",
                                                 "ansible_python_interpreter": "{{ ansible_playbook_python }}"},
                                        "children": hosts}}))
    return str(path)


def run_playbook(inventory_path: str) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603
        ["ansible-playbook", "-i", inventory_path, str(ROOT / "playbooks" / "cluster_state.yml")],
        capture_output=True, text=True, timeout=600, check=False)


@pytest.fixture(autouse=True)
def consul_bin_env(monkeypatch):
    monkeypatch.setenv("CONSUL_BIN", subprocess.run(["which", "consul"], capture_output=True,  # noqa: S607
                                                    text=True, check=True).stdout.strip())


def test_state_of_every_agent_and_a_whole_cluster(cluster, tmp_path):
    done = run_playbook(inventory(cluster, tmp_path))
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "5 members alive" in done.stdout and "3 voters" in done.stdout
    for name in ("server1", "client2"):
        assert f"{name} (" in done.stdout
    assert "gossip encrypted=False" in done.stdout


def test_an_address_that_reaches_the_wrong_agent_is_refused(cluster, tmp_path):
    wrong = {"client1": {"consul_http_addr": cluster.agents["server1"].http_addr}}
    done = run_playbook(inventory(cluster, tmp_path, **wrong))
    assert done.returncode != 0
    assert "check consul_http_addr and the groups" in done.stdout


def test_a_wrong_directory_is_refused(cluster, tmp_path):
    wrong = {"server2": {"consul_config_dir": str(tmp_path / "no-such-dir")}}
    done = run_playbook(inventory(cluster, tmp_path, **wrong))
    assert done.returncode != 0
    assert "no-such-dir" in done.stdout and "not found on the host" in done.stdout
