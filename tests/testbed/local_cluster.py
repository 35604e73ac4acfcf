"""A cluster of real Consul agents as local processes on loopback addresses.

The cheap tier of the test bed: each agent gets its own loopback address
(127.0.1.11, 127.0.1.12, ...), config dir and data dir, and listens on Consul's default
ports on that address. No systemd, no network separation, but real agents, real gossip,
real Raft. Used by the module integration tests and to record API replies for the unit
test fixtures.

Only processes this module started are ever signalled, and only by their PID.
"""

from __future__ import annotations

import getpass
import grp
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

ADDRESS_PREFIX = os.environ.get("CONSULSEC_LOCAL_PREFIX", "127.0.1.")
FIRST_HOST = int(os.environ.get("CONSULSEC_LOCAL_FIRST_HOST", "11"))


def consul_binary() -> str:
    found = os.environ.get("CONSUL_BIN") or shutil.which("consul")
    if not found:
        raise RuntimeError("no consul binary: run scripts/setup (it fetches Consul 1.8.7)")
    return found


def address_in_use(address: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(0.5)
        return probe.connect_ex((address, port)) == 0


def http_call(url: str, token: str | None = None, method: str = "GET", body: Any = None,
              timeout: float = 15.0) -> tuple[int, Any]:
    """One request to an agent's API: (status, decoded JSON or text), error statuses
    included; a token goes in the X-Consul-Token header. Raises OSError when nothing
    answers."""
    request = urllib.request.Request(url, method=method,
                                     data=None if body is None else json.dumps(body).encode())
    if token:
        request.add_header("X-Consul-Token", token)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as reply:  # noqa: S310 - loopback
            status, text = reply.status, reply.read().decode()
    except urllib.error.HTTPError as exc:
        status, text = exc.code, exc.read().decode()
    try:
        return status, json.loads(text)
    except ValueError:
        return status, text


@dataclass
class Agent:
    name: str
    address: str
    server: bool
    base: Path
    process: subprocess.Popen | None = None
    log_file: Any = None

    @property
    def config_dir(self) -> Path:
        return self.base / "config"

    @property
    def data_dir(self) -> Path:
        return self.base / "data"

    @property
    def log_path(self) -> Path:
        return self.base / "agent.log"

    @property
    def http_addr(self) -> str:
        return f"http://{self.address}:8500"

    @property
    def pidfile(self) -> Path:
        return self.base / "agent.pid"

    @property
    def running(self) -> bool:
        if self.process is not None:
            return self.process.poll() is None
        try:
            os.kill(int(self.pidfile.read_text().strip()), 0)
        except (OSError, ValueError):
            return False
        return True


@dataclass
class LocalCluster:
    """3 servers and 2 clients by default, as Consul's defaults leave them (insecure)."""

    base: Path
    servers: int = 3
    clients: int = 2
    datacenter: str = "dc1"
    first_host: int = FIRST_HOST
    agents: dict[str, Agent] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.base = Path(self.base)
        host = self.first_host
        for kind, count in (("server", self.servers), ("client", self.clients)):
            for index in range(1, count + 1):
                name = f"{kind}{index}"
                self.agents[name] = Agent(
                    name=name,
                    address=f"{ADDRESS_PREFIX}{host}",
                    server=kind == "server",
                    base=self.base / name,
                )
                host += 1

    # ----------------------------------------------------------------- config
    @property
    def server_addresses(self) -> list[str]:
        return [a.address for a in self.agents.values() if a.server]

    def base_config(self, agent: Agent) -> dict[str, Any]:
        config: dict[str, Any] = {
            "node_name": agent.name,
            "datacenter": self.datacenter,
            "data_dir": str(agent.data_dir),
            "bind_addr": agent.address,
            "client_addr": agent.address,
            "retry_join": self.server_addresses,
            "retry_interval": "1s",
            "disable_update_check": True,
            "log_level": "INFO",
            "ports": {"dns": -1},
            "performance": {"raft_multiplier": 1},
        }
        if agent.server:
            config["server"] = True
            config["bootstrap_expect"] = self.servers
        return config

    def write_fragment(self, name: str, filename: str, content: dict[str, Any]) -> Path:
        """Write one JSON config fragment into an agent's config dir."""
        agent = self.agents[name]
        path = agent.config_dir / filename
        path.write_text(json.dumps(content, indent=2) + "\n")
        return path

    def write_inventory(self, path: Path, per_host: dict[str, dict[str, Any]] | None = None,
                        order: list[str] | None = None, **group_vars: Any) -> str:
        """An Ansible inventory of this cluster (ansible_connection=local): each agent a
        host with its own directories and API address, restarted by its
        ``restart_command`` where the cluster has one; its hosts in ``order`` where given
        (within each group: a play over both groups takes the servers first). Returns the
        path."""
        hosts: dict[str, Any] = {"consul_servers": {"hosts": {}}, "consul_clients": {"hosts": {}}}
        for agent in (self.agents[name] for name in order or self.agents):
            host = {
                "consul_config_dir": str(agent.config_dir), "consul_data_dir": str(agent.data_dir),
                "consul_binary": consul_binary(), "consul_http_addr": agent.http_addr,
                "consul_owner": getpass.getuser(), "consul_group": grp.getgrgid(os.getgid()).gr_name,
            }
            restart = getattr(self, "restart_command", None)
            if restart is not None:
                host["consul_restart_command"] = restart(agent.name)
            host.update((per_host or {}).get(agent.name, {}))
            hosts["consul_servers" if agent.server else "consul_clients"]["hosts"][agent.name] = host
        Path(path).write_text(json.dumps({"all": {"children": hosts, "vars": {
            "ansible_connection": "local", "ansible_become": False,
            "ansible_python_interpreter": "{{ ansible_playbook_python }}", **group_vars}}}))
        return str(path)

    def remove_fragment(self, name: str, filename: str) -> None:
        (self.agents[name].config_dir / filename).unlink(missing_ok=True)

    def write_tls(self, verify: bool = True, additional_ip: bool = True,
                  filename: str = "60-tls.json") -> Path:
        """Make a CA and agent certificates with `consul tls` and a TLS fragment per agent.

        With ``additional_ip`` each certificate also names the agent's loopback address,
        so HTTPS to that address verifies without a server name. Returns the certs dir.
        """
        certs = self.base / "certs"
        certs.mkdir(parents=True, exist_ok=True)
        subprocess.run([consul_binary(), "tls", "ca", "create"], cwd=certs,  # noqa: S603
                       check=True, capture_output=True)
        counters = {True: 0, False: 0}
        for agent in self.agents.values():
            kind = "server" if agent.server else "client"
            extra = [f"-additional-ipaddress={agent.address}"] if additional_ip else []
            subprocess.run([consul_binary(), "tls", "cert", "create", f"-{kind}", *extra],  # noqa: S603
                           cwd=certs, check=True, capture_output=True)
            prefix = f"{self.datacenter}-{kind}-consul-{counters[agent.server]}"
            counters[agent.server] += 1
            self.write_fragment(agent.name, filename, {
                "ca_file": str(certs / "consul-agent-ca.pem"),
                "cert_file": str(certs / f"{prefix}.pem"),
                "key_file": str(certs / f"{prefix}-key.pem"),
                "verify_incoming": verify,
                "verify_outgoing": verify,
                "verify_server_hostname": verify,
                "ports": {"https": 8501, "dns": -1},
            })
        return certs

    def prepare(self) -> None:
        for agent in self.agents.values():
            agent.config_dir.mkdir(parents=True, exist_ok=True)
            agent.data_dir.mkdir(parents=True, exist_ok=True)
            os.chmod(agent.data_dir, 0o700)
            self.write_fragment(agent.name, "00-testbed.json", self.base_config(agent))

    # --------------------------------------------------------------- processes
    def start_agent(self, name: str) -> None:
        agent = self.agents[name]
        if agent.running:
            return
        if address_in_use(agent.address, 8500):
            raise RuntimeError(
                f"{agent.address}:8500 is already in use: another test cluster still runs there"
            )
        agent.log_file = open(agent.log_path, "ab")  # noqa: SIM115 - kept open while it runs
        agent.process = subprocess.Popen(  # noqa: S603 - our own binary and arguments
            [consul_binary(), "agent", f"-config-dir={agent.config_dir}"],
            stdout=agent.log_file,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )

    def stop_agent(self, name: str, graceful: bool = True, timeout: float = 20.0) -> None:
        """Stop an agent this cluster started: SIGINT (graceful leave for clients) or SIGKILL."""
        agent = self.agents[name]
        if agent.process is None:
            return
        if agent.process.poll() is None:
            agent.process.send_signal(signal.SIGINT if graceful else signal.SIGKILL)
            try:
                agent.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                agent.process.kill()
                agent.process.wait(timeout=timeout)
        agent.process = None
        if agent.log_file is not None:
            agent.log_file.close()
            agent.log_file = None

    def restart_agent(self, name: str, graceful: bool = True) -> None:
        self.stop_agent(name, graceful=graceful)
        self.start_agent(name)

    def start(self, timeout: float = 60.0) -> None:
        self.prepare()
        for name in self.agents:
            self.start_agent(name)
        self.wait_healthy(timeout=timeout)

    def stop(self) -> None:
        # clients first, then servers: all at once is fine, nothing survives this
        for name in reversed(list(self.agents)):
            self.stop_agent(name, graceful=False)

    # ------------------------------------------------------ independent checks
    def api(self, name: str, path: str, timeout: float = 3.0) -> Any:
        """GET an endpoint with plain urllib: independent of the collection's client."""
        url = self.agents[name].http_addr + path
        with urllib.request.urlopen(url, timeout=timeout) as reply:  # noqa: S310 - loopback only
            return json.loads(reply.read().decode() or "null")

    def check_processes(self) -> None:
        """Raise if an agent this cluster started has exited on its own."""
        for agent in self.agents.values():
            if agent.process is not None and agent.process.poll() is not None:
                tail = agent.log_path.read_text(errors="replace")[-1500:]
                raise RuntimeError(f"agent {agent.name} exited ({agent.process.returncode}): {tail}")

    def healthy(self, names: list[str] | None = None) -> bool:
        """Every running agent answers, sees every running agent alive, one leader agreed,
        and autopilot calls every running server healthy."""
        self.check_processes()
        running = [a.name for a in self.agents.values() if a.running]
        names = names or running
        leaders = set()
        try:
            for name in names:
                members = {m["Name"]: m["Status"] for m in self.api(name, "/v1/agent/members")}
                if any(members.get(other) != 1 for other in running):
                    return False
                leaders.add(self.api(name, "/v1/status/leader"))
            servers = [a.name for a in self.agents.values() if a.server and a.running]
            if servers:
                # autopilot answers 429 (an HTTPError here) while it calls the cluster unhealthy
                health = self.api(servers[0], "/v1/operator/autopilot/health")
                if len(health["Servers"]) != len(servers) or not health["Healthy"]:
                    return False
        except (OSError, urllib.error.URLError, ValueError):
            return False
        return len(leaders) == 1 and "" not in leaders

    def wait_healthy(self, timeout: float = 60.0, names: list[str] | None = None) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.healthy(names):
                return
            time.sleep(0.5)
        tails = {n: a.log_path.read_text(errors="replace")[-1500:] for n, a in self.agents.items()
                 if a.log_path.exists()}
        raise TimeoutError(f"local cluster not healthy after {timeout}s; log tails: {tails}")

    def __enter__(self) -> LocalCluster:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


AGENTCTL = Path(__file__).resolve().parent / "agentctl.sh"
LEADERSHIP = re.compile(r"^\s*(\S+Z) \[INFO\]\s+agent\.server: cluster leadership (acquired|lost)", re.MULTILINE)


class DetachedCluster(LocalCluster):
    """The same cluster, each agent a detached process known by its pidfile and controlled
    by tests/testbed/agentctl.sh, so that Ansible can restart it too (its
    ``restart_command`` is the agent's consul_restart_command). Stops send SIGINT, as the
    Debian unit does."""

    def ctl(self, action: str, names: list[str]) -> None:
        """agentctl for several agents at once (a batch stops in parallel)."""
        procs = [subprocess.Popen([str(AGENTCTL), action, str(self.agents[n].base),  # noqa: S603
                                   consul_binary()]) for n in names]
        for proc in procs:
            if proc.wait(timeout=60) != 0:
                raise RuntimeError(f"agentctl {action} failed")

    def restart_command(self, name: str) -> str:
        return f"{AGENTCTL} restart {self.agents[name].base} {consul_binary()}"

    def recorded(self, kind: str, since: float) -> list[tuple[float, str]]:
        """(time, agent) of each start (``kind`` "starts") or stop ("stops") agentctl
        recorded after ``since`` (time.time()), in time order."""
        return sorted((float(line), name) for name, agent in self.agents.items()
                      if (agent.base / kind).exists()
                      for line in (agent.base / kind).read_text().split() if float(line) > since)

    def starts(self, since: float) -> list[str]:
        """The agents started after ``since`` (time.time()), in the order they started,
        as agentctl recorded each start: an agent started twice is named twice."""
        return [name for _started, name in self.recorded("starts", since)]

    def leader_at(self, when: float) -> str | None:
        """The server that led at ``when`` (time.time()), from the servers' own logs:
        the last "cluster leadership acquired" before it, not "lost" since."""
        events = sorted((datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc).timestamp(),
                         name, m.group(2) == "acquired")
                        for name, agent in self.agents.items() if agent.server and agent.log_path.exists()
                        for m in LEADERSHIP.finditer(agent.log_path.read_text(errors="replace")))
        leader = None
        for at, name, acquired in events:
            if at > when:
                break
            if acquired:
                leader = name
            elif leader == name:
                leader = None
        return leader

    def start_agent(self, name: str) -> None:
        agent = self.agents[name]
        if agent.running:
            return
        if address_in_use(agent.address, 8500) or address_in_use(agent.address, 8301):
            raise RuntimeError(
                f"{agent.address} is already in use: another test cluster still runs there"
            )
        self.ctl("start", [name])

    def stop_agent(self, name: str, graceful: bool = True, timeout: float = 20.0) -> None:
        self.ctl("stop", [name])

    def stop(self) -> None:
        self.ctl("stop", [n for n, a in self.agents.items() if a.pidfile.exists()])

    def check_processes(self) -> None:
        """Nothing to check: Ansible may be restarting an agent right now."""
