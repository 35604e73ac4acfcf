"""What one batch of the rolling-restart engine costs the controller. Reports figures; not a test.

On a healthy insecure cluster of local agents (loopback addresses 127.0.4.x), the gossip
migration's playbook runs in check mode: the engine plans all three phases (check mode
assumes each earlier phase done) and runs every batch's tasks but the restart and the wait
after it. Two runs differ only in the client batch size, and so in the number of batches:

  per batch = (time of the run with more batches - time of the other) / (difference in batches)

which leaves out what every run pays once (Ansible's start, the reads before each phase).
Both the wall time and the CPU time of ansible-playbook and everything it ran (its workers,
the modules) are reported: the CPU time is what a busy machine pays, and it varies much less
with the machine's other load than the wall time does.
Each variant of the collection (a directory that holds ansible_collections/consulsec/hardening,
e.g. a git worktree of another commit linked there) is measured on the same cluster, the
runs interleaved, so that the figures of one run stand beside each other.

  . scripts/lib.sh && python benchmarks/engine_batches.py --variant now=.testbed/collections
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


def check_run(inventory: str, collections: str, batch_size: int, work: Path) -> tuple[float, float, int]:
    """One check-mode run of the gossip playbook: (seconds, CPU seconds, batches it went through)."""
    extra = {"gossip_encryption_key_file": str(work / "gossip.key"),
             "gossip_encryption_client_batch_size": batch_size}
    started, cpu = time.time(), children_cpu()
    done = subprocess.run(  # noqa: S603
        ["ansible-playbook", "--check", "-i", inventory, str(ROOT / "playbooks" / "gossip_encryption.yml"),
         "-e", json.dumps(extra)],
        capture_output=True, text=True, check=False, timeout=3600,
        env=dict(os.environ, ANSIBLE_COLLECTIONS_PATH=collections))
    seconds, cpu = time.time() - started, children_cpu() - cpu
    if done.returncode != 0:
        raise RuntimeError(f"the check run failed: {done.stdout[-3000:]}{done.stderr[-2000:]}")
    text = " ".join(done.stdout.split())
    batches = sum(len(order.strip().split(", "))
                  for order in re.findall(r"would restart in this order: ([^\\\"(]*)", text))
    return seconds, cpu, batches


def measure(servers: int, clients: int, variants: dict[str, str], repeat: int) -> list[dict]:
    work = Path(tempfile.mkdtemp(prefix="consulsec-engine-"))
    cluster = DetachedCluster(work / "cluster", servers=servers, clients=clients)
    sizes = (1, clients)  # one batch per client, or all clients in one
    runs: dict[tuple[str, int], list[tuple[float, float, int]]] = {}
    try:
        cluster.start(timeout=180)
        inventory = cluster.write_inventory(work / "inventory.json")
        for _round in range(repeat):
            for name, collections in variants.items():
                for size in sizes:
                    runs.setdefault((name, size), []).append(check_run(inventory, collections, size, work))
    finally:
        cluster.stop()
        shutil.rmtree(work, ignore_errors=True)
    rows = []
    for name in variants:
        many, few = runs[(name, sizes[0])], runs[(name, sizes[1])]
        batches = (many[0][2], few[0][2])
        row = {"cluster": f"{servers}+{clients}", "variant": name, "batches": batches}
        for index, key in ((0, "seconds"), (1, "cpu")):
            times = (statistics.median(r[index] for r in many), statistics.median(r[index] for r in few))
            row[key] = tuple(round(t, 1) for t in times)
            row[f"{key}_per_batch"] = round((times[0] - times[1]) / (batches[0] - batches[1]), 2)
        rows.append(row)
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", maxsplit=1)[0])
    parser.add_argument("--sizes", default="3+2,3+20", help="servers+clients, comma separated")
    parser.add_argument("--variant", action="append", default=[],
                        help="name=collections path (holds ansible_collections/consulsec/hardening)")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each kind (the median is kept)")
    args = parser.parse_args()
    variants = dict(v.split("=", 1) for v in args.variant) or \
        {"this checkout": os.environ["ANSIBLE_COLLECTIONS_PATH"]}
    print("| cluster | variant | batches (client batch 1, all clients) | check run (s) | CPU (s) "
          "| per batch (s) | CPU per batch (s) |")
    print("|---|---|---|---|---|---:|---:|")
    for size in args.sizes.split(","):
        servers, clients = (int(x) for x in size.split("+"))
        for row in measure(servers, clients, variants, args.repeat):
            print(f"| {row['cluster']} | {row['variant']} | {row['batches'][0]}, {row['batches'][1]} "
                  f"| {row['seconds'][0]}, {row['seconds'][1]} | {row['cpu'][0]}, {row['cpu'][1]} "
                  f"| {row['seconds_per_batch']} | {row['cpu_per_batch']} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
