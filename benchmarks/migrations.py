"""Benchmark of the migrations on real local Consul agents. Reports figures; not a test.

For each migration (gossip encryption, TLS) and cluster size, on a fresh insecure cluster
of local processes (loopback addresses 127.0.3.x; each agent started, stopped and
restarted by its pidfile through tests/testbed/agentctl.sh), under a steady load
(tests/testbed/load.py, which follows an agent to HTTPS once its plain HTTP closes):

  bare     the same restarts the migration makes (same phases, batches and order, the
           leader last, with or without a leave first), each timed from the restart until
           the conditions the role waits for first hold (the role's own judge, no settle
           period). Their sum is the lower bound of the migration.
  ansible  the migration's playbook from start to finish, as an operator runs it
           (consul_restart_command = agentctl.sh restart).

and prints a table: migration time, lower bound, their ratio, and the failed requests by
cause (on the restarting agent; elsewhere during a leader change; elsewhere while a
server restarted; elsewhere otherwise) and acknowledged KV writes lost. The last results
are kept in benchmarks/results/<migration>_migration.{json,md} and benchmarks/README.md.

  . scripts/lib.sh && python benchmarks/migrations.py         # gossip and TLS: 3+2 both ways, 3+20
  python benchmarks/migrations.py --migrations tls --sizes 3+2 --modes leave   # a quicker look
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

import load as load_module  # noqa: E402
from load import Load, render, summarize  # noqa: E402
from local_cluster import DetachedCluster, address_in_use, consul_binary  # noqa: E402

from ansible_collections.consulsec.hardening.plugins.module_utils._agent_info import gather_agent  # noqa: E402
from ansible_collections.consulsec.hardening.plugins.module_utils._client import ConsulClient  # noqa: E402
from ansible_collections.consulsec.hardening.plugins.module_utils._connection import (  # noqa: E402
    connection_options,
)
from ansible_collections.consulsec.hardening.plugins.module_utils import _tls as tls  # noqa: E402
from ansible_collections.consulsec.hardening.plugins.module_utils._gossip_phases import gossip_phases  # noqa: E402
from ansible_collections.consulsec.hardening.plugins.module_utils._tls_stages import tls_stages  # noqa: E402
from ansible_collections.consulsec.hardening.plugins.module_utils._errors import (  # noqa: E402
    ConsulConnectionError,
    ConsulError,
)
from ansible_collections.consulsec.hardening.plugins.module_utils._rolling import (  # noqa: E402
    client_batch,
    restart_order,
    wait_conditions,
)
from ansible_collections.consulsec.hardening.plugins.module_utils._wait import (  # noqa: E402
    describe_unmet,
    evaluate,
    needed_parts,
    validate_conditions,
)

RESULTS = ROOT / "benchmarks" / "results"
HTTPS_PORT = 8501


class GossipMigration:
    """Gossip encryption: the role's own phases (plugins/module_utils/_gossip_phases.py)
    with a new key."""

    name = "gossip"
    playbook = "gossip_encryption.yml"
    fragment = "50-consulsec-gossip.json"
    final = {"gossip_encrypted": True, "encrypt_verify_incoming": True, "encrypt_verify_outgoing": True}

    def __init__(self, work: Path) -> None:
        self.work = work
        self.key = base64.b64encode(secrets.token_bytes(32)).decode()

    def phases(self, cluster: ProcessCluster) -> list[dict[str, Any]]:
        """[{content: {agent: fragment}, expect}] for the bare run."""
        return [{"content": dict.fromkeys(cluster.agents, phase["content"]), "expect": phase["expect"]}
                for phase in gossip_phases(self.key)]

    def extra_vars(self) -> dict[str, Any]:
        return {"gossip_encryption_key_file": str(self.work / "gossip.key")}

    def https(self) -> dict[str, str] | None:
        return None


class TlsMigration:
    """TLS in the role's four stages (plugins/module_utils/_tls_stages.py); for the bare
    run a CA and agent certificates made here, for the playbook the ones it issues."""

    name = "tls"
    playbook = "tls.yml"
    fragment = "60-consulsec-tls.json"
    final = {"tls_verify_incoming": True, "tls_verify_outgoing": True,
             "tls_verify_server_hostname": True, "http_port": -1}

    def __init__(self, work: Path) -> None:
        self.work = work
        self.pki = work / "pki"

    def _issue(self, cluster: ProcessCluster) -> None:
        self.pki.mkdir(parents=True, exist_ok=True)
        ca_key = tls.new_key()
        ca = tls.build_ca(ca_key, "Benchmark Consul CA", 30)
        (self.pki / "consul-agent-ca.pem").write_bytes(tls.cert_pem(ca))
        for agent in cluster.agents.values():
            key = tls.new_key()
            names = tls.agent_names("server" if agent.server else "client", cluster.datacenter,
                                    dns_names=[agent.name], ip_addresses=[agent.address])
            cert = tls.build_agent_cert(ca, ca_key, key, "server" if agent.server else "client", names, 30)
            (self.pki / f"{agent.name}.pem").write_bytes(tls.cert_pem(cert))
            (self.pki / f"{agent.name}-key.pem").write_bytes(tls.key_pem(key))
            os.chmod(self.pki / f"{agent.name}-key.pem", 0o600)

    def phases(self, cluster: ProcessCluster) -> list[dict[str, Any]]:
        """The role's own stages (tls_stages, plain HTTP closed at the end) per agent."""
        self._issue(cluster)
        stages = {agent.name: tls_stages("server" if agent.server else "client",
                                         {"ca_file": str(self.pki / "consul-agent-ca.pem"),
                                          "cert_file": str(self.pki / f"{agent.name}.pem"),
                                          "key_file": str(self.pki / f"{agent.name}-key.pem")}, HTTPS_PORT)
                  for agent in cluster.agents.values()}
        # every agent shows the same state in each stage without auto_encrypt
        return [{"content": {name: mine[index]["settings"] for name, mine in stages.items()},
                 "expect": next(iter(stages.values()))[index]["expect"]}
                for index in range(len(next(iter(stages.values()))))]

    def extra_vars(self) -> dict[str, Any]:
        return {"tls_pki_dir": str(self.pki)}

    def https(self) -> dict[str, str] | None:
        """A CA and a client certificate to call agents with once HTTP is closed (the
        bare run's or the playbook's: both keep them in the pki dir)."""
        return {"cacert": str(self.pki / "consul-agent-ca.pem"), "cert": str(self.pki / "client1.pem"),
                "key": str(self.pki / "client1-key.pem")}


MIGRATIONS = {"gossip": GossipMigration, "tls": TlsMigration}


class ProcessCluster(DetachedCluster):
    """Detached local agents, judged with the role's own conditions."""

    def __init__(self, base: Path, servers: int, clients: int) -> None:
        super().__init__(base, servers=servers, clients=clients)
        self.server_names = [a.name for a in self.agents.values() if a.server]
        self.https: dict[str, str] | None = None

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

    def client(self, name: str, https: dict[str, str] | None = None) -> ConsulClient:
        agent = self.agents[name]
        options = {"http_addr": agent.http_addr, "request_timeout": 5.0}
        if https:
            options = {"http_addr": f"https://{agent.address}:{HTTPS_PORT}", "request_timeout": 5.0,
                       "cacert": https["cacert"], "client_cert": https["cert"], "client_key": https["key"]}
        return ConsulClient(connection_options(options))

    def gather(self, name: str, parts: list[str]) -> dict[str, Any]:
        """The agent's record over plain HTTP, or over HTTPS once that is closed."""
        try:
            return gather_agent(self.client(name), parts)
        except ConsulConnectionError:
            if not self.https:
                raise
            return gather_agent(self.client(name, self.https), parts)

    def leader(self) -> str:
        address = self.gather(self.server_names[0], [])["leader"]["address"].rsplit(":", 1)[0]
        return next(a.name for a in self.agents.values() if a.address == address)

    def conditions(self, name: str, expect: dict[str, Any]) -> dict[str, Any]:
        """What rolling_restart waits for after restarting ``name``: the planner's own
        conditions (consul_rolling_plan returns the same to the engine)."""
        agents = [{"name": a.name, "server": a.server} for a in self.agents.values()]
        return validate_conditions(wait_conditions(agents, name, expect)["after"])

    def unmet(self, name: str, expect: dict[str, Any]) -> str:
        """What keeps ``name`` from the conditions ("" when they hold)."""
        conditions = self.conditions(name, expect)
        try:
            record = self.gather(name, needed_parts(conditions))
        except ConsulError as exc:
            return describe_unmet(evaluate(conditions, None, str(exc)))
        return describe_unmet(evaluate(conditions, record))

    def holds(self, name: str, expect: dict[str, Any]) -> bool:
        return not self.unmet(name, expect)


def bare_migration(cluster: ProcessCluster, migration: Any, batch_size: int, leave: bool) -> list[float]:
    """Every restart of the migration, timed from the restart until the conditions hold."""
    times = []
    for phase in migration.phases(cluster):
        leader = cluster.leader()
        agents = [{"name": a.name, "server": a.server, "is_leader": a.name == leader}
                  for a in cluster.agents.values()]
        for batch in restart_order(agents, batch_size):
            for name in batch:
                cluster.write_fragment(name, migration.fragment, phase["content"][name])
            started = time.time()
            if leave and leader in batch and len(cluster.server_names) > 1:
                record_leave(cluster, leader)
            cluster.ctl("restart", batch)
            while not all(cluster.holds(name, phase["expect"]) for name in batch):
                if time.time() - started > 300:
                    unmet = {n: cluster.unmet(n, phase["expect"]) for n in batch}
                    raise RuntimeError(f"{batch} did not come back within 300 s: {unmet}")
                time.sleep(0.2)
            times.append(time.time() - started)
    return times


def record_leave(cluster: ProcessCluster, leader: str) -> None:
    """consul leave on the leader: over plain HTTP, else (TLS, HTTP closed) over HTTPS."""
    agent = cluster.agents[leader]
    done = subprocess.run([consul_binary(), "leave", f"-http-addr={agent.http_addr}"],  # noqa: S603
                          capture_output=True, text=True, check=False)
    if done.returncode != 0 and cluster.https:
        done = subprocess.run(  # noqa: S603
            [consul_binary(), "leave", f"-http-addr=https://{agent.address}:{HTTPS_PORT}",
             f"-ca-file={cluster.https['cacert']}", f"-client-cert={cluster.https['cert']}",
             f"-client-key={cluster.https['key']}"], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"consul leave on {leader} failed: {done.stderr}")


def ansible_migration(cluster: ProcessCluster, migration: Any, batch_size: int, leave: bool) -> dict[str, Any]:
    """The playbook, as an operator runs it; returns its time and outcome."""
    inventory = cluster.write_inventory(migration.work / "inventory.json")
    prefix = "gossip_encryption" if migration.name == "gossip" else migration.name
    extra = {**migration.extra_vars(), f"{prefix}_client_batch_size": batch_size,
             f"{prefix}_leader_leave": leave}
    started = time.time()
    # the JSON callback: each task's start and end, and each wait's result (breakdown())
    done = subprocess.run(  # noqa: S603
        ["ansible-playbook", "-i", inventory, str(ROOT / "playbooks" / migration.playbook),
         "-e", json.dumps(extra)],
        capture_output=True, text=True, check=False, timeout=3600,
        # forks at least the batch (role consul says so when a batch is larger)
        env=dict(os.environ, ANSIBLE_STDOUT_CALLBACK="ansible.posix.json",
                 ANSIBLE_FORKS=str(max(5, batch_size))))
    seconds = time.time() - started
    (migration.work / "ansible.json").write_text(done.stdout + done.stderr)
    try:
        parts = breakdown(json.loads(done.stdout), seconds)
    except ValueError:
        parts = {}
    return {"seconds": seconds, "rc": done.returncode, "parts": parts}


# The engine's steps for one batch, as consul_restart times them on each agent (its
# result's "seconds"); the check before a migration's own step is a task of its own
STEPS = {"before": "gate", "write": "write", "leave": "leave", "restart": "restart",
         "until_met": "until met", "settle": "settle"}
GATE = "Check that the cluster is whole and can lose this agent"
PARTS = ("gate", "write", "leave", "restart", "until met", "settle", "Ansible's own")


def _seconds(duration: dict[str, str]) -> float:
    def stamp(text: str) -> float:
        return time.mktime(time.strptime(text[:19], "%Y-%m-%dT%H:%M:%S")) + float("0" + text[19:].rstrip("Z"))
    return stamp(duration["end"]) - stamp(duration["start"])


def breakdown(output: dict[str, Any], total: float) -> dict[str, float]:
    """Where the playbook's seconds went, from the JSON callback's tasks: each step of the
    engine's batches (the slowest agent's of the batch, as consul_restart timed it), the
    wait split into until the batch first met the phase's conditions and the settle after;
    the rest (module starts, reads, plans, includes, facts, starting Ansible) is Ansible's
    own."""
    parts = dict.fromkeys(PARTS, 0.0)
    for play in output.get("plays", []):
        for task in play.get("tasks", []):
            # "role : task name" for a role's tasks
            name = task["task"]["name"].split(" : ", 1)[-1]
            ran = [r for r in task["hosts"].values() if not r.get("skipped")]
            timed = [r["seconds"] for r in ran if isinstance(r.get("seconds"), dict)]
            if timed:
                for key, part in STEPS.items():
                    parts[part] += max(t.get(key, 0.0) for t in timed)
            elif ran and name.startswith(GATE):
                parts["gate"] += _seconds(task["task"]["duration"])
    parts["Ansible's own"] = total - sum(v for k, v in parts.items() if k != "Ansible's own")
    return {k: round(v, 1) for k, v in parts.items()}


def one_run(name: str, kind: str, servers: int, clients: int, batch_size: int, leave: bool,
            rate: float, keep: bool) -> dict[str, Any]:
    work = Path(tempfile.mkdtemp(prefix=f"consulsec-bench-{name}-{kind}-"))
    migration = MIGRATIONS[name](work)
    cluster = ProcessCluster(work / "cluster", servers, clients)
    cluster.https = migration.https()
    try:
        cluster.start()
    except BaseException:
        cluster.stop()
        raise
    https = migration.https()
    if https:
        load_module.TLS_FILES.update(https)
        load_module._TLS_CONTEXT.clear()  # noqa: SLF001 - a new CA for every run
    load = Load({n: a.http_addr for n, a in cluster.agents.items()}, rate=rate,
                pid_sources=cluster.pidfiles(),
                https_urls={n: f"https://{a.address}:{HTTPS_PORT}" for n, a in cluster.agents.items()} if https else None)
    try:
        load.start()
        time.sleep(2)
        if kind == "bare":
            times = bare_migration(cluster, migration, batch_size, leave)
            outcome = {"seconds": sum(times), "restarts": len(times), "rc": 0,
                       "each": [round(t, 1) for t in times]}
        else:
            outcome = ansible_migration(cluster, migration, batch_size, leave)
        time.sleep(2)
        outcome["done_everywhere"] = all(cluster.holds(n, migration.final) for n in cluster.agents)
    finally:
        report = load.stop()
        cluster.stop()
    summary = summarize(report)
    print(f"\n{name} {kind}, {servers}+{clients}, leader {'leaves' if leave else 'stops'}: "
          f"{outcome['seconds']:.1f} s, rc {outcome['rc']}, done everywhere "
          f"{outcome['done_everywhere']}\n{render(summary)}", flush=True)
    if not keep:
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


def parts_table(results: list[dict[str, Any]]) -> str:
    """Where each playbook run's time went (breakdown()), beside the bare restarts' total."""
    rows = ["| cluster | leader | migration (s) | " + " | ".join(PARTS) + " | bare restarts (s) |",
            "|---|---|---:|" + "---:|" * len(PARTS) + "---:|"]
    for r in results:
        parts = r["ansible"].get("parts") or {}
        if not parts:
            continue
        rows.append(f"| {r['servers']}+{r['clients']} (batch {r['batch']}) | "
                    f"{'leaves' if r['leave'] else 'stops'} | {r['ansible']['seconds']:.0f} | "
                    + " | ".join(f"{parts.get(p, 0):.0f}" for p in PARTS)
                    + f" | {r['bare']['seconds']:.0f} |")
    return "\n".join(rows)


def update_readme(name: str, text: str) -> None:
    readme = ROOT / "benchmarks" / "README.md"
    content = readme.read_text()
    mark = f"<!-- benchmark: {name}_migration -->"
    start = content.find(mark)
    end = content.find(mark, start + 1)
    if start < 0 or end < 0:
        return
    readme.write_text(content[:start + len(mark)] + "\n" + text + "\n" + content[end:])


def save(name: str, results: list[dict[str, Any]], rate: float, append: bool) -> list[dict[str, Any]]:
    """Keep the results (with --append, next to the saved ones of other sizes and modes)."""
    path = RESULTS / f"{name}_migration.json"
    if append and path.exists():
        saved = json.loads(path.read_text())["results"]
        fresh = {(r["servers"], r["clients"], r["leave"]) for r in results}
        results = [r for r in saved if (r["servers"], r["clients"], r["leave"]) not in fresh] + results
    RESULTS.mkdir(exist_ok=True)
    meta = {"date": time.strftime("%Y-%m-%d"), "consul": "1.8.7", "cpus": os.cpu_count(),
            "load_rate_per_agent": rate}
    path.write_text(json.dumps({"meta": meta, "results": results}, indent=1) + "\n")
    text = table(results)
    parts = parts_table(results)
    if parts.count("\n") > 1:
        text += ("\n\nWhere the playbook's time went (s): the engine's steps summed over its "
                 "batches, the wait split into until the batch first met the phase's "
                 "conditions and the settle after; Ansible's own is the rest (reads, plans, "
                 "includes, facts, start):\n\n" + parts)
    (RESULTS / f"{name}_migration.md").write_text(
        f"{name.capitalize() if name == 'gossip' else name.upper()} migration, Consul 1.8.7, local processes, "
        f"{os.cpu_count()} CPUs, load {rate:g} requests/s per agent, {meta['date']}:\n\n{text}\n")
    update_readme(name, text)
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", maxsplit=1)[0])
    parser.add_argument("--migrations", default="gossip,tls", help="gossip, tls; comma separated")
    parser.add_argument("--sizes", default="3+2,3+20", help="servers+clients, comma separated")
    parser.add_argument("--modes", default="leave,stop",
                        help="leader leaves before its restart, or is just stopped (both ways on the "
                             "first size only, the first mode on the others)")
    parser.add_argument("--client-batch-size", default="",
                        help="a count or a percentage of each size's clients, as the roles take "
                             "it (e.g. 20%%: the same number of batches at every size); "
                             "default: 1 up to 5 clients, else 5")
    parser.add_argument("--rate", type=float, default=10.0, help="load: requests/s per agent")
    parser.add_argument("--keep", action="store_true", help="keep the work dirs (logs)")
    parser.add_argument("--no-save", action="store_true")
    parser.add_argument("--append", action="store_true",
                        help="keep the saved results of other cluster sizes and modes")
    args = parser.parse_args()
    modes = [m.strip() for m in args.modes.split(",")]
    failed = False
    for name in (m.strip() for m in args.migrations.split(",")):
        results = []
        for index, size in enumerate(args.sizes.split(",")):
            servers, clients = (int(x) for x in size.split("+"))
            batch = (client_batch(args.client_batch_size, clients, "--client-batch-size")
                     if args.client_batch_size else (1 if clients <= 5 else 5))
            for mode in modes if index == 0 else modes[:1]:
                leave = mode == "leave"
                entry: dict[str, Any] = {"servers": servers, "clients": clients, "batch": batch, "leave": leave}
                for kind in ("bare", "ansible"):
                    entry[kind] = one_run(name, kind, servers, clients, batch, leave, args.rate, args.keep)
                    failed = failed or entry[kind]["rc"] != 0 or not entry[kind]["done_everywhere"]
                results.append(entry)
        if not args.no_save:
            results = save(name, results, args.rate, args.append)
        print(f"\n{name}:\n" + table(results) + "\n\n" + parts_table(results))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
