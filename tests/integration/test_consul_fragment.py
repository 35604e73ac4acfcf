"""consul_fragment with the real consul binary's `validate`: a fragment is written only once
the config dir validates with it, with its mode, and never shown; check mode writes nothing;
a second run changes nothing. consul_files, which puts several files in place in one run,
with the same care for secrets."""

from __future__ import annotations

import json
import stat

from conftest import run_module, run_module_output
from local_cluster import consul_binary

SECRET = "c2VjcmV0LWdvc3NpcC1rZXktZm9yLXRoZS10ZXN0cyE="


def fragment(config_dir, content: dict, **extra) -> dict:
    return {"config_dir": str(config_dir), "name": "50-consulsec.json",
            "content": json.dumps(content, indent=4, sort_keys=True) + "\n",
            "mode": "0640", "consul_binary": consul_binary(), **extra}


def config_dir(tmp_path):
    path = tmp_path / "config"
    path.mkdir()
    (path / "00-base.json").write_text(json.dumps({"data_dir": str(tmp_path / "data"),
                                                   "disable_update_check": True}))
    return path


def test_a_fragment_is_written_once_it_validates_and_then_left_alone(tmp_path):
    directory = config_dir(tmp_path)
    args = fragment(directory, {"encrypt": SECRET, "encrypt_verify_incoming": False})
    checked = run_module("consul_fragment", args, check=True)
    assert (checked["changed"], checked["validated"]) == (True, False)
    assert not (directory / "50-consulsec.json").exists()
    written, output = run_module_output("consul_fragment", args)
    assert (written["changed"], written["content_changed"], written["validated"]) == (True, True, True)
    path = directory / "50-consulsec.json"
    assert path.read_text() == args["content"]
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert SECRET not in output
    assert sorted(p.name for p in directory.iterdir()) == ["00-base.json", "50-consulsec.json"]
    again = run_module("consul_fragment", args)
    assert (again["changed"], again["validated"]) == (False, False)
    path.chmod(0o644)
    mode_only = run_module("consul_fragment", args)
    assert (mode_only["changed"], mode_only["content_changed"]) == (True, False)
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


def test_a_fragment_that_does_not_validate_is_not_written_nor_shown(tmp_path):
    directory = config_dir(tmp_path)
    path = directory / "50-consulsec.json"
    path.write_text("{}\n")
    args = fragment(directory, {"encrypt": SECRET, "verify_incomming": True})
    refused, output = run_module_output("consul_fragment", args)
    assert refused.get("failed"), refused
    assert "consul validate refused" in refused["msg"] and "verify_incomming" in refused["msg"], refused["msg"]
    assert SECRET not in output
    assert path.read_text() == "{}\n"
    assert sorted(p.name for p in directory.iterdir()) == ["00-base.json", "50-consulsec.json"]
    bad_mode = run_module("consul_fragment", {**fragment(directory, {}), "mode": "rw-r"})
    assert "is not a file mode" in bad_mode["msg"]
    assert path.read_text() == "{}\n"


KEY = "-----BEGIN EC PRIVATE KEY-----\nc2VjcmV0LXByaXZhdGUta2V5LWZvci10aGUtdGVzdHMh\n-----END EC PRIVATE KEY-----\n"


def test_consul_files_puts_each_file_once_with_its_mode_and_never_shows_a_secret(tmp_path):
    """The TLS role's one module run per agent: the directory made, each file written byte
    for byte with its mode, a second run left alone, a mode changed back alone, the key
    never in the output (at -vvv either)."""
    tls = tmp_path / "tls"
    args = {"directories": [str(tls)], "directory_mode": "0750",
            "files": [{"path": str(tls / "ca.pem"), "content": "CA\n", "mode": "0644"},
                      {"path": str(tls / "agent-key.pem"), "content": KEY, "mode": "0640"}]}
    checked = run_module("consul_files", args, check=True)
    assert checked["changed"] and not tls.exists()
    put, output = run_module_output("consul_files", args, verbosity=3)
    assert put["changed_paths"] == [str(tls), str(tls / "ca.pem"), str(tls / "agent-key.pem")]
    assert (tls / "agent-key.pem").read_text() == KEY and (tls / "ca.pem").read_text() == "CA\n"
    assert [stat.S_IMODE(p.stat().st_mode) for p in (tls, tls / "ca.pem", tls / "agent-key.pem")] == [0o750, 0o644, 0o640]
    assert "c2VjcmV0LXByaXZhdGUta2V5" not in output
    again = run_module("consul_files", args)
    assert (again["changed"], again["written"]) == (False, [])
    (tls / "ca.pem").chmod(0o666)
    mended = run_module("consul_files", args)
    assert (mended["changed_paths"], mended["written"]) == ([str(tls / "ca.pem")], [])
    assert stat.S_IMODE((tls / "ca.pem").stat().st_mode) == 0o644
    refused = run_module("consul_files", {**args, "files": [{**args["files"][1], "mode": "rw-r"}]})
    assert refused.get("failed") and "octal" in refused["msg"]
