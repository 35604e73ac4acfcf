"""Benchmark of the gossip migration on real local Consul agents. Reports figures; not a test.

For each cluster size, on a fresh insecure cluster of local processes (loopback
addresses 127.0.3.x; each agent started, stopped and restarted by its pidfile through
tests/testbed/agentctl.sh), under a steady load (tests/testbed/load.py):

  bare     the same restarts the migration makes (same phases, batches and order, the
           leader last, with or without a leave first), each timed from the restart until
           the conditions the role waits for first hold (the role's own judge, no settle
           period). Their sum is the lower bound of the migration.
  ansible  playbooks/gossip_encryption.yml from start to finish, as an operator runs it
           (consul_restart_command = agentctl.sh restart).

and prints a table: migration time, lower bound, their ratio, and the failed requests by
cause (on the restarting agent; elsewhere during a leader change; elsewhere while a
server restarted; elsewhere otherwise)
and acknowledged KV writes lost. The last results are kept in benchmarks/results/.

  . scripts/lib.sh && python benchmarks/gossip_migration.py            # 3+2 both ways, 3+20
  python benchmarks/gossip_migration.py --sizes 3+2 --modes leave       # a quicker look
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("CONSULSEC_LOCAL_PREFIX", "127.0.3.")
sys.path.insert(0, str(ROOT / "tests" / "testbed"))
for collections in os.environ.get("ANSIBLE_COLLECTIONS_PATH", "").split(os.pathsep):
    if collections:
        sys.path.insert(0, collections)

import yaml  # noqa: E402  (from ansible-core's dependencies)
from load import Load, render, summarize  # noqa: E402
from local_cluster import DetachedCluster, address_in_use, consul_binary  # noqa: E402

from ansible_collections.consulsec.hardening.plugins.module_utils._agent_info import gather_agent  # noqa: E402
from ansible_collections.consulsec.hardening.plugins.module_utils._client import ConsulClient  # noqa: E402
from ansible_collections.consulsec.hardening.plugins.module_utils._connection import (  # noqa: E402
    connection_options,
)
from ansible_collections.consulsec.hardening.plugins.module_utils._errors import ConsulError  # noqa: E402
from ansible_collections.consulsec.hardening.plugins.module_utils._rolling import restart_order  # noqa: E402
from ansible_collections.consulsec.hardening.plugins.module_utils._wait import (  # noqa: E402
    describe_unmet,
    evaluate,
    needed_parts,
)

FRAGMENT = "50-consulsec-gossip.json"
RESULTS = ROOT / "benchmarks" / "results"
README_MARK = "<!-- benchmark: gossip_migration -->"


def gossip_phases(key: str) -> list[dict[str, Any]]:
    """The role's own phase declaration, with the key filled in."""
    declared = yaml.safe_load((ROOT / "roles" / "gossip_encryption" / "vars" / "main.yml").read_text())
    phases = declared["gossip_encryption_phases"]
    for phase in phases:
        phase["content"] = {k: (key if k == "encrypt" else v) for k, v in phase["content"].items()}
    return phases


class ProcessCluster(DetachedCluster):
    """Detached local agents, judged with the role's own conditions."""

    def __init__(self, base: Path, servers: int, clients: int) -> None:
        super().__init__(base, servers=servers, clients=clients)
        self.server_names = [a.name for a in self.agents.values() if a.server]

    def start(self, timeout: float = 120.0) -> None:
        for agent in self.agents.values():
            if address_in_use(agent.address, 8500):
                raise RuntimeError(f"{agent.address}:8500 is in use: another test cluster runs there")
        self.prepare()
        self.ctl("start", list(self.agents))
        deadline = time.time() + timeout
        while not all(self.holds(n, {}) for n in self.agents):
            if time.time() > deadline:
                raise RuntimeError("the cluster did not become healthy")
            time.sleep(1)

    def pidfiles(self) -> dict[str, str]:
        return {n: str(a.pidfile) for n, a in self.agents.items()}

    def client(self, name: str) -> ConsulClient:
        return ConsulClient(connection_options({"http_addr": self.agents[name].http_addr,
                                                "request_timeout": 5.0}))

    def leader(self) -> str:
        address = self.client(self.server_names[0]).get("/v1/status/leader").rsplit(":", 1)[0]
        return next(a.name for a in self.agents.values() if a.address == address)

    def conditions(self, name: str, expect: dict[str, Any]) -> dict[str, Any]:
        """What rolling_restart waits for after restarting ``name`` (tasks/batch.yml)."""
        found = {"members_alive": sorted(set(self.server_names) | {name}),
                 "cluster_members_alive": list(self.agents), "leader": True,
                 "autopilot_healthy": True, "voters": len(self.server_names),
                 "min_failure_tolerance": 1 if len(self.server_names) > 2 else 0}
        if expect:
            found["security"] = expect
        return found

    def unmet(self, name: str, expect: dict[str, Any]) -> str:
        """What keeps ``name`` from the conditions ("" when they hold)."""
        conditions = self.conditions(name, expect)
        try:
            record = gather_agent(self.client(name), needed_parts(conditions))
        except ConsulError as exc:
            return describe_unmet(evaluate(conditions, None, str(exc)))
        return describe_unmet(evaluate(conditions, record))

    def holds(self, name: str, expect: dict[str, Any]) -> bool:
        return not self.unmet(name, expect)


def bare_migration(cluster: ProcessCluster, phases: list[dict[str, Any]], batch_size: int,
                   leave: bool) -> list[float]:
    """Every restart of the migration, timed from the restart until the conditions hold."""
    times = []
    for phase in phases:
        leader = cluster.leader()
        agents = [{"name": a.name, "server": a.server, "is_leader": a.name == leader}
                  for a in cluster.agents.values()]
        for batch in restart_order(agents, batch_size):
            for name in batch:
                cluster.write_fragment(name, FRAGMENT, phase["content"])
            started = time.time()
            if leave and leader in batch and len(cluster.server_names) > 1:
                subprocess.run([consul_binary(), "leave", f"-http-addr={cluster.agents[leader].http_addr}"],  # noqa: S603
                               check=True, capture_output=True)
            cluster.ctl("restart", batch)
            while not all(cluster.holds(name, phase["expect"]) for name in batch):
                if time.time() - started > 300:
                    unmet = {n: cluster.unmet(n, phase["expect"]) for n in batch}
                    raise RuntimeError(f"{batch} did not come back within 300 s: {unmet}")
                time.sleep(0.2)
            times.append(time.time() - started)
    return times


def ansible_migration(cluster: ProcessCluster, work: Path, batch_size: int, leave: bool) -> dict[str, Any]:
    """The playbook, as an operator runs it; returns its time and outcome."""
    inventory = cluster.write_inventory(work / "inventory.json")
    extra = {"gossip_encryption_key_file": str(work / "gossip.key"),
             "gossip_encryption_client_batch_size": batch_size,
             "gossip_encryption_leader_leave": leave}
    started = time.time()
    done = subprocess.run(  # noqa: S603
        ["ansible-playbook", "-i", inventory, str(ROOT / "playbooks" / "gossip_encryption.yml"),
         "-e", json.dumps(extra)],
        capture_output=True, text=True, check=False, timeout=3600)
    seconds = time.time() - started
    (work / "ansible.log").write_text(done.stdout + done.stderr)
    recap = done.stdout[done.stdout.rfind("PLAY RECAP"):]
    return {"seconds": seconds, "rc": done.returncode, "recap": recap}


def one_run(kind: str, servers: int, clients: int, batch_size: int, leave: bool,
            rate: float, keep: Path | None) -> dict[str, Any]:
    work = Path(tempfile.mkdtemp(prefix=f"consulsec-bench-{kind}-"))
    cluster = ProcessCluster(work / "cluster", servers, clients)
    key = base64.b64encode(secrets.token_bytes(32)).decode()
    try:
        cluster.start()
    except BaseException:
        cluster.stop()
        raise
    load = Load({n: a.http_addr for n, a in cluster.agents.items()}, rate=rate,
                pid_sources=cluster.pidfiles())
    try:
        load.start()
        time.sleep(2)
        if kind == "bare":
            times = bare_migration(cluster, gossip_phases(key), batch_size, leave)
            outcome = {"seconds": sum(times), "restarts": len(times), "rc": 0,
                       "each": [round(t, 1) for t in times]}
        else:
            outcome = ansible_migration(cluster, work, batch_size, leave)
        time.sleep(2)
        final = {"gossip_encrypted": True, "encrypt_verify_incoming": True,
                 "encrypt_verify_outgoing": True}
        outcome["encrypted_everywhere"] = all(cluster.holds(n, final) for n in cluster.agents)
    finally:
        report = load.stop()
        cluster.stop()
    summary = summarize(report)
    print(f"\n{kind}, {servers}+{clients}, leader {'leaves' if leave else 'stops'}: "
          f"{outcome['seconds']:.1f} s, rc {outcome['rc']}, encrypted everywhere "
          f"{outcome['encrypted_everywhere']}\n{render(summary)}", flush=True)
    if keep is None:
        shutil.rmtree(work, ignore_errors=True)
    outcome.pop("recap", None)
    outcome["load"] = {k: summary[k] for k in ("requests", "failed", "kv_acked", "kv_lost", "kv_unreadable")}
    return outcome


def table(results: list[dict[str, Any]]) -> str:
    rows = ["| cluster | leader before its restart | restarts | migration (s) | lower bound (s) | ratio "
            "| requests | failed on restarting agent | failed elsewhere, leader change "
            "| failed elsewhere, a server restarting | failed elsewhere, other | KV writes lost |",
            "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in results:
        run, bare = r["ansible"], r["bare"]
        ratio = run["seconds"] / bare["seconds"] if bare["seconds"] else float("nan")
        failed = run["load"]["failed"]
        rows.append(
            f"| {r['servers']} servers + {r['clients']} clients (client batch {r['batch']}) "
            f"| {'leaves' if r['leave'] else 'stops'} | {bare['restarts']} | {run['seconds']:.0f} "
            f"| {bare['seconds']:.0f} | {ratio:.1f}x | {run['load']['requests']} "
            f"| {failed['restarting']} | {failed['leader']} | {failed['server']} | {failed['other']} "
            f"| {run['load']['kv_lost']} |")
    return "\n".join(rows)


def update_readme(text: str) -> None:
    readme = ROOT / "README.md"
    content = readme.read_text()
    start = content.find(README_MARK)
    end = content.find(README_MARK, start + 1)
    if start < 0 or end < 0:
        return
    readme.write_text(content[:start + len(README_MARK)] + "\n" + text + "\n" + content[end:])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", maxsplit=1)[0])
    parser.add_argument("--sizes", default="3+2,3+20", help="servers+clients, comma separated")
    parser.add_argument("--modes", default="leave,stop",
                        help="leader leaves before its restart, or is just stopped (both ways on the "
                             "first size only, the first mode on the others)")
    parser.add_argument("--client-batch-size", type=int, default=0,
                        help="default: 1 up to 5 clients, else 5")
    parser.add_argument("--rate", type=float, default=10.0, help="load: requests/s per agent")
    parser.add_argument("--keep", action="store_true", help="keep the work dirs (logs)")
    parser.add_argument("--no-save", action="store_true")
    parser.add_argument("--append", action="store_true",
                        help="keep the saved results of other cluster sizes and modes")
    args = parser.parse_args()
    modes = [m.strip() for m in args.modes.split(",")]
    results = []
    for index, size in enumerate(args.sizes.split(",")):
        servers, clients = (int(x) for x in size.split("+"))
        batch = args.client_batch_size or (1 if clients <= 5 else 5)
        for mode in modes if index == 0 else modes[:1]:
            leave = mode == "leave"
            entry: dict[str, Any] = {"servers": servers, "clients": clients, "batch": batch, "leave": leave}
            for kind in ("bare", "ansible"):
                entry[kind] = one_run(kind, servers, clients, batch, leave, args.rate,
                                      Path(".") if args.keep else None)
            results.append(entry)
    if args.append and (RESULTS / "gossip_migration.json").exists():
        saved = json.loads((RESULTS / "gossip_migration.json").read_text())["results"]
        fresh = {(r["servers"], r["clients"], r["leave"]) for r in results}
        results = [r for r in saved if (r["servers"], r["clients"], r["leave"]) not in fresh] + results
    text = table(results)
    print("\n" + text)
    if not args.no_save:
        RESULTS.mkdir(exist_ok=True)
        meta = {"date": time.strftime("%Y-%m-%d"), "consul": "1.8.7", "cpus": os.cpu_count(),
                "load_rate_per_agent": args.rate}
        (RESULTS / "gossip_migration.json").write_text(json.dumps({"meta": meta, "results": results}, indent=1) + "\n")
        (RESULTS / "gossip_migration.md").write_text(
            f"Gossip migration, Consul 1.8.7, local processes, {os.cpu_count()} CPUs, "
            f"load {args.rate:g} requests/s per agent, {meta['date']}:\n\n{text}\n")
        update_readme(text)
    failed = any(r[k]["rc"] != 0 or not r[k]["encrypted_everywhere"] for r in results for k in ("bare", "ansible"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
