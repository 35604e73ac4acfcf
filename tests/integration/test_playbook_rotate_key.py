"""playbooks/rotate_gossip_key.yml on real local agents that encrypt gossip: a member down
stops the rotation before any change (whether the inventory holds it or not); check mode
sends nothing; the rotation leaves the new key alone on every node, in every fragment and
every local keyring file, restarts nothing and shows no key; a second run changes
nothing; agents restarted afterwards rejoin with the new key; a node that misses a keyring
query (frozen) is asked again."""

from __future__ import annotations

import base64
import json
import os
import signal
import stat
import time
import urllib.error
from concurrent.futures import ThreadPoolExecutor

import pytest

from conftest import ALL, run_module, run_module_output, run_playbook
from local_cluster import LocalCluster

OLD = base64.b64encode(bytes(range(32))).decode()
THIRD = base64.b64encode(bytes(range(3, 35))).decode()
MISSED = "nodes reported success"
FRAGMENT = "50-consulsec-gossip.json"


def keyring(cluster: LocalCluster) -> list[tuple[str, dict[str, int], dict[str, int], int]]:
    """Per pool: (pool, node count per key, primary count per key, NumNodes), keys as OLD/NEW.
    Asked again when a node missed the query (HTTP 500, a loaded machine)."""
    for _attempt in range(4):
        try:
            pools = cluster.api("server1", "/v1/operator/keyring", timeout=10)
            break
        except urllib.error.HTTPError as exc:
            if exc.code != 500 or MISSED not in exc.read().decode():
                raise
            time.sleep(3)
    return sorted(("wan" if p["WAN"] else "lan", p["Keys"], p["PrimaryKeys"], p["NumNodes"])
                  for p in pools)


def local_keyring(cluster: LocalCluster, name: str) -> list[str]:
    return json.loads((cluster.agents[name].data_dir / "serf" / "local.keyring").read_text())


def fragment_key(cluster: LocalCluster, name: str) -> str:
    return json.loads((cluster.agents[name].config_dir / FRAGMENT).read_text())["encrypt"]


def recap(run) -> str:
    return run.stdout[run.stdout.rfind("PLAY RECAP"):]


def wait_status(cluster: LocalCluster, name: str, status: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while {m["Name"]: m["Status"] for m in cluster.api("server1", "/v1/agent/members")}.get(name) != status:
        assert time.monotonic() < deadline, f"{name} never reached member status {status}"
        time.sleep(0.3)


@pytest.fixture(scope="module")
def encrypted(tmp_path_factory):
    base = tmp_path_factory.mktemp("rotate")
    cluster = LocalCluster(base / "cluster", first_host=101)
    cluster.prepare()
    for name in cluster.agents:
        path = cluster.write_fragment(name, FRAGMENT, {
            "encrypt": OLD, "encrypt_verify_incoming": True, "encrypt_verify_outgoing": True})
        path.chmod(0o640)
    with cluster:
        inventory = cluster.write_inventory(base / "inventory.json")
        yield cluster, inventory, base / "controller" / "gossip-next.key", base


def rotate(inventory: str, key_file, *flags: str):
    return run_playbook("rotate_gossip_key", inventory, 600, *flags,
                        gossip_encryption_new_key_file=str(key_file))


def test_a_member_down_stops_the_rotation_before_any_change(encrypted):
    cluster, inventory, key_file, base = encrypted
    key_file.parent.mkdir()
    before = keyring(cluster)
    cluster.stop_agent("client2", graceful=False)
    wait_status(cluster, "client2", 4)
    in_inventory = rotate(inventory, key_file)
    assert in_inventory.returncode != 0
    assert "Install the new key" not in in_inventory.stdout, in_inventory.stdout[-5000:]
    # the inventory does not hold the node that is down: the keyring still counts 4 of 4
    partial = json.loads(open(inventory).read())
    del partial["all"]["children"]["consul_clients"]["hosts"]["client2"]
    (base / "partial.json").write_text(json.dumps(partial))
    outside = rotate(str(base / "partial.json"), key_file)
    assert outside.returncode != 0
    assert "4 node(s) answered the keyring query, 5 member(s) known; not alive: client2 (failed)" \
        in outside.stdout, outside.stdout[-3000:]
    assert "Nothing was changed" in outside.stdout
    assert [(pool, keys) for pool, keys, _p, _n in keyring(cluster)] == [
        ("lan", {OLD: 4}), ("wan", {OLD: 3})]
    assert all(fragment_key(cluster, n) == OLD for n in ALL)
    assert all(local_keyring(cluster, n) == [OLD] for n in ALL)
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    cluster.start_agent("client2")
    wait_status(cluster, "client2", 1)
    assert keyring(cluster) == before


def test_check_mode_sends_nothing(encrypted):
    cluster, inventory, key_file, _base = encrypted
    before = keyring(cluster)
    checked = rotate(inventory, key_file, "--check")
    assert checked.returncode == 0, checked.stdout[-3000:]
    assert "keyring operations that would be sent: install, use, remove_others" in checked.stdout
    assert keyring(cluster) == before
    assert all(fragment_key(cluster, n) == OLD for n in ALL)


def test_the_rotation_leaves_the_new_key_alone_everywhere_without_a_restart(encrypted):
    cluster, inventory, key_file, _base = encrypted
    pids = {n: a.process.pid for n, a in cluster.agents.items()}
    rotated = rotate(inventory, key_file)
    assert rotated.returncode == 0, rotated.stdout[-4000:]
    new = key_file.read_text().strip()
    assert "keyring operations sent: install, use, remove_others" in rotated.stdout
    assert keyring(cluster) == [("lan", {new: 5}, {new: 5}, 5), ("wan", {new: 3}, {new: 3}, 3)]
    for name in ALL:
        assert fragment_key(cluster, name) == new
        assert stat.S_IMODE((cluster.agents[name].config_dir / FRAGMENT).stat().st_mode) == 0o640
        assert local_keyring(cluster, name) == [new]
    assert {n: a.process.pid for n, a in cluster.agents.items()} == pids
    cluster.check_processes()
    assert OLD not in rotated.stdout + rotated.stderr and new not in rotated.stdout + rotated.stderr

    again = rotate(inventory, key_file)
    assert again.returncode == 0, again.stdout[-3000:]
    assert "changed=0" in recap(again) and "changed=1" not in recap(again), recap(again)
    assert "none, it already was" in again.stdout


def test_agents_restarted_after_the_rotation_rejoin_with_the_new_key(encrypted):
    cluster, _inventory, key_file, _base = encrypted
    for name in ("client1", "server2"):
        cluster.restart_agent(name)
        cluster.wait_healthy(timeout=60)
    assert keyring(cluster)[0][1] == {key_file.read_text().strip(): 5}


def test_the_module_refuses_a_client_a_primary_removal_and_a_malformed_key(encrypted):
    cluster, _inventory, key_file, _base = encrypted
    new = key_file.read_text().strip()
    client = run_module("consul_keyring", {"key": new, "state": "only",
                                           "http_addr": cluster.agents["client1"].http_addr})
    assert client["failed"] and "is a client agent (client1): run consul_keyring against a server" in client["msg"]
    server = cluster.agents["server1"].http_addr
    primary = run_module("consul_keyring", {"key": new, "state": "absent", "http_addr": server})
    assert primary["failed"] and "is the primary key of some nodes" in primary["msg"]
    bad, output = run_module_output("consul_keyring", {"key": "c2hvcnQ=", "http_addr": server})
    assert bad["failed"] and "decodes to 5 bytes" in bad["msg"] and "c2hvcnQ=" not in output
    gone = run_module("consul_keyring", {"key": OLD, "state": "absent", "http_addr": server})
    assert gone["changed"] is False and gone["actions"] == []
    assert keyring(cluster)[0][1] == {new: 5}


def test_a_node_that_misses_a_keyring_query_is_asked_again(encrypted):
    """client2 frozen (SIGSTOP) until server1 logs that a keyring query missed a node, then
    thawed: the module's next attempt reaches all five nodes and the key is installed."""
    cluster, _inventory, _key_file, _base = encrypted
    before = keyring(cluster)[0][1]
    server = cluster.agents["server1"]
    misses = server.log_path.read_text(errors="replace").count(MISSED)
    frozen = cluster.agents["client2"].process.pid
    os.kill(frozen, signal.SIGSTOP)
    try:
        with ThreadPoolExecutor(1) as pool:
            installing = pool.submit(run_module, "consul_keyring",
                                     {"key": THIRD, "http_addr": server.http_addr})
            deadline = time.monotonic() + 60
            while server.log_path.read_text(errors="replace").count(MISSED) == misses:
                assert time.monotonic() < deadline and not installing.done(), \
                    "no keyring query missed the frozen client2"
                time.sleep(0.1)
            os.kill(frozen, signal.SIGCONT)
            installed = installing.result(timeout=120)
    finally:
        os.kill(frozen, signal.SIGCONT)
    assert installed.get("changed") is True and installed["actions"] == ["install"], installed
    assert keyring(cluster)[0][1] == {**before, THIRD: 5}
    removed = run_module("consul_keyring", {"key": THIRD, "state": "absent",
                                            "http_addr": server.http_addr})
    assert removed.get("changed") is True and keyring(cluster)[0][1] == before, removed
