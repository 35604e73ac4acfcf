"""A steady load on Consul agents while a migration runs, and what failed, and why.

Independent of the collection: plain HTTP with urllib, standard library only, Python
3.9 (it also runs inside the test containers, against each container's own agent). An
agent whose plain HTTP is closed during the run (a TLS migration) is followed to HTTPS.

Per agent, one worker writes a KV pair, reads it back and reads the catalog, at a set
rate (a request may take up to 30 s: it may wait through an election, not fail); a
monitor asks the agent every 0.25 s whether it is leaving and which leader it names,
and watches its PID. On stop, every KV write the agent acknowledged is read back
(consistent read).

Every failed request is then put down to one cause, from the monitors' timelines:
  restarting  the agent asked was itself leaving, stopping, down or not yet rejoined
              (its monitor saw a new PID, a refused connection or a leave there);
  leader      another agent, while some agent saw no leader or a new one;
  server      another agent, while a server was restarting (a client's request in
              flight on that server, or a server's forwarded to it, is not retried);
  other       anything else: a failure the migration should never cause.

  load.py run --agent server1=http://127.0.0.1:8500@proc --report r.json --stop-file stop
      [--https server1=https://127.0.0.1:8501 --cacert ca.pem --cert c.pem --key k.pem]
  load.py summary r1.json r2.json [--fail-on-other] [--fail-on-lost]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import ssl
import sys
import threading
import time
import urllib.error
import urllib.request
from typing import Any, Dict, Iterable, List, Optional, Tuple

MONITOR_INTERVAL = 0.25
# how far apart in time a failure and a window may be and still be put down to it:
# one monitor interval for the poll, plus the request's own timeout slack
PAD = 1.0
DOWN = "down"
LEAVING = "leaving"
NO_LEADER = "no-leader"

Interval = Tuple[float, float]


# ------------------------------------------------------------------------ requests
# CA, certificate and key for HTTPS (--cacert/--cert/--key), loaded on first use: an agent
# may get its certificate only during the migration
TLS_FILES: Dict[str, str] = {}
_TLS_CONTEXT: List[ssl.SSLContext] = []


def _context(url: str) -> Optional[ssl.SSLContext]:
    if not url.startswith("https:") or not TLS_FILES:
        return None
    if not _TLS_CONTEXT:
        context = ssl.create_default_context(cafile=TLS_FILES["cacert"])
        context.load_cert_chain(TLS_FILES["cert"], TLS_FILES["key"])
        _TLS_CONTEXT.append(context)
    return _TLS_CONTEXT[0]


def request(url: str, method: str = "GET", body: Optional[bytes] = None,
            timeout: float = 10.0) -> Tuple[Optional[int], str]:
    """One HTTP(S) request. Returns (status, body); status None when nothing answered."""
    req = urllib.request.Request(url, data=body, method=method)
    try:
        with urllib.request.urlopen(req, timeout=timeout, context=_context(url)) as reply:  # noqa: S310 - test bed only
            return reply.status, reply.read().decode(errors="replace")
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode(errors="replace")[:200]
    except (urllib.error.URLError, OSError) as err:
        reason = getattr(err, "reason", err)
        return None, f"{type(reason).__name__}: {reason}"


def agent_pid(source: str) -> Optional[int]:
    """The agent's PID: from a pidfile, or with "proc" the one `consul agent` process
    running here (inside a test container)."""
    if source != "proc":
        try:
            with open(source) as handle:
                return int(handle.read().strip() or 0) or None
        except (OSError, ValueError):
            return None
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as handle:
                argv = handle.read().split(b"\0")
        except OSError:
            continue
        if len(argv) > 1 and argv[0].endswith(b"consul") and argv[1] == b"agent":
            return int(entry)
    return None


class AgentLoad:
    """The load on one agent: a worker and a monitor thread."""

    def __init__(self, name: str, url: str, rate: float, prefix: str,
                 timeout: float = 30.0, pid_source: Optional[str] = None,
                 https_url: Optional[str] = None) -> None:
        self.name = name
        # where the agent answers once its plain HTTP is closed (a TLS migration)
        self.https_url = https_url.rstrip("/") if https_url else None
        self.pid_source = pid_source
        self.address: Optional[str] = None
        self.server = False
        self.pids: List[Tuple[float, float, Optional[int]]] = []
        self.url = url.rstrip("/")
        self.rate = rate
        self.prefix = f"{prefix.strip('/')}/{name}"
        self.timeout = timeout
        self.requests: Dict[str, int] = {"kv_put": 0, "kv_get": 0, "catalog": 0}
        self.failures: List[Dict[str, Any]] = []
        self.acked: Dict[str, str] = {}
        # (time of the last observation before the change, time of the change, value)
        self.timeline: List[Tuple[float, float, str]] = []
        self._stop = threading.Event()
        self._threads: List[threading.Thread] = []

    def _request(self, path: str, method: str = "GET", body: Optional[bytes] = None,
                 timeout: float = 10.0) -> Tuple[Optional[int], str]:
        """A request to the agent; when plain HTTP is refused and HTTPS answers, the agent
        closed HTTP: use HTTPS from then on."""
        status, text = request(self.url + path, method, body, timeout)
        if status is None and self.https_url and self.url != self.https_url and "refused" in text.lower():
            if request(self.https_url + "/v1/agent/self", timeout=2.0)[0] == 200:
                self.url = self.https_url
                status, text = request(self.url + path, method, body, timeout)
        return status, text

    # one request, counted, its failure kept with its start and end time
    def _call(self, op: str, path: str, method: str = "GET",
              body: Optional[bytes] = None) -> Tuple[bool, str]:
        start = time.time()
        status, text = self._request(path, method, body, self.timeout)
        end = time.time()
        self.requests[op] += 1
        ok = status == 200
        if ok and op == "kv_put" and text.strip() != "true":
            ok, text = False, f"put answered {text.strip()!r}"
        if not ok:
            self.failures.append({"agent": self.name, "op": op, "start": start, "end": end,
                                  "status": status, "error": text.strip()[:200]})
        return ok, text

    def _work(self) -> None:
        seq = 0
        period = 3.0 / self.rate  # three requests per round
        while not self._stop.is_set():
            began = time.time()
            seq += 1
            key = f"{self.prefix}/{seq:07d}"
            value = f"{self.name}-{seq}-{began:.3f}"
            ok = self._call("kv_put", f"/v1/kv/{key}", "PUT", value.encode())[0]
            if ok:
                self.acked[key] = value
                ok, text = self._call("kv_get", f"/v1/kv/{key}?raw")
                if ok and text != value:
                    self.failures.append({"agent": self.name, "op": "kv_get", "start": began,
                                          "end": time.time(), "status": 200,
                                          "error": f"read {text[:60]!r}, wrote {value!r}"})
            self._call("catalog", "/v1/catalog/services")
            self._stop.wait(max(0.0, period - (time.time() - began)))

    def _monitor(self) -> None:
        last_seen = time.time()
        current = None
        last_pid: Any = "unknown"
        while not self._stop.is_set():
            if self.pid_source:
                pid = agent_pid(self.pid_source)
                if pid != last_pid:
                    self.pids.append((last_seen, time.time(), pid))
                    last_pid = pid
            value = self._observe()
            now = time.time()
            if value != current:
                self.timeline.append((last_seen, now, value))
                current = value
            last_seen = now
            self._stop.wait(MONITOR_INTERVAL)
        self.timeline.append((last_seen, time.time(), "stopped"))

    def _observe(self) -> str:
        """What the agent says now: the leader's address, or DOWN (no answer), LEAVING
        (it is leaving or has left the cluster), NO_LEADER."""
        status, text = self._request("/v1/agent/self", timeout=2.0)
        if status is None:
            return DOWN
        if status == 200:
            found = json.loads(text)
            self.address = found["Member"]["Addr"]
            self.server = bool(found["Config"]["Server"])
            if found["Member"]["Status"] != 1:
                return LEAVING
        status, text = self._request("/v1/status/leader", timeout=2.0)
        if status is None:
            return DOWN
        if status != 200:
            return NO_LEADER
        return json.loads(text or '""') or NO_LEADER

    def start(self) -> None:
        for target in (self._monitor, self._work):
            thread = threading.Thread(target=target, daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=self.timeout + 5)

    def read_back(self) -> Dict[str, Any]:
        """Read every acknowledged write again; a key that cannot be read is retried."""
        lost: List[str] = []
        unreadable: List[str] = []
        for key, value in self.acked.items():
            for attempt in range(5):
                status, text = self._request(f"/v1/kv/{key}?raw&consistent", timeout=10.0)
                if status in (200, 404):
                    break
                time.sleep(1 + attempt)
            if status == 404 or (status == 200 and text != value):
                lost.append(key)
            elif status != 200:
                unreadable.append(key)
        return {"acked": len(self.acked), "lost": lost, "unreadable": unreadable}

    def report(self, read_back: bool = True) -> Dict[str, Any]:
        return {
            "agent": self.name,
            "url": self.url,
            "requests": dict(self.requests),
            "failures": list(self.failures),
            "address": self.address,
            "server": self.server,
            "timeline": [list(item) for item in self.timeline],
            "pids": [list(item) for item in self.pids],
            "kv": self.read_back() if read_back else {"acked": len(self.acked)},
        }


class Load:
    """The load on several agents at once."""

    def __init__(self, agents: Dict[str, str], rate: float = 20.0,
                 prefix: str = "consulsec-load",
                 pid_sources: Optional[Dict[str, str]] = None,
                 https_urls: Optional[Dict[str, str]] = None) -> None:
        """agents: name -> HTTP address; pid_sources: name -> pidfile or "proc";
        https_urls: name -> HTTPS address to use once plain HTTP is closed."""
        pid_sources = pid_sources or {}
        https_urls = https_urls or {}
        self.loads = [AgentLoad(name, url, rate, prefix, pid_source=pid_sources.get(name),
                                https_url=https_urls.get(name))
                      for name, url in agents.items()]
        self.started = 0.0

    def start(self) -> None:
        self.started = time.time()
        for load in self.loads:
            load.start()

    def stop(self, read_back: bool = True) -> Dict[str, Any]:
        for load in self.loads:
            load._stop.set()  # noqa: SLF001 - stop all first, then join
        for load in self.loads:
            load.stop()
        return {"started": self.started, "stopped": time.time(),
                "agents": [load.report(read_back) for load in self.loads]}


# ------------------------------------------------------------------ classification
def _merge(intervals: Iterable[Interval]) -> List[Interval]:
    merged: List[Interval] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _spans(timeline: List[List[Any]]) -> List[Tuple[float, float, float, str]]:
    """(from, first seen, to, value) per stretch of one value: from the last sighting of
    the value before (to be safe) to the first sighting of the next one."""
    spans = []
    for index, (before, seen, value) in enumerate(timeline):
        end = timeline[index + 1][1] if index + 1 < len(timeline) else seen
        spans.append((before, seen, end, value))
    return spans


def _is_leader(value: str) -> bool:
    return value not in (DOWN, LEAVING, NO_LEADER, "stopped")


def _value_at(spans: List[Tuple[float, float, float, str]], when: float) -> Optional[str]:
    for _before, seen, end, value in spans:
        if seen <= when < end:
            return value
    return None


def _first_leader_after(spans: List[Tuple[float, float, float, str]], when: float,
                        not_named: str) -> Optional[float]:
    for _before, seen, _end, value in spans:
        if seen >= when and _is_leader(value) and not value.startswith(not_named):
            return seen
    return None


def _overlaps(start: float, end: float, intervals: List[Interval]) -> bool:
    return any(start <= w_end and end >= w_start for w_start, w_end in intervals)


def windows(report: Dict[str, Any]) -> Dict[str, Any]:
    """Restart windows per agent and leader-change windows, from the monitors' timelines.

    A restart: the agent's process changed (a new PID), refused connections, or reported
    itself leaving or left (a graceful leave before the restart). Its window is that and
    the stretch around it in which the agent named no leader (the rejoin after). A leader change: an agent not restarting named no leader
    or a new one; and from the restart of an agent that was leader until every other
    agent names a new one (the followers still name the old leader for a moment after it
    went, while requests forwarded to it already fail)."""
    agents = report["agents"]
    spans = {a["agent"]: _spans(a["timeline"]) for a in agents}
    restarts: Dict[str, List[Interval]] = {}
    leader: List[Interval] = []
    for agent in agents:
        name = agent["agent"]
        not_ok = _merge((before, end) for before, _seen, end, value in spans[name]
                        if not _is_leader(value) and value != "stopped")
        markers = [(before, seen) for before, seen, value in agent.get("pids", [])[1:]]
        markers += [(before, end) for before, _seen, end, value in spans[name]
                    if value in (DOWN, LEAVING)]
        found = [stretch for stretch in not_ok if _overlaps(*stretch, _merge(
            (s - PAD, e + PAD) for s, e in markers))]
        restarts[name] = _merge((s - PAD, e + PAD) for s, e in found + markers)
        leader.extend(stretch for stretch in not_ok
                      if not _overlaps(*stretch, restarts[name]))
        previous: Optional[Tuple[float, str]] = None  # (last sighting, leader)
        for before, seen, _end, value in spans[name]:
            if not _is_leader(value):
                continue
            if previous is not None and value != previous[1]:
                leader.append((previous[0], seen))
            previous = (_end, value)
    for agent in agents:
        address = agent.get("address")
        if not address:
            continue
        for start, end in restarts[agent["agent"]]:
            others = [spans[a["agent"]] for a in agents if a is not agent]
            if not any((_value_at(other, start + PAD) or "").startswith(address + ":")
                       for other in others):
                continue
            firsts = [_first_leader_after(other, start, address + ":") for other in others]
            leader.append((start, max([f for f in firsts if f is not None], default=end)))
    return {"restarts": restarts, "leader": _merge((s - PAD, e + PAD) for s, e in leader),
            "servers": [a["agent"] for a in agents if a.get("server")]}


def cause(failure: Dict[str, Any], found: Dict[str, Any]) -> str:
    """restarting, leader, server or other: see the module's docstring."""
    start, end = failure["start"], failure["end"]
    if _overlaps(start, end, found["restarts"].get(failure["agent"], [])):
        return "restarting"
    if _overlaps(start, end, found["leader"]):
        return "leader"
    if any(_overlaps(start, end, found["restarts"].get(name, [])) for name in found["servers"]):
        return "server"
    return "other"


def merge_reports(reports: List[Dict[str, Any]]) -> Dict[str, Any]:
    """Reports of several load processes (one per container) as one."""
    return {
        "started": min(r["started"] for r in reports),
        "stopped": max(r["stopped"] for r in reports),
        "agents": [agent for r in reports for agent in r["agents"]],
    }


def summarize(report: Dict[str, Any]) -> Dict[str, Any]:
    """Totals, failures by cause (overall and per agent) and KV writes lost."""
    found = windows(report)
    by_cause = {"restarting": 0, "leader": 0, "server": 0, "other": 0}
    per_agent: Dict[str, Dict[str, int]] = {}
    examples: Dict[str, List[Dict[str, Any]]] = {"leader": [], "server": [], "other": []}
    for agent in report["agents"]:
        counts = {"requests": sum(agent["requests"].values()),
                  "restarting": 0, "leader": 0, "server": 0, "other": 0,
                  "kv_acked": agent["kv"]["acked"],
                  "kv_lost": len(agent["kv"].get("lost", [])),
                  "kv_unreadable": len(agent["kv"].get("unreadable", []))}
        for failure in agent["failures"]:
            why = cause(failure, found)
            counts[why] += 1
            by_cause[why] += 1
            if why in examples and len(examples[why]) < 5:
                examples[why].append(failure)
        per_agent[agent["agent"]] = counts
    return {
        "seconds": round(report["stopped"] - report["started"], 1),
        "requests": sum(a["requests"] for a in per_agent.values()),
        "failed": by_cause,
        "kv_acked": sum(a["kv_acked"] for a in per_agent.values()),
        "kv_lost": sum(a["kv_lost"] for a in per_agent.values()),
        "kv_unreadable": sum(a["kv_unreadable"] for a in per_agent.values()),
        "restarts_seen": {name: len(w) for name, w in found["restarts"].items()},
        "leader_changes_seen": len(found["leader"]),
        "per_agent": per_agent,
        "examples": examples,
    }


def render(summary: Dict[str, Any]) -> str:
    lines = [
        f"{summary['requests']} requests in {summary['seconds']} s; failed: "
        f"{summary['failed']['restarting']} on the restarting agent, "
        f"{summary['failed']['leader']} elsewhere during a leader change, "
        f"{summary['failed']['server']} elsewhere while a server restarted, "
        f"{summary['failed']['other']} elsewhere otherwise",
        f"KV writes acknowledged {summary['kv_acked']}, lost {summary['kv_lost']}, "
        f"unreadable {summary['kv_unreadable']}; restart windows seen "
        f"{sum(summary['restarts_seen'].values())}, leader-change windows "
        f"{summary['leader_changes_seen']}",
        f"{'agent':<10} {'requests':>8} {'restart':>8} {'leader':>7} {'server':>7} {'other':>6} "
        f"{'kv':>6} {'lost':>5}",
    ]
    for name, c in sorted(summary["per_agent"].items()):
        lines.append(f"{name:<10} {c['requests']:>8} {c['restarting']:>8} {c['leader']:>7} "
                     f"{c['server']:>7} {c['other']:>6} {c['kv_acked']:>6} {c['kv_lost']:>5}")
    for why, failures in summary["examples"].items():
        for failure in failures:
            lines.append(f"  {why}: {failure['agent']} {failure['op']} at "
                         f"{failure['start']:.2f}: {failure['status']} {failure['error']}")
    return "\n".join(lines)


# ---------------------------------------------------------------------------- CLI
def _run(args: argparse.Namespace) -> int:
    agents, pids = {}, {}
    for item in args.agent:
        name, url = item.split("=", 1)
        url, pid_source = (url.split("@", 1) + [""])[:2]
        agents[name] = url
        if pid_source:
            pids[name] = pid_source
    https_urls = dict(item.split("=", 1) for item in args.https or [])
    if https_urls:
        TLS_FILES.update(cacert=args.cacert, cert=args.cert, key=args.key)
    load = Load(agents, rate=args.rate, prefix=args.prefix, pid_sources=pids, https_urls=https_urls)
    stopping = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stopping.set())
    load.start()
    deadline = time.time() + args.max_seconds
    while not stopping.is_set() and time.time() < deadline:
        if args.stop_file and os.path.exists(args.stop_file):
            break
        stopping.wait(0.5)
    report = load.stop()
    partial = args.report + ".partial"
    with open(partial, "w") as handle:
        json.dump(report, handle)
    os.replace(partial, args.report)
    return 0


def _summary(args: argparse.Namespace) -> int:
    reports = []
    for path in args.reports:
        with open(path) as handle:
            reports.append(json.load(handle))
    summary = summarize(merge_reports(reports))
    print(render(summary))
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(summary, handle, indent=1)
    failed = (args.fail_on_other and summary["failed"]["other"]) or \
        (args.fail_on_lost and (summary["kv_lost"] or summary["kv_unreadable"]))
    return 1 if failed else 0


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", maxsplit=1)[0])
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="load agents until the stop file appears")
    run.add_argument("--agent", action="append", required=True, help="name=http://addr:port[@pidfile|@proc]: where the agent's PID is seen")
    run.add_argument("--https", action="append", help="name=https://addr:port: where the agent answers once plain HTTP is closed")
    run.add_argument("--cacert", help="with --https: the CA file")
    run.add_argument("--cert", help="with --https: a client certificate signed by that CA")
    run.add_argument("--key", help="with --https: its key")
    run.add_argument("--rate", type=float, default=20.0, help="requests per second per agent")
    run.add_argument("--prefix", default="consulsec-load")
    run.add_argument("--report", required=True)
    run.add_argument("--stop-file")
    run.add_argument("--max-seconds", type=float, default=3600.0)
    run.set_defaults(func=_run)
    summary = sub.add_parser("summary", help="failures by cause and KV writes lost")
    summary.add_argument("reports", nargs="+")
    summary.add_argument("--json")
    summary.add_argument("--fail-on-other", action="store_true")
    summary.add_argument("--fail-on-lost", action="store_true")
    summary.set_defaults(func=_summary)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
