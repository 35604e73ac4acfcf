"""Record real Consul 1.8.7 API replies for the unit tests.

Brings up local clusters (tests/testbed/local_cluster.py) in the states the parsers must
understand and stores what the agents answered, status code and body, under
tests/unit/fixtures/consul-1.8.7/<scenario>/<role>-<endpoint>.json.

Recorded replies are made fit for a repository: the test bed's temporary directory is
replaced by /testbed, the agents' loopback prefix by 127.0.1., and gossip key material
(which only the keyring endpoint returns; agent/self shows it as "hidden") by fixed
placeholder keys of the same shape.

Usage: . scripts/lib.sh && python3 tests/testbed/record_fixtures.py [step ...]
(steps: plain, gossip, tls, acl, acl_legacy, serf_health, auto_encrypt, acl_api, catalog_sync,
keyring, hardened; all by default)
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import signal
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from local_cluster import ADDRESS_PREFIX, LocalCluster, http_call  # noqa: E402

OUT = Path(__file__).resolve().parents[1] / "unit" / "fixtures" / "consul-1.8.7"
ENDPOINTS = {
    "self": "/v1/agent/self",
    "members": "/v1/agent/members",
    "members_wan": "/v1/agent/members?wan=1",
    "leader": "/v1/status/leader",
    "peers": "/v1/status/peers",
    "autopilot": "/v1/operator/autopilot/health",
    "raft": "/v1/operator/raft/configuration",
    "keyring": "/v1/operator/keyring",
    "serf_health": '/v1/health/state/any?filter=CheckID%20%3D%3D%20%22serfHealth%22',
    "connect_roots": "/v1/agent/connect/ca/roots",
}
PLACEHOLDER_KEYS = [
    base64.b64encode(bytes([n]) * 32).decode() for n in range(1, 5)
]


class Recorder:
    def __init__(self, cluster: LocalCluster, scenario: str) -> None:
        self.cluster = cluster
        self.dir = OUT / scenario
        self.dir.mkdir(parents=True, exist_ok=True)
        self.keys: dict[str, str] = {}

    def sanitize(self, text: str) -> str:
        text = text.replace(str(self.cluster.base), "/testbed")
        # recorded under any CONSULSEC_LOCAL_PREFIX, stored as under the default one
        text = text.replace(ADDRESS_PREFIX, "127.0.1.")
        for real, placeholder in self.keys.items():
            text = text.replace(real, placeholder)
        return text

    def get(self, name: str, path: str) -> dict[str, Any]:
        url = self.cluster.agents[name].http_addr + path
        try:
            with urllib.request.urlopen(url, timeout=15) as reply:  # noqa: S310 - loopback
                status, body = reply.status, reply.read().decode()
        except urllib.error.HTTPError as exc:
            status, body = exc.code, exc.read().decode()
        return {"status": status, "body": body}

    def send(self, name: str, method: str, path: str, body: Any = None,
             token: str | None = None) -> tuple[int, Any]:
        """One request of any method: (status, decoded body)."""
        return http_call(self.cluster.agents[name].http_addr + path, token, method, body)

    def store(self, label: str, status: int, decoded: Any) -> None:
        body = json.loads(self.sanitize(json.dumps(decoded)))
        reply = {"status": status, "text" if isinstance(body, str) else "json": body}
        path = self.dir / f"{label}.json"
        path.write_text(json.dumps(reply, indent=1, sort_keys=True) + "\n")
        print(f"  {path.relative_to(OUT)}: {status}")

    def call(self, label: str, name: str, method: str, path: str, body: Any = None,
             token: str | None = None) -> Any:
        """One request, stored as <label>.json; returns the decoded body."""
        status, decoded = self.send(name, method, path, body, token)
        self.store(label, status, decoded)
        return decoded

    def record(self, role: str, name: str, endpoints: list[str]) -> None:
        for endpoint in endpoints:
            reply = self.get(name, ENDPOINTS[endpoint])
            body = self.sanitize(reply.pop("body"))
            try:
                reply["json"] = json.loads(body)
            except ValueError:
                reply["text"] = body
            path = self.dir / f"{role}-{endpoint}.json"
            path.write_text(json.dumps(reply, indent=1, sort_keys=True) + "\n")
            print(f"  {path.relative_to(OUT)}: {reply['status']}")


def leader_name(cluster: LocalCluster) -> str:
    """The leader as the first running server that answers names it."""
    for asked in (a.name for a in cluster.agents.values() if a.server and a.running):
        try:
            leader = cluster.api(asked, "/v1/status/leader")
        except (OSError, urllib.error.URLError):
            continue
        for agent in cluster.agents.values():
            if leader and leader.startswith(agent.address + ":"):
                return agent.name
    raise RuntimeError("no running server names a leader")


def follower_name(cluster: LocalCluster) -> str:
    leader = leader_name(cluster)
    return next(a.name for a in cluster.agents.values() if a.server and a.name != leader)


def wait_autopilot_healthy(cluster: LocalCluster, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if cluster.api(leader_name(cluster), "/v1/operator/autopilot/health").get("Healthy"):
                return
        except (OSError, urllib.error.URLError, RuntimeError):
            pass
        time.sleep(0.5)
    raise TimeoutError("autopilot never healthy")


ALL = tuple(ENDPOINTS)


def wait_member_status(cluster: LocalCluster, observer: str, name: str, status: int,
                       timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        members = {m["Name"]: m["Status"] for m in cluster.api(observer, "/v1/agent/members")}
        if members.get(name) == status:
            return
        time.sleep(0.2)
    raise TimeoutError(f"{name} never reached member status {status} as {observer} sees it")


def record_first_unhealthy(cluster: LocalCluster, rec: Recorder, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        name = leader_name(cluster)
        if rec.get(name, ENDPOINTS["autopilot"])["status"] == 429:
            rec.record("leader", name, ["autopilot", "members"])
            return
        time.sleep(0.1)
    raise TimeoutError("autopilot never reported unhealthy after the restart")


def record_roles(rec: Recorder, cluster: LocalCluster, endpoints: tuple[str, ...] = ALL) -> None:
    rec.record("leader", leader_name(cluster), endpoints)
    rec.record("follower", follower_name(cluster), endpoints)
    rec.record("client", "client1", [e for e in endpoints if e not in ("autopilot", "raft")])


def plain(base: Path) -> None:
    print("plain: Consul's defaults, no encryption, no ACLs")
    with LocalCluster(base / "plain") as cluster:
        wait_autopilot_healthy(cluster)
        rec = Recorder(cluster, "plain")
        record_roles(rec, cluster)
        # a follower restarted: autopilot answers 429 while it is not yet healthy again
        restarted = follower_name(cluster)
        cluster.restart_agent(restarted)
        record_first_unhealthy(cluster, Recorder(cluster, "follower-restarted"))
        cluster.wait_healthy()
        wait_autopilot_healthy(cluster)
        # a follower killed: first "failed" and autopilot unhealthy; then autopilot reaps
        # it from Raft within seconds and calls the rest healthy with one server fewer
        # (failure tolerance 0, member status "left")
        victim = follower_name(cluster)
        cluster.stop_agent(victim, graceful=False)
        wait_member_status(cluster, leader_name(cluster), victim, 4)
        Recorder(cluster, "server-failed").record(
            "leader", leader_name(cluster), ["autopilot", "members", "raft"])
        wait_member_status(cluster, leader_name(cluster), victim, 3)
        wait_autopilot_healthy(cluster)
        Recorder(cluster, "server-reaped").record(
            "leader", leader_name(cluster), ["autopilot", "members", "raft"])
        # quorum gone: a second server stopped, the rest has no leader
        other = next(a.name for a in cluster.agents.values()
                     if a.server and a.running and a.name != leader_name(cluster))
        survivor = leader_name(cluster)
        cluster.stop_agent(other, graceful=False)
        deadline = time.monotonic() + 60
        while cluster.api(survivor, "/v1/status/leader") or cluster.api("client1", "/v1/status/leader"):
            if time.monotonic() > deadline:
                raise TimeoutError("the last server still names a leader")
            time.sleep(0.5)
        rec = Recorder(cluster, "no-quorum")
        rec.record("server", survivor, ["leader", "autopilot", "members", "raft"])
        rec.record("client", "client1", ["leader", "members", "self"])


def gossip(base: Path) -> None:
    key = base64.b64encode(secrets.token_bytes(32)).decode()
    for scenario, verify in (("gossip-phase1", False), ("gossip", True)):
        print(f"{scenario}: encrypt set, verify flags {verify}")
        cluster = LocalCluster(base / scenario)
        cluster.prepare()
        for name in cluster.agents:
            cluster.write_fragment(name, "50-gossip.json", {
                "encrypt": key,
                "encrypt_verify_incoming": verify,
                "encrypt_verify_outgoing": verify,
            })
        with cluster:
            wait_autopilot_healthy(cluster)
            rec = Recorder(cluster, scenario)
            rec.keys = {key: PLACEHOLDER_KEYS[0]}
            record_roles(rec, cluster, ["self", "members", "keyring", "autopilot"])


def tls(base: Path) -> None:
    print("tls: CA, agent certificates, all three verify flags, HTTPS port")
    cluster = LocalCluster(base / "tls")
    cluster.prepare()
    cluster.write_tls()
    with cluster:
        wait_autopilot_healthy(cluster)
        rec = Recorder(cluster, "tls")
        record_roles(rec, cluster, ["self", "members"])


def acl(base: Path) -> None:
    print("acl: ACLs on with default deny; anonymous reads are refused")
    cluster = LocalCluster(base / "acl", servers=1, clients=0)
    cluster.prepare()
    cluster.write_fragment("server1", "70-acl.json", {
        "acl": {"enabled": True, "default_policy": "deny", "enable_token_persistence": True},
    })
    cluster.start_agent("server1")
    time.sleep(8)
    rec = Recorder(cluster, "acl-deny")
    rec.record("server", "server1", ["self", "members"])
    cluster.stop()


AGENT_RECOVERY = "c0ffee00-0000-4000-8000-00000000a6e7"


def acl_modes(cluster: LocalCluster, observer: str) -> dict[str, str]:
    """Each member's ACL mode tag in the observer's member list (read with the agent
    recovery token, which the agent's own endpoints take in any ACL mode)."""
    url = cluster.agents[observer].http_addr + "/v1/agent/members"
    status, members = http_call(url, AGENT_RECOVERY)
    if status != 200:
        raise RuntimeError(f"{observer} answered {status}: {members}")
    return {m["Name"]: m["Tags"].get("acls") for m in members}


def wait_acl_modes(cluster: LocalCluster, observer: str, wanted: dict[str, str],
                   timeout: float = 180.0) -> float:
    """Wait until the observer sees the servers in the wanted modes; the seconds it took."""
    start = time.monotonic()
    seen: dict[str, str] = {}
    while time.monotonic() < start + timeout:
        try:
            seen = acl_modes(cluster, observer)
        except (OSError, RuntimeError):
            seen = {}
        if seen == wanted:
            return time.monotonic() - start
        time.sleep(0.5)
    raise TimeoutError(f"ACL modes {seen}, wanted {wanted}")


def acl_legacy(base: Path) -> None:
    print("acl-legacy: ACLs rolled on agent by agent; legacy mode until every server has them")
    cluster = LocalCluster(base / "acl-legacy", servers=3, clients=1)
    fragment = {"acl": {"enabled": True, "default_policy": "allow", "enable_token_persistence": True,
                        "tokens": {"agent_master": AGENT_RECOVERY}}}
    with cluster:
        wait_autopilot_healthy(cluster)
        rec = Recorder(cluster, "acl-legacy")
        rec.keys = {AGENT_RECOVERY: "00000000-0000-4000-8000-0000000000a1"}
        # the role's order: the followers, the client, then the leader (which leaves first)
        leader = leader_name(cluster)
        first, second = sorted(n for n in ("server1", "server2", "server3") if n != leader)
        modes = {"server1": "0", "server2": "0", "server3": "0", "client1": "0"}
        for name in (first, second, "client1"):
            cluster.write_fragment(name, "70-acl.json", fragment)
            cluster.restart_agent(name)
            modes[name] = "2"
            wait_acl_modes(cluster, first, modes, 60)
        rec.call("legacy-members", first, "GET", "/v1/agent/members", token=AGENT_RECOVERY)
        rec.call("legacy-token-self", first, "GET", "/v1/acl/token/self", token=AGENT_RECOVERY)
        rec.call("legacy-client-token-self", "client1", "GET", "/v1/acl/token/self", token=AGENT_RECOVERY)
        cluster.write_fragment(leader, "70-acl.json", fragment)
        cluster.restart_agent(leader)
        took = wait_acl_modes(cluster, first, dict.fromkeys(modes, "1"))
        print(f"  every agent out of legacy mode {took:.1f} s after the leader started again")
        rec.call("enabled-members", first, "GET", "/v1/agent/members", token=AGENT_RECOVERY)


def serf_health(base: Path) -> None:
    print("serf-health: the servers' view of every member, through a client's API")
    with LocalCluster(base / "serf-health") as cluster:
        wait_autopilot_healthy(cluster)
        rec = Recorder(cluster, "serf-health")
        rec.record("client", "client1", ["serf_health"])
        # a client stopped without leaving: the leader marks its serfHealth critical
        cluster.stop_agent("client2", graceful=False)
        wait_member_status(cluster, leader_name(cluster), "client2", 4)
        deadline = time.monotonic() + 30
        while all(c["Status"] == "passing" for c in cluster.api("client1", ENDPOINTS["serf_health"])):
            if time.monotonic() > deadline:
                raise TimeoutError("serfHealth of the stopped client never left passing")
            time.sleep(0.2)
        Recorder(cluster, "serf-health-failed").record("client", "client1", ["serf_health", "members"])


def auto_encrypt(base: Path) -> None:
    print("auto-encrypt: servers allow_tls, client1 with only the CA and auto_encrypt.tls")
    cluster = LocalCluster(base / "auto-encrypt")
    cluster.prepare()
    cluster.write_tls(verify=False)
    for name, agent in cluster.agents.items():
        fragment = json.loads((agent.config_dir / "60-tls.json").read_text())
        if agent.server:
            fragment["auto_encrypt"] = {"allow_tls": True}
        elif name == "client1":
            del fragment["cert_file"], fragment["key_file"]
            fragment.update(verify_outgoing=True, verify_server_hostname=True,
                            auto_encrypt={"tls": True, "ip_san": [agent.address]})
        cluster.write_fragment(name, "60-tls.json", fragment)
    with cluster:
        wait_autopilot_healthy(cluster)
        rec = Recorder(cluster, "auto-encrypt")
        rec.record("server", leader_name(cluster), ["self"])
        rec.record("client", "client1", ["self", "connect_roots"])


def wait_leader(cluster: LocalCluster, timeout: float = 30.0) -> None:
    """Until server1 answers and names a leader (status endpoints need no token)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if cluster.api("server1", "/v1/status/leader"):
                time.sleep(2)
                return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise TimeoutError("server1 names no leader")
        time.sleep(0.5)


ACL_PLACEHOLDERS = [f"00000000-0000-4000-8000-{n:012d}" for n in range(1, 20)]


def bootstrap(rec: Recorder, cluster: LocalCluster, store: bool = False) -> str:
    """Once server1 leads: bootstrap, and return the management secret. Every secret and
    accessor of the throwaway cluster becomes a fixed placeholder in what is stored."""
    wait_leader(cluster)
    status, boot = rec.send("server1", "PUT", "/v1/acl/bootstrap")
    if status != 200:
        raise RuntimeError(f"bootstrap failed: {status} {boot}")
    rec.keys = {boot["SecretID"]: ACL_PLACEHOLDERS[0], boot["AccessorID"]: ACL_PLACEHOLDERS[1]}
    if store:
        rec.store("bootstrap", status, boot)
    return boot["SecretID"]


def acl_api(base: Path) -> None:
    print("acl-api: the ACL endpoints the modules use, on a server with ACLs (default deny)")
    cluster = LocalCluster(base / "acl-api", servers=1, clients=0)
    cluster.prepare()
    recovery = "00000000-0000-4000-8000-00000000aaaa"
    cluster.write_fragment("server1", "70-acl.json", {"acl": {
        "enabled": True, "default_policy": "deny", "enable_token_persistence": True,
        "tokens": {"agent_master": recovery}}})
    # not `with cluster`: its health wait reads anonymously, which default deny refuses
    cluster.start_agent("server1")
    try:
        rec = Recorder(cluster, "acl-api")
        secret = bootstrap(rec, cluster, store=True)
        rec.call("bootstrap-again", "server1", "PUT", "/v1/acl/bootstrap")
        rec.call("token-self-management", "server1", "GET", "/v1/acl/token/self", token=secret)
        rec.call("token-self-unknown", "server1", "GET", "/v1/acl/token/self",
                 token="00000000-0000-4000-8000-00000000ffff")
        rec.call("token-self-anonymous", "server1", "GET", "/v1/acl/token/self")
        rec.call("policy-by-name-missing", "server1", "GET", "/v1/acl/policy/name/agents", token=secret)
        status, policy = rec.send("server1", "PUT", "/v1/acl/policy", token=secret, body={
            "Name": "agents", "Description": "agents", "Rules": 'node_prefix "" { policy = "write" }'})
        rec.keys[policy["ID"]] = ACL_PLACEHOLDERS[2]
        rec.store("policy-create", status, policy)
        rec.call("policy-update", "server1", "PUT", f"/v1/acl/policy/{policy['ID']}", token=secret, body={
            "Name": "agents", "Description": "agents", "Rules": 'node_prefix "" { policy = "write" }'})
        rec.call("policy-by-name", "server1", "GET", "/v1/acl/policy/name/agents", token=secret)
        rec.call("policy-create-duplicate", "server1", "PUT", "/v1/acl/policy", token=secret, body={
            "Name": "agents", "Rules": ""})
        rec.call("role-by-name-missing", "server1", "GET", "/v1/acl/role/name/web", token=secret)
        role_request = {"Name": "web", "Description": "web instances", "Policies": [{"Name": "agents"}],
                        "ServiceIdentities": [{"ServiceName": "web"}],
                        "NodeIdentities": [{"NodeName": "server1", "Datacenter": "dc1"}]}
        status, role = rec.send("server1", "PUT", "/v1/acl/role", token=secret, body=role_request)
        rec.keys[role["ID"]] = ACL_PLACEHOLDERS[6]
        rec.store("role-create", status, role)
        rec.call("role-by-name", "server1", "GET", "/v1/acl/role/name/web", token=secret)
        rec.call("role-update", "server1", "PUT", f"/v1/acl/role/{role['ID']}", token=secret,
                 body=dict(role_request, Description="web and its sidecars"))
        accessor, token_secret = ACL_PLACEHOLDERS[3], ACL_PLACEHOLDERS[4]
        rec.call("token-missing", "server1", "GET", f"/v1/acl/token/{accessor}", token=secret)
        rec.call("token-create", "server1", "PUT", "/v1/acl/token", token=secret, body={
            "AccessorID": accessor, "SecretID": token_secret, "Description": "agent server1",
            "Policies": [{"Name": "agents"}],
            "NodeIdentities": [{"NodeName": "server1", "Datacenter": "dc1"}]})
        rec.call("token-read", "server1", "GET", f"/v1/acl/token/{accessor}", token=secret)
        rec.call("token-create-duplicate", "server1", "PUT", "/v1/acl/token", token=secret, body={
            "AccessorID": accessor, "SecretID": token_secret})
        rec.call("agent-token-anonymous", "server1", "PUT", "/v1/agent/token/agent",
                 body={"Token": token_secret})
        rec.call("agent-token-set", "server1", "PUT", "/v1/agent/token/agent",
                 body={"Token": token_secret}, token=recovery)
        rec.call("agent-self-recovery", "server1", "GET", "/v1/agent/self", token=recovery)
        rec.call("service-register", "server1", "PUT", "/v1/agent/service/register", token=secret,
                 body={"ID": "web-1", "Name": "web", "Port": 80})
        rec.call("agent-services", "server1", "GET", "/v1/agent/services", token=secret)
        # the recovery token may read the agent, not its services: it sees none
        rec.call("agent-services-recovery", "server1", "GET", "/v1/agent/services", token=recovery)
        rec.call("kv-anonymous-write", "server1", "PUT", "/v1/kv/probe", body="x")
        rec.call("intentions-empty", "server1", "GET", "/v1/connect/intentions", token=secret)
        status, intention = rec.send("server1", "POST", "/v1/connect/intentions", token=secret,
                                     body={"SourceName": "*", "DestinationName": "*", "Action": "deny",
                                           "Description": "default deny"})
        rec.keys[intention["ID"]] = ACL_PLACEHOLDERS[5]
        rec.store("intention-create", status, intention)
        rec.call("intentions-one", "server1", "GET", "/v1/connect/intentions", token=secret)
        rec.call("intention-create-duplicate", "server1", "POST", "/v1/connect/intentions", token=secret,
                 body={"SourceName": "*", "DestinationName": "*", "Action": "allow"})
    finally:
        cluster.stop()
    # a server without ACLs
    with LocalCluster(base / "acl-off", servers=1, clients=0) as plain_cluster:
        wait_leader(plain_cluster)
        Recorder(plain_cluster, "acl-api").call("bootstrap-acl-disabled", "server1", "PUT",
                                                "/v1/acl/bootstrap")


def catalog_sync(base: Path) -> None:
    print("catalog-sync: a client's anti-entropy blocked by default deny, then working with its token")
    cluster = LocalCluster(base / "catalog-sync", servers=1, clients=1)
    cluster.prepare()
    recovery = "00000000-0000-4000-8000-00000000aaaa"
    for name in ("server1", "client1"):
        cluster.write_fragment(name, "70-acl.json", {"acl": {
            "enabled": True, "default_policy": "deny", "enable_token_persistence": True,
            "tokens": {"agent_master": recovery}}})
    # a service from a config file, registered with no token of its own
    cluster.write_fragment("client1", "80-web.json", {"service": {
        "id": "web-1", "name": "web", "port": 80,
        "check": {"id": "web-ttl", "name": "web alive", "ttl": "10m", "status": "passing"}}})
    cluster.start_agent("server1")
    cluster.start_agent("client1")
    try:
        rec = Recorder(cluster, "catalog-sync")
        secret = bootstrap(rec, cluster)

        def snapshot(prefix: str) -> None:
            for label, path in (("self", "/v1/agent/self"), ("services", "/v1/agent/services"),
                                ("checks", "/v1/agent/checks"),
                                ("catalog-node", "/v1/catalog/node/client1"),
                                ("health-node", "/v1/health/node/client1"),
                                ("metrics", "/v1/agent/metrics")):
                rec.call(f"{prefix}-{label}", "client1", "GET", path, token=secret)

        # the leader registers the joined node; the client itself may write nothing
        deadline = time.monotonic() + 60
        while rec.send("server1", "GET", "/v1/catalog/node/client1", token=secret)[1] is None:
            if time.monotonic() > deadline:
                raise TimeoutError("client1 never reached the catalog")
            time.sleep(1)
        time.sleep(5)
        snapshot("blocked")
        token = {"AccessorID": ACL_PLACEHOLDERS[3], "SecretID": ACL_PLACEHOLDERS[4],
                 "Description": "agent client1",
                 "NodeIdentities": [{"NodeName": "client1", "Datacenter": "dc1"}],
                 "ServiceIdentities": [{"ServiceName": "web"}]}
        status, _created = rec.send("server1", "PUT", "/v1/acl/token", token=secret, body=token)
        if status != 200:
            raise RuntimeError(f"token create failed: {status}")
        for kind in ("agent", "default"):
            rec.send("client1", "PUT", f"/v1/agent/token/{kind}", body={"Token": token["SecretID"]},
                     token=recovery)
        deadline = time.monotonic() + 120
        while "web-1" not in (rec.send("server1", "GET", "/v1/catalog/node/client1",
                                       token=secret)[1] or {}).get("Services", {}):
            if time.monotonic() > deadline:
                raise TimeoutError("client1's service never reached the catalog")
            time.sleep(1)
        time.sleep(5)
        snapshot("synced")
    finally:
        cluster.stop()


def keyring(base: Path) -> None:
    print("keyring: a second key installed, then made primary; a client down in between, "
          "then one frozen")
    keys = [base64.b64encode(secrets.token_bytes(32)).decode() for _index in range(2)]
    cluster = LocalCluster(base / "keyring")
    cluster.prepare()
    for name in cluster.agents:
        cluster.write_fragment(name, "50-gossip.json", {"encrypt": keys[0]})
    with cluster:
        wait_autopilot_healthy(cluster)
        rec = Recorder(cluster, "keyring")
        rec.keys = {keys[0]: PLACEHOLDER_KEYS[0], keys[1]: PLACEHOLDER_KEYS[1]}
        rec.record("one-key", "server1", ["keyring", "members", "members_wan"])
        rec.send("server1", "POST", ENDPOINTS["keyring"], {"Key": keys[1]})
        rec.record("installed", "server1", ["keyring"])
        # killed, not left: the server keeps it as failed, and the keyring counts without it
        cluster.stop_agent("client2", graceful=False)
        wait_member_status(cluster, "server1", "client2", 4)
        rec.record("client-down", "server1", ["keyring", "members"])
        cluster.start_agent("client2")
        wait_member_status(cluster, "server1", "client2", 1)
        rec.send("server1", "PUT", ENDPOINTS["keyring"], {"Key": keys[1]})
        rec.record("used", "server1", ["keyring"])
        # frozen, still alive to the others: the query times out without its answer (500)
        frozen = cluster.agents["client2"].process.pid
        os.kill(frozen, signal.SIGSTOP)
        try:
            rec.record("client-frozen", "server1", ["keyring"])
        finally:
            os.kill(frozen, signal.SIGCONT)


# the settings of tests/unit/plugins/module_utils/test_harden.py's SETTINGS, as Consul reads them
HARDENED = {
    "enable_script_checks": False, "enable_local_script_checks": True, "disable_remote_exec": True,
    "enable_agent_tls_for_checks": True, "tls_min_version": "tls12",
    "tls_cipher_suites": "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
    "http_config": {"response_headers": {"X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff"},
                    "allow_write_http_from": ["127.0.0.0/8", "::1/128"]},
    "limits": {"http_max_conns_per_client": 150, "rpc_max_conns_per_client": 90,
               "kv_max_value_size": 262144, "txn_max_req_len": 262144,
               "rpc_handshake_timeout": "4000ms", "https_handshake_timeout": "4s",
               "rpc_rate": 50, "rpc_max_burst": 500},
}


def hardened(base: Path) -> None:
    print("hardened: one server with every setting of the harden role")
    cluster = LocalCluster(base / "hardened", servers=1, clients=0)
    cluster.prepare()
    cluster.write_fragment("server1", "60-harden.json", HARDENED)
    with cluster:
        Recorder(cluster, "hardened").record("server", "server1", ["self"])


STEPS = {"plain": plain, "gossip": gossip, "tls": tls, "acl": acl, "acl_legacy": acl_legacy,
         "serf_health": serf_health,
         "auto_encrypt": auto_encrypt, "acl_api": acl_api,
         "catalog_sync": catalog_sync, "keyring": keyring,
         "hardened": hardened}


def main() -> int:
    """All steps, or only those named on the command line."""
    wanted = sys.argv[1:] or list(STEPS)
    with tempfile.TemporaryDirectory(prefix="consulsec-record-") as tmp:
        base = Path(tmp)
        for name in wanted:
            STEPS[name](base)
    return 0


if __name__ == "__main__":
    sys.exit(main())
