"""Real Consul 1.8.7 agents as local processes, and a way to run the collection's modules.

The modules run through Ansible itself (`ansible localhost -m ...`, JSON callback), so
what is tested is what a playbook gets: argument parsing, env fallbacks, no_log, results.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "testbed"))

from local_cluster import DetachedCluster, LocalCluster  # noqa: E402
from restart_order import announced_batches, mismatch  # noqa: E402,F401 - the tests import it from here

ALL = ["server1", "server2", "server3", "client1", "client2"]

# Inventory variables for the tests that do not test the leader's leave: the leader is
# restarted like any other server. On 1.8.7 the leave costs about 30 s a time (measured,
# docs/measured-behaviour.md: the leave drains for about 13 s, and the server rejoins Raft
# as a non-voter until autopilot promotes it), about 7 minutes of the suite's lanes. The
# default (the leader leaves) stays tested in test_consul_restart, Molecule gossip (the
# whole migration under load) and the demo.
LEADER_STOPS = {f"{role}_leader_leave": False for role in ("gossip_encryption", "tls", "acl", "harden")}


def run_module(module: str, args: dict[str, Any], check: bool = False,
               env: dict[str, str] | None = None) -> dict[str, Any]:
    """Run one module on localhost; return its result."""
    return run_module_output(module, args, check=check, env=env)[0]


def run_module_output(module: str, args: dict[str, Any], check: bool = False,
                      env: dict[str, str] | None = None, verbosity: int = 0
                      ) -> tuple[dict[str, Any], str]:
    """Run one module on localhost; return its result and the whole output (for leak checks)."""
    command = ["ansible", "localhost", "-m", f"consulsec.hardening.{module}", "-a", json.dumps(args)]
    if check:
        command.append("--check")
    if verbosity:
        command.append("-" + "v" * verbosity)
    environment = dict(os.environ, ANSIBLE_LOAD_CALLBACK_PLUGINS="1",
                       ANSIBLE_STDOUT_CALLBACK="ansible.builtin.json",
                       ANSIBLE_LOCALHOST_WARNING="0", **(env or {}))
    done = subprocess.run(command, capture_output=True, text=True, env=environment,  # noqa: S603
                          timeout=600, check=False)
    output = done.stdout + done.stderr
    try:
        # verbose runs print lines before the JSON document; it starts on a line "{"
        start = 0 if done.stdout.startswith("{") else done.stdout.index("\n{\n") + 1
        result = json.loads(done.stdout[start:])["plays"][0]["tasks"][0]["hosts"]["localhost"]
    except (ValueError, KeyError, IndexError):
        pytest.fail(f"no module result from {command}: {output[-3000:]}")
    return result, output


def run_playbook(playbook: str, inventory_path: str, timeout: float = 1500, *flags: str,
                 **extra: Any) -> subprocess.CompletedProcess:
    """One of the collection's playbooks (playbooks/<playbook>.yml), extra vars as JSON,
    and further ansible-playbook flags (e.g. --check)."""
    command = ["ansible-playbook", "-i", inventory_path, str(ROOT / "playbooks" / f"{playbook}.yml"),
               *flags]
    if extra:
        command += ["-e", json.dumps(extra)]
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout,  # noqa: S603
                          check=False)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    with LocalCluster(tmp_path_factory.mktemp("cluster")) as running:
        yield running


def leader_of(cluster: LocalCluster) -> str:
    address = cluster.api("server1", "/v1/status/leader")
    return next(a.name for a in cluster.agents.values() if address.startswith(a.address + ":"))


def assert_restarted_as_announced(cluster: DetachedCluster, output: str, since: float) -> None:
    """The agents started after ``since`` (as agentctl recorded each start) are the
    announced batches in the announced order; a batch's agents restart together, in any
    order among themselves."""
    problem = mismatch(announced_batches(output), cluster.starts(since))
    assert problem is None, problem
