# Copyright: consulsec.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The audit's judgements of one agent's running state (its record from _agent_state) and of
the cluster's intentions: pure functions, each returning (status, evidence, why).

Private module_utils: may change in any release.
"""

from __future__ import annotations

from ipaddress import ip_address
from typing import Any

from ._keyring import coverage_problems

Judgement = tuple[str, Any, str]  # status, evidence, why


def _flag(security: dict[str, Any], key: str, want: Any = True) -> Judgement:
    seen = security.get(key)
    if seen is None:
        return "unknown", {key: None}, f"the agent does not report {key}"
    if seen == want:
        return "pass", {key: seen}, f"{key} is {seen}"
    return "fail", {key: seen}, f"{key} is {seen}, expected {want}"


def _any_flag(security: dict[str, Any], keys: tuple[str, ...]) -> Judgement:
    seen = {key: security.get(key) for key in keys}
    if all(value is None for value in seen.values()):
        return "unknown", seen, f"the agent reports none of {', '.join(keys)}"
    if any(value is True for value in seen.values()):
        return "pass", seen, f"{' or '.join(keys)} is true"
    return "fail", seen, f"neither of {', '.join(keys)} is true"


def _loopback_only(addresses: list[str] | None) -> bool:
    """Whether every listener address (e.g. ``tcp://127.0.0.1:8500``, ``unix:///...``) is a
    loopback address or a unix socket."""
    for address in addresses or []:
        if address.startswith("unix://"):
            continue
        host = address.split("://", 1)[-1].rsplit(":", 1)[0].strip("[]")
        try:
            if not ip_address(host).is_loopback:
                return False
        except ValueError:
            return False
    return True


def gossip_encrypted(agent: dict[str, Any]) -> Judgement:
    return _flag(agent["security"], "gossip_encrypted")


def gossip_verify_incoming(agent: dict[str, Any]) -> Judgement:
    return _gossip_verify(agent, "encrypt_verify_incoming")


def gossip_verify_outgoing(agent: dict[str, Any]) -> Judgement:
    return _gossip_verify(agent, "encrypt_verify_outgoing")


def _gossip_verify(agent: dict[str, Any], key: str) -> Judgement:
    security = agent["security"]
    if not security.get("gossip_encrypted"):
        return "fail", {"gossip_encrypted": False, key: security.get(key)}, \
            "gossip is not encrypted, so nothing is verified"
    return _flag(security, key)


def tls_verify_incoming_rpc(agent: dict[str, Any]) -> Judgement:
    return _any_flag(agent["security"], ("tls_verify_incoming", "tls_verify_incoming_rpc"))


def tls_verify_incoming_https(agent: dict[str, Any]) -> Judgement:
    security = agent["security"]
    if not agent.get("server") and security.get("auto_encrypt_tls"):
        # the model's own client example: verify_incoming off, authorization by ACL tokens
        return "not_applicable", {"auto_encrypt_tls": True}, \
            "a client with auto_encrypt serves a Connect CA certificate; ACLs authorize its callers"
    https = security.get("https_port")
    if https is None:
        return "unknown", {"https_port": None}, "the agent does not report its HTTPS port"
    if https <= 0:
        return "not_applicable", {"https_port": https}, "HTTPS is off"
    if _loopback_only(security.get("https_addrs")):
        return "not_applicable", {"https_addrs": security.get("https_addrs")}, \
            "HTTPS is served on loopback only"
    return _any_flag(security, ("tls_verify_incoming", "tls_verify_incoming_https"))


def tls_verify_outgoing(agent: dict[str, Any]) -> Judgement:
    return _flag(agent["security"], "tls_verify_outgoing")


def tls_verify_server_hostname(agent: dict[str, Any]) -> Judgement:
    security = agent["security"]
    status, evidence, why = _flag(security, "tls_verify_server_hostname")
    if status == "pass" and security.get("tls_verify_outgoing") is not True:
        # before 1.4.1 the host name check alone sent plain text (CVE-2018-19653)
        return "fail", dict(evidence, tls_verify_outgoing=security.get("tls_verify_outgoing")), \
            "the server host name is verified only on TLS connections, and verify_outgoing is off"
    return status, evidence, why


def agent_tls_for_checks(agent: dict[str, Any]) -> Judgement:
    return _flag(agent["security"], "enable_agent_tls_for_checks")


def acl_enabled(agent: dict[str, Any]) -> Judgement:
    return _flag(agent["security"], "acl_enabled")


def acl_default_deny(agent: dict[str, Any]) -> Judgement:
    security = agent["security"]
    if not security.get("acl_enabled"):
        return "fail", {"acl_enabled": security.get("acl_enabled")}, "ACLs are off: nothing is denied"
    return _flag(security, "acl_default_policy", "deny")


def script_checks_off(agent: dict[str, Any]) -> Judgement:
    return _flag(agent["security"], "enable_script_checks", False)


def remote_exec_off(agent: dict[str, Any]) -> Judgement:
    return _flag(agent["security"], "disable_remote_exec", True)


def plain_http_not_exposed(agent: dict[str, Any]) -> Judgement:
    security = agent["security"]
    port, addresses = security.get("http_port"), security.get("http_addrs")
    if port is None:
        return "unknown", {"http_port": None}, "the agent does not report its HTTP port"
    if port <= 0:
        return "pass", {"http_port": port}, "plain HTTP is off"
    if _loopback_only(addresses):
        return "pass", {"http_addrs": addresses}, "plain HTTP is served on loopback only"
    return "fail", {"http_addrs": addresses}, "plain HTTP is served beyond loopback"


def tls_min_version(agent: dict[str, Any]) -> Judgement:
    seen = agent["security"].get("tls_min_version")
    if seen is None:
        return "unknown", {"tls_min_version": None}, "the agent does not report tls_min_version"
    if str(seen).lower().replace("_", "") in ("tls12", "tls13"):
        return "pass", {"tls_min_version": seen}, f"TLS {seen} at least"
    return "fail", {"tls_min_version": seen}, f"{seen} allows TLS older than 1.2"


def http_response_headers(agent: dict[str, Any]) -> Judgement:
    seen = agent["security"].get("http_response_headers")
    if seen is None:
        return "unknown", {"http_response_headers": None}, "the agent does not report them"
    if not seen:
        return "fail", {"http_response_headers": {}}, "no response headers are added"
    # what a reply carried, where the audit read one (header names are case-insensitive)
    served = agent.get("served_headers")
    if served is None:
        return "pass", {"http_response_headers": sorted(seen)}, "security headers are set"
    names = {name.lower() for name in served}
    missing = sorted(name for name in seen if name.lower() not in names)
    evidence = {"http_response_headers": sorted(seen), "served": sorted(served)}
    if missing:
        return "fail", dict(evidence, missing=missing), "configured headers are not served"
    return "pass", evidence, "security headers are set and served"


def write_http_restricted(agent: dict[str, Any]) -> Judgement:
    seen = agent["security"].get("allow_write_http_from")
    if seen is None:
        return "unknown", {"allow_write_http_from": None}, "the agent does not report it"
    if seen:
        return "pass", {"allow_write_http_from": seen}, "writes are allowed from the listed CIDRs only"
    return "fail", {"allow_write_http_from": []}, "writes are allowed from any address"


def client_rpc_rate_limited(agent: dict[str, Any]) -> Judgement:
    seen = agent["security"].get("rpc_rate")
    if seen is None:
        return "unknown", {"rpc_rate": None}, "the agent does not report rpc_rate"
    if seen > 0:
        return "pass", {"rpc_rate": seen}, f"at most {seen} RPC requests per second"
    return "fail", {"rpc_rate": seen}, "RPC requests to the servers are not limited"


def intentions_deny_by_default(agent: dict[str, Any]) -> Judgement:
    intentions = agent.get("intentions")
    if intentions is None:
        reason = agent.get("errors", {}).get("intentions", "intentions were not read")
        return "unknown", {}, f"could not read the intentions: {reason}"
    deny_all = [i for i in intentions if (i["source"], i["destination"], i["action"]) == ("*", "*", "deny")]
    if deny_all:
        return "pass", {"intentions": len(intentions)}, "* -> * deny is in place"
    allow_all = [i for i in intentions if (i["source"], i["destination"]) == ("*", "*")]
    return "fail", {"intentions": len(intentions), "star_to_star": [i["action"] for i in allow_all]}, \
        "no * -> * deny: services not named in an intention may talk to each other"


def keyring_consistent(agent: dict[str, Any]) -> Judgement:
    if not agent["security"].get("gossip_encrypted"):
        return "not_applicable", {}, "gossip is not encrypted (judged by CSEC-GOSSIP-01)"
    pools = agent.get("keyring")
    if pools is None:
        reason = agent.get("errors", {}).get("keyring", "the keyring was not read")
        return "unknown", {}, f"could not read the keyring: {reason}"
    evidence = {f"{p['pool']}:{p['datacenter']}": {"nodes": p["num_nodes"], "keys": len(p["keys"])}
                for p in pools}
    if not all(p["consistent"] for p in pools):
        return "fail", evidence, "not every node holds every key with one primary key everywhere"
    # the keyring counts only the nodes that answered: a member that is down is missing
    missing = coverage_problems([p for p in pools if p["pool"] == "lan"], agent.get("datacenter"),
                                agent.get("members") or [], [])
    if missing:
        return "fail", dict(evidence, missing=missing), "a member did not answer the keyring"
    if any(len(p["keys"]) > 1 for p in pools):
        return "fail", evidence, "more than one key installed: a rotation was not finished"
    return "pass", evidence, "every node holds the one key"
