"""How long after a restarted agent first meets every condition can one fail again? Reports
figures; not a test.

The engine's wait after each restart (consul_wait) requires every condition to hold for a
settle period (default 2 s, was 5 s), because right after a restart autopilot can still report the
old, healthy state for about a second. This measures what that period has to cover: on a
fresh cluster of local agents (3 servers + 2 clients, loopback addresses 127.0.5.x) the
gossip migration (15 restarts) and then the TLS roll (20 restarts) run with a long settle
period (--settle, default 20 s), and each wait's history (consul_wait returns every change
of the set of unmet conditions, with its time) is read from the run's JSON output. For each
restart: the time until every condition was first met, and every relapse after that (a
condition failing again), with how long after the first "all met" it came and what failed.

  . scripts/lib.sh && python benchmarks/settle_window.py [--rounds 2] [--settle 20]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("CONSULSEC_LOCAL_PREFIX", "127.0.5.")
sys.path.insert(0, str(ROOT / "tests" / "testbed"))

from local_cluster import DetachedCluster  # noqa: E402

RESTART = "Check, write the phase's fragment, restart and wait until the agent is back"
ENTRY = re.compile(r"^(\d+(?:\.\d+)?)s: (.*)$")
MET = "all conditions met"


def waits(document: dict) -> list[tuple[str, list[str]]]:
    """(host, history) of every wait after a restart in a run's JSON output, in order
    (consul_restart's result carries its wait as "after")."""
    found = []
    for play in document.get("plays", []):
        for task in play.get("tasks", []):
            if task["task"]["name"].endswith(RESTART):
                for host, result in task["hosts"].items():
                    if not result.get("skipped") and "history" in (result.get("after") or {}):
                        found.append((host, result["after"]["history"]))
    return found


def relapses(history: list[str]) -> tuple[float | None, list[tuple[float, str]]]:
    """The time every condition was first met, and each later change away from it (seconds
    after that first time, what was unmet)."""
    first, found = None, []
    for entry in history:
        matched = ENTRY.match(entry)
        if not matched:
            continue
        when, what = float(matched.group(1)), matched.group(2)
        if what == MET:
            first = when if first is None else first
        elif first is not None:
            found.append((round(when - first, 1), what))
    return first, found


def run(playbook: str, inventory: str, extra: dict) -> dict:
    env = dict(os.environ, ANSIBLE_STDOUT_CALLBACK="ansible.builtin.json", ANSIBLE_LOAD_CALLBACK_PLUGINS="1")
    done = subprocess.run(["ansible-playbook", "-i", inventory, str(ROOT / "playbooks" / f"{playbook}.yml"),  # noqa: S603,S607
                           "-e", json.dumps(extra)], capture_output=True, text=True, env=env, check=False)
    if done.returncode:
        sys.exit(f"{playbook} failed:\n{done.stdout[-3000:]}\n{done.stderr[-2000:]}")
    return json.loads(done.stdout)


def one_round(base: Path, settle: int) -> list[tuple[str, str, float | None, list[tuple[float, str]]]]:
    cluster = DetachedCluster(base / "cluster", first_host=11)
    cluster.prepare()
    cluster.start(timeout=90)
    try:
        inventory = cluster.write_inventory(base / "inventory.json")
        rows = []
        gossip = run("gossip_encryption", inventory, {"gossip_encryption_key_file": str(base / "gossip.key"),
                                                      "gossip_encryption_settle": settle})
        rows += [("gossip", host, *relapses(history)) for host, history in waits(gossip)]
        tls = run("tls", inventory, {"tls_pki_dir": str(base / "pki"), "tls_settle": settle})
        rows += [("tls", host, *relapses(history)) for host, history in waits(tls)]
        return rows
    finally:
        cluster.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--settle", type=int, default=20)
    args = parser.parse_args()
    rows = []
    for number in range(args.rounds):
        base = Path(tempfile.mkdtemp(prefix="consulsec-settle-"))
        try:
            rows += one_round(base, args.settle)
        finally:
            shutil.rmtree(base, ignore_errors=True)
        print(f"round {number + 1}: {len(rows)} restarts so far", flush=True)
    print(f"\n{len(rows)} restarts, settle {args.settle}s (migration, agent, first all met at, relapses after it)")
    for migration, host, first, found in rows:
        print(f"  {migration:6} {host:8} {first if first is not None else '-':>6}  {found or ''}")
    later = [when for *_rest, found in rows for when, _what in found]
    print(f"\nrelapses: {len(later)} in {sum(1 for row in rows if row[3])} of {len(rows)} restarts;"
          f" the latest {max(later) if later else '-'}s after every condition was first met")


if __name__ == "__main__":
    main()
