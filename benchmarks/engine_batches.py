"""What one batch of the rolling-restart engine costs the controller. Reports figures; not a test.

On a healthy insecure cluster of local agents (loopback addresses 127.0.4.x), the gossip
migration's playbook runs in check mode with one client per batch: the engine plans all
three phases (check mode assumes each earlier phase done) and runs every batch's tasks but
the restart and the wait after it, so what is measured is the engine's own work per batch.
Ansible's task timer (callback ansible.posix.profile_tasks) stamps every task; a batch's
cost is the time from its first task (its slot, "Restart batch ...") to the next batch's, within a phase,
and the median over all batches of all runs is reported, with the whole run's time and the
CPU time of ansible-playbook and everything it ran (its workers, the modules).

Each variant of the collection (a directory that holds ansible_collections/consulsec/hardening,
e.g. a copy of another commit linked there) is measured on the same cluster, the runs
interleaved, so that the figures of one run stand beside each other.

  . scripts/lib.sh && python benchmarks/engine_batches.py
  python benchmarks/engine_batches.py --sizes 3+2,3+20 --variant before=/tmp/old --variant after=.testbed/collections
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("CONSULSEC_LOCAL_PREFIX", "127.0.4.")
sys.path.insert(0, str(ROOT / "tests" / "testbed"))

from local_cluster import DetachedCluster  # noqa: E402


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


# each batch starts with its slot (roles/rolling_restart/tasks/batch.yml), "Restart batch 2 of 5 (...)"
BATCH = "rolling_restart : Restart batch "
PLAN = "Plan the phase"
STAMP = re.compile(r"\)\s+(\d+):(\d+):(\d+(?:\.\d+)?)\s+\*")


def batch_times(output: str) -> list[float]:
    """From profile_tasks' stamps: the time from each batch's start to the next one's in the
    same phase."""
    tasks, name = [], None
    for line in output.splitlines():
        if line.startswith("TASK ["):
            name = line[line.index("[") + 1:line.rindex("]")]
        elif name and (found := STAMP.search(line)):
            hours, minutes, seconds = found.groups()
            tasks.append((name, int(hours) * 3600 + int(minutes) * 60 + float(seconds)))
            name = None
    times, last_batch = [], None
    for task, at in tasks:
        if PLAN in task:
            last_batch = None
        elif BATCH in task:
            if last_batch is not None:
                times.append(at - last_batch)
            last_batch = at
    return times


def check_run(inventory: str, collections: str, work: Path) -> tuple[float, float, list[float]]:
    """One check-mode run of the gossip playbook: (seconds, CPU seconds, each batch's time)."""
    extra = {"gossip_encryption_key_file": str(work / "gossip.key"), "gossip_encryption_client_batch_size": 1}
    started, cpu = time.time(), children_cpu()
    done = subprocess.run(  # noqa: S603
        ["ansible-playbook", "--check", "-i", inventory, str(ROOT / "playbooks" / "gossip_encryption.yml"),
         "-e", json.dumps(extra)],
        capture_output=True, text=True, check=False, timeout=3600,
        env=dict(os.environ, ANSIBLE_COLLECTIONS_PATH=collections,
                 ANSIBLE_CALLBACKS_ENABLED="ansible.posix.profile_tasks"))
    seconds, cpu = time.time() - started, children_cpu() - cpu
    if done.returncode != 0:
        raise RuntimeError(f"the check run failed: {done.stdout[-3000:]}{done.stderr[-2000:]}")
    return seconds, cpu, batch_times(done.stdout)


def measure(servers: int, clients: int, variants: dict[str, str], repeat: int) -> list[dict]:
    work = Path(tempfile.mkdtemp(prefix="consulsec-engine-"))
    cluster = DetachedCluster(work / "cluster", servers=servers, clients=clients)
    runs: dict[str, list[tuple[float, float, list[float]]]] = {name: [] for name in variants}
    try:
        cluster.start(timeout=180)
        inventory = cluster.write_inventory(work / "inventory.json")
        for _round in range(repeat):
            for name, collections in variants.items():
                runs[name].append(check_run(inventory, collections, work))
    finally:
        cluster.stop()
        shutil.rmtree(work, ignore_errors=True)
    return [{"cluster": f"{servers}+{clients}", "variant": name,
             "batches": sum(len(r[2]) for r in found),
             "per_batch": round(statistics.median(t for r in found for t in r[2]), 2),
             "seconds": round(statistics.median(r[0] for r in found), 1),
             "cpu": round(statistics.median(r[1] for r in found), 1)}
            for name, found in runs.items()]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", maxsplit=1)[0])
    parser.add_argument("--sizes", default="3+2,3+20", help="servers+clients, comma separated")
    parser.add_argument("--variant", action="append", default=[],
                        help="name=collections path (holds ansible_collections/consulsec/hardening)")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each kind (the median is kept)")
    args = parser.parse_args()
    variants = dict(v.split("=", 1) for v in args.variant) or \
        {"this checkout": os.environ["ANSIBLE_COLLECTIONS_PATH"]}
    print("| cluster | variant | batches timed | per batch (s, median) | check run (s) | its CPU (s) |")
    print("|---|---|---:|---:|---:|---:|")
    for size in args.sizes.split(","):
        servers, clients = (int(x) for x in size.split("+"))
        for row in measure(servers, clients, variants, args.repeat):
            print(f"| {row['cluster']} | {row['variant']} | {row['batches']} | {row['per_batch']} "
                  f"| {row['seconds']} | {row['cpu']} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
