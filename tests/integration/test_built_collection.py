"""The collection as operators install it: built by ansible-galaxy, installed from the
tarball into a fresh collections path, and run from there with the source tree out of
Ansible's reach (another working directory, no other collections path)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import tarfile

import pytest

from conftest import ROOT

# what a built collection must never carry: test bed state, caches, kept secrets
UNWANTED = re.compile(r"(^|/)(\.testbed|\.venv|\.pytest_cache|\.benchmarks|\.ansible|tests/output|__pycache__)(/|$)"
                      r"|\.pyc$|\.token$|gossip\.key$|-key\.pem$|\.tar\.gz$")


def galaxy(*args: str, cwd) -> subprocess.CompletedProcess:
    return subprocess.run(["ansible-galaxy", "collection", *args], cwd=cwd, capture_output=True,  # noqa: S603, S607
                          text=True, timeout=300, check=False)


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    base = tmp_path_factory.mktemp("built")
    built = galaxy("build", "--output-path", str(base), str(ROOT), cwd=base)
    assert built.returncode == 0, built.stdout + built.stderr
    tarball = next(base.glob("consulsec-hardening-*.tar.gz"))
    # --force: the same version is found through the test bed's link to the source tree
    done = galaxy("install", "--force", str(tarball), "-p", str(base / "collections"), cwd=base)
    assert done.returncode == 0, done.stdout + done.stderr
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(base / "collections"),
               ANSIBLE_COLLECTIONS_SCAN_SYS_PATH="false")
    return tarball, base, env


def test_the_tarball_carries_the_collection_and_no_test_bed_state_or_secret(installed):
    tarball, _base, _env = installed
    with tarfile.open(tarball) as archive:
        names = archive.getnames()
        manifest = json.load(archive.extractfile("MANIFEST.json"))
    assert manifest["collection_info"]["name"] == "hardening"
    for wanted in ("plugins/modules/consul_audit.py", "plugins/module_utils/_rolling.py",
                   "roles/harden/meta/argument_specs.yml", "playbooks/secure_cluster.yml",
                   "meta/runtime.yml", "README.md"):
        assert wanted in names, wanted
    assert [n for n in names if UNWANTED.search(n)] == []


def test_the_installed_copy_runs_the_audit_playbook(installed, cluster):
    _tarball, base, env = installed
    listed = subprocess.run(["ansible-galaxy", "collection", "list", "consulsec.hardening"],  # noqa: S603, S607
                            cwd=base, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert str(base / "collections") in listed.stdout and str(ROOT) not in listed.stdout, listed.stdout
    inventory = cluster.write_inventory(base / "inventory.json")
    reports = base / "reports"
    done = subprocess.run(["ansible-playbook", "-i", inventory, "consulsec.hardening.audit",  # noqa: S603, S607
                           "-e", json.dumps({"audit_report_dir": str(reports)})],
                          cwd=base, env=env, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert sorted(p.name for p in reports.iterdir()) == ["audit.html", "audit.json", "audit.md", "audit.xml"]
