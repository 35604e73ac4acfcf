"""The collection as operators install it: built by ansible-galaxy, installed from the
tarball into a fresh collections path, and run from there with the source tree out of
Ansible's reach (another working directory, no other collections path)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tarfile

import pytest
import yaml

from conftest import ROOT

# what a built collection must never carry: test bed state, caches, kept secrets
UNWANTED = re.compile(r"(^|/)(\.testbed|\.venv|\.pytest_cache|\.benchmarks|\.ansible|tests/output|__pycache__)(/|$)"
                      r"|\.pyc$|\.token$|gossip\.key$|-key\.pem$|\.tar\.gz$")


def galaxy(*args: str, cwd, env=None) -> subprocess.CompletedProcess:
    return subprocess.run(["ansible-galaxy", "collection", *args], cwd=cwd, env=env,  # noqa: S603, S607
                          capture_output=True, text=True, timeout=300, check=False)


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
    listed = galaxy("list", "consulsec.hardening", cwd=base, env=env)
    assert str(base / "collections") in listed.stdout and str(ROOT) not in listed.stdout, listed.stdout
    inventory = cluster.write_inventory(base / "inventory.json")
    reports = base / "reports"
    done = subprocess.run(["ansible-playbook", "-i", inventory, "consulsec.hardening.audit",  # noqa: S603, S607
                           "-e", json.dumps({"audit_report_dir": str(reports)})],
                          cwd=base, env=env, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert sorted(p.name for p in reports.iterdir()) == ["audit.html", "audit.json", "audit.md", "audit.xml"]


# Imports every module, module_utils and filter plugin of the collection; prints the names
# whose import failed and every library a module reports missing (*_IMPORT_ERROR).
IMPORT_ALL = """
import importlib, pkgutil, sys
import ansible_collections.consulsec.hardening.plugins as plugins
failed = []
for package in ("modules", "module_utils", "filter"):
    base = importlib.import_module(plugins.__name__ + "." + package)
    for info in pkgutil.iter_modules(base.__path__):
        name = base.__name__ + "." + info.name
        try:
            module = importlib.import_module(name)
        except Exception as exc:
            failed.append(f"{name}: {exc!r}")
            continue
        failed += [f"{name}.{k}" for k, v in vars(module).items() if k.endswith("_IMPORT_ERROR") and v]
print("\\n".join(failed))
sys.exit(1 if failed else 0)
"""


def test_the_ee_requirements_install_into_a_fresh_virtualenv_and_every_plugin_imports(installed):
    """What an execution environment gets (meta/execution-environment.yml): its Python
    requirements, on top of the ansible-core the EE's base image brings."""
    _tarball, base, _env = installed
    venv = base / "ee-venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)  # noqa: S603
    core = next(line for line in (ROOT / "requirements.txt").read_text().splitlines()
                if line.startswith("ansible-core"))
    collection = base / "collections" / "ansible_collections" / "consulsec" / "hardening"
    pip = subprocess.run([str(venv / "bin" / "pip"), "install", "-q", core,  # noqa: S603
                          "-r", str(collection / "meta" / "ee-requirements.txt")],
                         capture_output=True, text=True, timeout=600, check=False)
    assert pip.returncode == 0, pip.stdout + pip.stderr
    imported = subprocess.run([str(venv / "bin" / "python"), "-c", IMPORT_ALL],  # noqa: S603
                              env=dict(os.environ, PYTHONPATH=str(base / "collections")),
                              capture_output=True, text=True, timeout=300, check=False)
    assert imported.returncode == 0, imported.stdout + imported.stderr


def test_ansible_builder_finds_the_collection_dependencies(installed):
    _tarball, base, _env = installed
    found = subprocess.run(["ansible-builder", "introspect", "--sanitize",  # noqa: S603, S607
                            str(base / "collections")],
                           capture_output=True, text=True, timeout=300, check=False)
    assert found.returncode == 0, found.stdout + found.stderr
    wanted = [line.split("#")[0].strip() for line in
              (ROOT / "meta" / "ee-requirements.txt").read_text().splitlines() if line.split("#")[0].strip()]
    python = yaml.safe_load(found.stdout)["python"]
    assert sorted(entry.split("#")[0].strip() for entry in python) == sorted(wanted), found.stdout
    assert all(entry.endswith("# from collection consulsec.hardening") for entry in python), found.stdout
