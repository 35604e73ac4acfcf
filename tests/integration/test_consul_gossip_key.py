"""consul_gossip_key through Ansible: a key is created once and kept, never shown."""

from __future__ import annotations

import base64
import json
import stat

from conftest import run_module, run_module_output

KEY = base64.b64encode(bytes(range(32))).decode()


def test_generated_key_is_kept_in_a_0600_file(tmp_path):
    path = tmp_path / "gossip.key"
    first = run_module("consul_gossip_key", {"path": str(path)})
    kept = path.read_text().strip()
    assert first["changed"] and first["source"] == "generated"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(base64.b64decode(kept)) == 32
    assert first["fingerprint"].startswith("sha256:")
    # the module returns the key by design: tasks that call it use no_log (the roles do;
    # molecule/gossip checks that a whole migration's output never carries it)
    second = run_module("consul_gossip_key", {"path": str(path)})
    assert second["changed"] is False and second["source"] == "file"
    assert second["fingerprint"] == first["fingerprint"]
    assert path.read_text().strip() == kept


def test_check_mode_writes_nothing(tmp_path):
    path = tmp_path / "gossip.key"
    result = run_module("consul_gossip_key", {"path": str(path)}, check=True)
    assert result["changed"] and not path.exists()


def test_a_file_with_another_key_is_not_replaced(tmp_path):
    path = tmp_path / "gossip.key"
    path.write_text(KEY + "\n")
    other = base64.b64encode(bytes(range(1, 33))).decode()
    result, output = run_module_output("consul_gossip_key", {"path": str(path), "key": other})
    assert result["failed"] and "holds another key" in result["msg"]
    assert other not in output and KEY not in result["msg"]
    assert path.read_text().strip() == KEY


def test_malformed_key_is_refused_without_showing_it(tmp_path):
    bad = "c2hvcnQ="  # "short", 5 bytes
    result, output = run_module_output("consul_gossip_key", {"key": bad, "path": str(tmp_path / "k")})
    assert result["failed"] and "decodes to 5 bytes" in result["msg"]
    assert bad not in output
    assert not (tmp_path / "k").exists()


def test_a_generated_key_without_a_path_is_refused():
    result = run_module("consul_gossip_key", {"key": None})
    assert result["failed"] and "would be lost" in result["msg"]


def test_local_keyring_verdicts(tmp_path):
    keyring = tmp_path / "local.keyring"
    none = run_module("consul_gossip_key", {"key": KEY, "local_keyring": str(keyring)})
    assert none["keyring"]["verdict"] == "none"
    keyring.write_text(json.dumps([base64.b64encode(b"x" * 32).decode()]))
    stale = run_module("consul_gossip_key", {"key": KEY, "local_keyring": str(keyring)})
    assert stale["keyring"]["verdict"] == "move_aside"
    conflict = run_module("consul_gossip_key", {"key": KEY, "local_keyring": str(keyring),
                                                "gossip_encrypted": True})
    assert conflict["keyring"]["verdict"] == "conflict"
    keyring.write_text(json.dumps([KEY]))
    keep = run_module("consul_gossip_key", {"key": KEY, "local_keyring": str(keyring),
                                            "gossip_encrypted": True})
    assert keep["keyring"]["verdict"] == "keep"
