# Copyright: consulsec.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure functions: Consul API replies -> one normalized record per agent.

Every function takes decoded JSON as the agent sent it and returns plain data. Nothing
here talks to the network, so the unit tests call them with replies recorded from real
agents (tests/unit/fixtures/).

The effective security state comes from what the agent runs with (``Stats`` and
``DebugConfig`` of /v1/agent/self), not from config files. Consul 1.8 to 1.11 keep TLS
settings at the top level of DebugConfig; newer releases nest them under ``TLS``. Both are
read; only 1.8.7 is checked against a real agent here.

Private module_utils: may change in any release.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from typing import Any

MEMBER_STATUS = {0: "none", 1: "alive", 2: "leaving", 3: "left", 4: "failed"}
# the "acls" tag each agent gossips: with ACLs enabled an agent starts in legacy mode and
# leaves it once every server has ACLs, on its own timer (backing off to about 30 s);
# until then its ACL endpoints answer "currently in legacy mode"
ACL_MODES = {"0": "disabled", "1": "enabled", "2": "legacy", "3": "unknown"}

# security key -> candidate paths in DebugConfig (first found wins), newest layout last
SECURITY_PATHS: dict[str, tuple[tuple[str, ...], ...]] = {
    "encrypt_verify_incoming": (("EncryptVerifyIncoming",),),
    "encrypt_verify_outgoing": (("EncryptVerifyOutgoing",),),
    "tls_verify_incoming": (("VerifyIncoming",), ("TLS", "InternalRPC", "VerifyIncoming")),
    "tls_verify_incoming_rpc": (("VerifyIncomingRPC",), ("TLS", "InternalRPC", "VerifyIncoming")),
    "tls_verify_incoming_https": (("VerifyIncomingHTTPS",), ("TLS", "HTTPS", "VerifyIncoming")),
    "tls_verify_outgoing": (("VerifyOutgoing",), ("TLS", "InternalRPC", "VerifyOutgoing")),
    "tls_verify_server_hostname": (("VerifyServerHostname",),
                                   ("TLS", "InternalRPC", "VerifyServerHostname")),
    "tls_ca_file": (("CAFile",), ("TLS", "InternalRPC", "CAFile")),
    "tls_cert_file": (("CertFile",), ("TLS", "InternalRPC", "CertFile")),
    "tls_min_version": (("TLSMinVersion",), ("TLS", "InternalRPC", "TLSMinVersion")),
    "tls_cipher_suites": (("TLSCipherSuites",), ("TLS", "InternalRPC", "CipherSuites")),
    "enable_agent_tls_for_checks": (("EnableAgentTLSForChecks",),
                                    ("TLS", "EnableAgentTLSForChecks")),
    "auto_encrypt_tls": (("AutoEncryptTLS",),),
    "auto_encrypt_allow_tls": (("AutoEncryptAllowTLS",),),
    "connect_enabled": (("ConnectEnabled",),),
    "http_port": (("HTTPPort",),),
    "https_port": (("HTTPSPort",),),
    "grpc_port": (("GRPCPort",),),
    "client_addrs": (("ClientAddrs",),),
    "http_addrs": (("HTTPAddrs",),),
    "https_addrs": (("HTTPSAddrs",),),
    "acl_enabled": (("ACLsEnabled",),),
    "acl_default_policy": (("ACLDefaultPolicy",), ("ACLResolverSettings", "ACLDefaultPolicy")),
    "acl_down_policy": (("ACLDownPolicy",), ("ACLResolverSettings", "ACLDownPolicy")),
    "acl_token_persistence": (("ACLEnableTokenPersistence",),
                              ("ACLTokens", "EnablePersistence")),
    "enable_script_checks": (("EnableRemoteScriptChecks",),),
    "enable_local_script_checks": (("EnableLocalScriptChecks",),),
    "disable_remote_exec": (("DisableRemoteExec",),),
    "http_response_headers": (("HTTPResponseHeaders",),),
    "allow_write_http_from": (("AllowWriteHTTPFrom",),),
    "http_max_conns_per_client": (("HTTPMaxConnsPerClient",),),
    "rpc_max_conns_per_client": (("RPCMaxConnsPerClient",),),
    "rpc_rate": (("RPCRateLimit",),),
    "rpc_max_burst": (("RPCMaxBurst",),),
    "kv_max_value_size": (("KVMaxValueSize",),),
    "txn_max_req_len": (("TxnMaxReqLen",),),
    "rpc_handshake_timeout": (("RPCHandshakeTimeout",),),
    "https_handshake_timeout": (("HTTPSHandshakeTimeout",),),
    "ui_enabled": (("EnableUI",), ("UIConfig", "Enabled")),
    "enable_debug": (("EnableDebug",),),
}
SECURITY_KEYS = ("gossip_encrypted", *SECURITY_PATHS)


def _dig(data: Any, path: tuple[str, ...]) -> tuple[bool, Any]:
    for part in path:
        if not isinstance(data, dict) or part not in data:
            return False, None
        data = data[part]
    return True, data


def _truthy(value: Any) -> bool:
    return str(value).lower() == "true" if isinstance(value, str) else bool(value)


def parse_security(agent_self: dict[str, Any]) -> dict[str, Any]:
    """The agent's effective security state from /v1/agent/self.

    ``gossip_encrypted`` is what the LAN serf pool reports (``Stats.serf_lan.encrypted``),
    i.e. whether the running agent encrypts gossip, not what a config file says.
    Keys the agent did not report (older or newer versions) are None.
    """
    debug = agent_self.get("DebugConfig") or {}
    stats = agent_self.get("Stats") or {}
    serf_lan = stats.get("serf_lan") or {}
    state: dict[str, Any] = {
        # DebugConfig cannot tell: it shows EncryptKey as "hidden" with and without a key
        "gossip_encrypted": _truthy(serf_lan.get("encrypted", False)),
    }
    for key, paths in SECURITY_PATHS.items():
        state[key] = None
        for path in paths:
            found, value = _dig(debug, path)
            if found:
                state[key] = value
                break
    for key in ("tls_ca_file", "tls_cert_file"):
        state[key] = state[key] or None
    return state


def parse_self(agent_self: dict[str, Any]) -> dict[str, Any]:
    """Identity of the agent from /v1/agent/self."""
    config = agent_self.get("Config") or {}
    member = agent_self.get("Member") or {}
    debug = agent_self.get("DebugConfig") or {}
    return {
        "name": config.get("NodeName") or member.get("Name"),
        "node_id": config.get("NodeID"),
        "datacenter": config.get("Datacenter"),
        "server": bool(config.get("Server")),
        "version": config.get("Version"),
        "revision": config.get("Revision") or None,
        "address": member.get("Addr"),
        "serf_lan_port": member.get("Port"),
        "primary_datacenter": debug.get("PrimaryDatacenter") or None,
        "data_dir": debug.get("DataDir") or None,
        "bootstrap_expect": debug.get("BootstrapExpect"),
    }


def parse_member(member: dict[str, Any]) -> dict[str, Any]:
    tags = member.get("Tags") or {}
    status = member.get("Status")
    return {
        "name": member.get("Name"),
        "address": member.get("Addr"),
        "port": member.get("Port"),
        "status": MEMBER_STATUS.get(status, f"unknown({status})"),
        "server": tags.get("role") == "consul",
        "datacenter": tags.get("dc"),
        "version": (tags.get("build") or "").split(":")[0] or None,
        "server_port": int(tags["port"]) if tags.get("role") == "consul" and tags.get("port") else None,
        "use_tls": tags.get("use_tls") == "1",
        "acl_mode": ACL_MODES.get(tags.get("acls") or "", "unknown"),
    }


def parse_members(members: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    """LAN members from /v1/agent/members, sorted by name."""
    return sorted((parse_member(m) for m in members or []), key=lambda m: m["name"] or "")


def count_members(members: list[dict[str, Any]]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for member in members:
        counts[member["status"]] = counts.get(member["status"], 0) + 1
    return counts


def parse_leader(leader: Any, members: list[dict[str, Any]], own_address: str | None
                 ) -> dict[str, Any]:
    """The leader this agent sees (/v1/status/leader: "ip:port" or "" when none)."""
    address = leader if isinstance(leader, str) and leader else None
    name = None
    if address:
        for member in members:
            if member["server"] and f"{member['address']}:{member['server_port']}" == address:
                name = member["name"]
                break
    return {
        "known": address is not None,
        "address": address,
        "name": name,
        "is_self": bool(address and own_address and address.rsplit(":", 1)[0] == own_address),
    }


def parse_serf_health(checks: list[dict[str, Any]] | None) -> dict[str, str] | None:
    """Each node's serfHealth check status in the catalog (the servers' view of the
    members: the leader sets it from its own gossip pool)."""
    if not isinstance(checks, list):
        return None
    return {c["Node"]: c.get("Status", "unknown") for c in checks
            if isinstance(c, dict) and c.get("CheckID") == "serfHealth" and c.get("Node")}


def parse_connect_roots(roots: dict[str, Any] | None) -> list[dict[str, Any]] | None:
    """/v1/agent/connect/ca/roots: the Connect CA's roots (public certificates). Clients
    with auto_encrypt serve a certificate signed by the active one on their HTTPS API."""
    if not isinstance(roots, dict):
        return None
    return [{"id": root.get("ID"), "name": root.get("Name"), "active": bool(root.get("Active")),
             "pem": root.get("RootCert"), "not_after": root.get("NotAfter")}
            for root in roots.get("Roots") or [] if isinstance(root, dict) and root.get("RootCert")]


def parse_services(services: dict[str, Any] | None) -> list[dict[str, Any]] | None:
    """/v1/agent/services: each local service's ID and name, sorted by ID."""
    if not isinstance(services, dict):
        return None
    return sorted(({"id": service_id, "name": (service or {}).get("Service", service_id)}
                   for service_id, service in services.items()), key=lambda s: s["id"])


def parse_intentions(intentions: list[dict[str, Any]] | None) -> list[dict[str, Any]] | None:
    """/v1/connect/intentions: each intention's source, destination and action."""
    if not isinstance(intentions, list):
        return None
    return [{"source": i.get("SourceName"), "destination": i.get("DestinationName"),
             "action": i.get("Action")} for i in intentions]


def parse_autopilot(health: dict[str, Any] | None) -> dict[str, Any] | None:
    """/v1/operator/autopilot/health (200 when healthy, 429 with the same body when not)."""
    if not isinstance(health, dict):
        return None
    servers = [
        {
            "name": s.get("Name"),
            "id": s.get("ID"),
            "address": s.get("Address"),
            "healthy": bool(s.get("Healthy")),
            "leader": bool(s.get("Leader")),
            "voter": bool(s.get("Voter")),
            "serf_status": s.get("SerfStatus"),
            "last_term": s.get("LastTerm"),
            "last_index": s.get("LastIndex"),
            "stable_since": s.get("StableSince"),
        }
        for s in health.get("Servers") or []
    ]
    servers.sort(key=lambda s: s["name"] or "")
    leaders = [s["name"] for s in servers if s["leader"]]
    return {
        "healthy": bool(health.get("Healthy")),
        "failure_tolerance": health.get("FailureTolerance"),
        "voters": sum(1 for s in servers if s["voter"]),
        "leader": leaders[0] if len(leaders) == 1 else None,
        "unhealthy_servers": [s["name"] for s in servers if not s["healthy"]],
        "servers": servers,
    }


def parse_raft(configuration: dict[str, Any] | None) -> dict[str, Any] | None:
    """/v1/operator/raft/configuration: the leader's own view of the Raft peers."""
    if not isinstance(configuration, dict):
        return None
    peers = sorted(
        ({"name": s.get("Node"), "address": s.get("Address"), "leader": bool(s.get("Leader")),
          "voter": bool(s.get("Voter"))} for s in configuration.get("Servers") or []),
        key=lambda s: s["name"] or "",
    )
    leaders = [p["name"] for p in peers if p["leader"]]
    return {
        "leader": leaders[0] if len(leaders) == 1 else None,
        "voters": sum(1 for p in peers if p["voter"]),
        "peers": peers,
    }


def key_fingerprint(key: str) -> str:
    """A stable, non-reversible name for a gossip key: never the key itself."""
    try:
        raw = base64.b64decode(key, validate=True)
    except (binascii.Error, ValueError):
        raw = key.encode()
    return "sha256:" + hashlib.sha256(raw).hexdigest()[:16]


def parse_keyring(keyring: list[dict[str, Any]] | None) -> list[dict[str, Any]] | None:
    """/v1/operator/keyring summarized per pool: fingerprints and node counts, no key."""
    if not isinstance(keyring, list):
        return None
    pools = []
    for pool in keyring:
        primary = pool.get("PrimaryKeys") or {}
        keys = [
            {"fingerprint": key_fingerprint(key), "nodes": count,
             "primary_nodes": primary.get(key, 0)}
            for key, count in (pool.get("Keys") or {}).items()
        ]
        keys.sort(key=lambda k: (-k["primary_nodes"], k["fingerprint"]))
        pools.append({
            "pool": "wan" if pool.get("WAN") else "lan",
            "datacenter": pool.get("Datacenter"),
            "segment": pool.get("Segment") or None,
            "num_nodes": pool.get("NumNodes"),
            "keys": keys,
            # every node has every key and one primary key everywhere
            "consistent": bool(keys) and all(k["nodes"] == pool.get("NumNodes") for k in keys)
            and sum(1 for k in keys if k["primary_nodes"] == pool.get("NumNodes")) == 1,
        })
    pools.sort(key=lambda p: (p["pool"], p["datacenter"] or ""))
    return pools


def agent_record(agent_self: dict[str, Any], members: list[dict[str, Any]] | None,
                 leader: Any, autopilot: dict[str, Any] | None = None,
                 raft: dict[str, Any] | None = None,
                 keyring: list[dict[str, Any]] | None = None,
                 serf_health: list[dict[str, Any]] | None = None,
                 connect_roots: dict[str, Any] | None = None,
                 services: dict[str, Any] | None = None,
                 intentions: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """Everything about one agent in one normalized record."""
    record = parse_self(agent_self)
    parsed_members = parse_members(members)
    record["members"] = parsed_members
    record["member_counts"] = count_members(parsed_members)
    record["leader"] = parse_leader(leader, parsed_members, record["address"])
    record["is_leader"] = record["server"] and record["leader"]["is_self"]
    record["security"] = parse_security(agent_self)
    record["autopilot"] = parse_autopilot(autopilot)
    record["raft"] = parse_raft(raft)
    record["keyring"] = parse_keyring(keyring)
    record["serf_health"] = parse_serf_health(serf_health)
    record["connect_roots"] = parse_connect_roots(connect_roots)
    record["services"] = parse_services(services)
    record["intentions"] = parse_intentions(intentions)
    return record
