"""What the host controls read: modes, owners, and whether a file holds a secret (never
what the secret is)."""

from __future__ import annotations

import json
import os

from ansible_collections.consulsec.hardening.plugins.module_utils._host_facts import (
    account,
    agent_process,
    holds_secret,
    host_facts,
    needed_by_agent,
    permits,
    unreadable,
)

KEY = "VGhpcyBpcyBub3QgYSByZWFsIGtleSwgYnV0IDMyIGI="


def test_secret_keys_are_found_in_json_and_hcl():
    assert holds_secret("50.json", json.dumps({"encrypt": KEY}))
    assert holds_secret("70.json", json.dumps({"acl": {"tokens": {"agent_master": "x"}}}))
    assert holds_secret("80.json", json.dumps({"service": {"name": "web", "token": "x"}}))
    assert not holds_secret("00.json", json.dumps({"datacenter": "dc1", "encrypt_verify_incoming": True}))
    assert holds_secret("50.hcl", f'encrypt = "{KEY}"\n')
    assert holds_secret("70.hcl", 'acl {\n  tokens {\n    agent_master = "x"\n  }\n}\n')
    assert not holds_secret("00.hcl", 'datacenter = "dc1"\nencrypt_verify_incoming = true\n')
    assert not holds_secret("bad.json", "{not json")
    assert holds_secret("71.hcl", 'acl {\n  tokens {\n    replication = "x"\n  }\n}\n')


def test_host_facts_read_modes_and_never_contents(tmp_path):
    config, data = tmp_path / "config", tmp_path / "data"
    (config / "tls").mkdir(parents=True)
    (data / "serf").mkdir(parents=True)
    (config / "50-gossip.json").write_text(json.dumps({"encrypt": KEY}))
    (config / "00-base.json").write_text(json.dumps({"datacenter": "dc1"}))
    (config / "tls" / "agent-key.pem").write_text("-----BEGIN EC PRIVATE KEY-----\n")
    (data / "serf" / "local.keyring").write_text(json.dumps([KEY]))
    os.chmod(config / "50-gossip.json", 0o644)
    os.chmod(data, 0o700)
    facts = host_facts(str(config), str(data))
    files = {os.path.relpath(f["path"], tmp_path): (f["mode"], f["secret"]) for f in facts["files"]}
    assert files == {"config/00-base.json": ("0644", False), "config/50-gossip.json": ("0644", True),
                     "config/tls/agent-key.pem": (files["config/tls/agent-key.pem"][0], True),
                     "data/serf/local.keyring": (files["data/serf/local.keyring"][0], True)}
    assert facts["data_dir"]["mode"] == "0700"
    assert KEY not in json.dumps(facts) and "PRIVATE" not in json.dumps(facts)
    assert host_facts(str(tmp_path / "missing"), str(data))["config_dir"] is None


def fake_proc(root, processes: dict[int, tuple[list[str], int]]):
    for pid, (argv, uid) in processes.items():
        (root / str(pid)).mkdir(parents=True)
        (root / str(pid) / "cmdline").write_bytes(b"\0".join(a.encode() for a in argv) + b"\0")
        (root / str(pid) / "status").write_text(f"Name:\tconsul\nUid:\t{uid}\t{uid}\t{uid}\t{uid}\n")
    (root / "self").mkdir()
    return str(root)


def test_the_agent_process_is_the_one_that_reads_the_config_dir(tmp_path):
    proc = fake_proc(tmp_path / "proc", {
        10: (["/usr/bin/consul", "agent", "-config-dir=/etc/consul.d/"], 105),
        11: (["/opt/consul", "agent", "-config-dir", "/srv/b/config"], 0),
        12: (["/usr/bin/consul", "members"], 0),
        13: (["/bin/sh", "-c", "consul agent"], 0),
    })
    assert agent_process("/etc/consul.d", proc) == {"pid": 10, "uid": 105, "euid": 105,
                                                    "config_dirs": ["/etc/consul.d"]}
    assert agent_process("/srv/b/config/", proc)["pid"] == 11
    assert agent_process("/elsewhere", proc) is None  # two agents, neither reads it


def test_the_only_agent_process_when_none_names_the_dir(tmp_path):
    proc = fake_proc(tmp_path / "proc", {20: (["consul", "agent", "-dev"], 0)})
    assert agent_process("/etc/consul.d", proc)["pid"] == 20


def test_permissions_are_judged_by_owner_then_group_then_others():
    key = {"path": "/etc/consul.d/tls/agent-key.pem", "mode": "0640", "uid": 0, "gid": 105}
    cfg = {"path": "/etc/consul.d", "mode": "0750", "uid": 0, "gid": 0}
    assert permits(key, 104, {105}, 4) and not permits(key, 104, {104}, 4)
    assert not permits(key, 104, {105}, 2)
    # the owner's bits decide for the owner, even when the group's would allow
    assert not permits({**key, "mode": "0040", "uid": 104}, 104, {105}, 4)
    assert permits(key, 0, set(), 7)
    assert unreadable([(cfg, 5), (key, 4)], 104, {105}) == ["/etc/consul.d"]
    assert unreadable([(cfg, 5), (key, 4)], 104, {0, 105}) == []


def test_what_another_user_could_not_read(tmp_path):
    config = tmp_path / "config"
    (config / "tls").mkdir(parents=True)
    (config / "00-base.hcl").write_text("datacenter = \"dc1\"\n")
    key = config / "tls" / "agent-key.pem"
    key.write_text("-----BEGIN EC PRIVATE KEY-----\n")
    ca = tmp_path / "ca.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\n")
    for path, mode in ((tmp_path, 0o755), (config, 0o755), (config / "tls", 0o750), (key, 0o600),
                       (config / "00-base.hcl", 0o644), (ca, 0o644)):
        os.chmod(path, mode)
    nobody = account("nobody", None)
    assert nobody["exists"] and account("no-such-user-here", None)["exists"] is False
    needed = needed_by_agent(str(config), [str(ca), str(tmp_path / "missing.pem")])
    below = [p for p in unreadable(needed, nobody["uid"], set(nobody["gids"])) if p.startswith(str(tmp_path))]
    # the closed tls directory and key, and a TLS file that is not there; not the rest
    assert sorted(below) == sorted([str(config / "tls"), str(key), str(tmp_path / "missing.pem")])
    # the directories above the configuration need the search bit only
    assert (str(tmp_path), 1) in [(e["path"], need) for e, need in needed]
