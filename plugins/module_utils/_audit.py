# Copyright: consulsec.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The audit's controls, as data: one registry, each control a pure judgement of one agent's
record (plugins/module_utils/_agent_state.py's, from the agent's *running* state).

A control names where it comes from (Consul's security model, ../shared/seeds/001: the
"Requirements" and "Recommendations" of "Secure Configuration"), how bad a failure is, and
what fixes it (the role and variable of this collection, or the Consul setting where the
collection does not set it yet). A judgement is ``pass``, ``fail``, ``not_applicable`` or
``unknown`` (the agent did not report it), with the evidence seen. The records hold no
secrets (agent/self shows none), so neither does any evidence.

Private module_utils: may change in any release.
"""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import ip_address
from typing import Any, Callable

from ._audit_host import config_not_writable_by_others, data_dir_closed, secrets_not_readable_by_others

Judgement = tuple[str, Any, str]  # status, evidence, why
SEVERITIES = ("critical", "high", "medium", "low")
MODEL = "Consul security model, Secure Configuration"
MESH = "Consul service mesh security checklist and best practices (default deny intention policy)"
THREATS = "Consul security model, Threat Model (outside it: access to the data and configuration directories)"


@dataclass(frozen=True)
class Control:
    id: str
    title: str
    source: str
    severity: str
    # agent, server or client: the agents it applies to; host: every agent's host; cluster:
    # the whole cluster, judged once, on the leader
    scope: str
    judge: Callable[[dict[str, Any]], Judgement]
    fix: str


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
    if seen:
        return "pass", {"http_response_headers": sorted(seen)}, "security headers are set"
    return "fail", {"http_response_headers": {}}, "no response headers are added"


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


CONTROLS: tuple[Control, ...] = (
    Control("CSEC-GOSSIP-01", "Gossip is encrypted", f"{MODEL}, Requirements: Gossip Encryption",
            "high", "agent", gossip_encrypted,
            "role consulsec.hardening.gossip_encryption"),
    Control("CSEC-GOSSIP-02", "Unencrypted incoming gossip is refused",
            f"{MODEL}, Requirements: Gossip Encryption (encrypt_verify_incoming)", "high", "agent",
            gossip_verify_incoming, "role consulsec.hardening.gossip_encryption"),
    Control("CSEC-GOSSIP-03", "Outgoing gossip is encrypted",
            f"{MODEL}, Requirements: Gossip Encryption (encrypt_verify_outgoing)", "high", "agent",
            gossip_verify_outgoing, "role consulsec.hardening.gossip_encryption"),
    Control("CSEC-TLS-01", "Incoming RPC requires a certificate of the CA",
            f"{MODEL}, Requirements: mTLS (verify_incoming, internal_rpc.verify_incoming)",
            "critical", "agent", tls_verify_incoming_rpc, "role consulsec.hardening.tls"),
    Control("CSEC-TLS-02", "The HTTPS API requires a client certificate (unless loopback only)",
            f"{MODEL}, Requirements: mTLS (https.verify_incoming)", "high", "agent",
            tls_verify_incoming_https, "role consulsec.hardening.tls"),
    Control("CSEC-TLS-03", "Outgoing RPC uses TLS", f"{MODEL}, Requirements: mTLS (verify_outgoing)",
            "critical", "agent", tls_verify_outgoing, "role consulsec.hardening.tls"),
    Control("CSEC-TLS-04", "Servers' host names are verified",
            f"{MODEL}, Requirements: mTLS (verify_server_hostname; CVE-2018-19653)", "critical",
            "agent", tls_verify_server_hostname, "role consulsec.hardening.tls"),
    Control("CSEC-TLS-05", "HTTP and gRPC health checks use the agent's TLS",
            f"{MODEL}, Requirements: mTLS (enable_agent_tls_for_checks)", "medium", "agent",
            agent_tls_for_checks, "Consul setting enable_agent_tls_for_checks (not set by this collection yet)"),
    Control("CSEC-ACL-01", "ACLs are on", f"{MODEL}, Requirements: ACLs", "critical", "agent",
            acl_enabled, "role consulsec.hardening.acl"),
    Control("CSEC-ACL-02", "ACLs deny by default", f"{MODEL}, Requirements: ACLs (default_policy)",
            "critical", "agent", acl_default_deny, "role consulsec.hardening.acl (acl_default_policy: deny)"),
    Control("CSEC-EXEC-01", "Script checks are off",
            f"{MODEL}, Requirements: Ensure Script Checks are Disabled", "critical", "agent",
            script_checks_off, "Consul setting enable_script_checks = false (not set by this collection yet)"),
    Control("CSEC-EXEC-02", "Remote execution is off",
            f"{MODEL}, Requirements: Ensure Remote Execution is Disabled", "high", "agent",
            remote_exec_off, "Consul setting disable_remote_exec = true (not set by this collection yet)"),
    Control("CSEC-HTTP-01", "Plain HTTP is not served beyond loopback",
            f"{MODEL}, Requirements: mTLS (TLS for the API is not needed on loopback only)", "high",
            "agent", plain_http_not_exposed, "role consulsec.hardening.tls (stage 4 closes plain HTTP)"),
    Control("CSEC-REC-01", "TLS 1.2 at least", f"{MODEL}, Recommendations: Customize TLS Settings",
            "medium", "agent", tls_min_version, "Consul setting tls_min_version (not set by this collection yet)"),
    Control("CSEC-REC-02", "Security headers on HTTP responses",
            f"{MODEL}, Recommendations: Customize HTTP Response Headers", "low", "agent",
            http_response_headers, "Consul setting http_config.response_headers (not set by this collection yet)"),
    Control("CSEC-REC-03", "HTTP writes only from listed networks",
            f"{MODEL}, Recommendations: Restrict HTTP Writes", "medium", "agent", write_http_restricted,
            "Consul setting http_config.allow_write_http_from (not set by this collection yet)"),
    Control("CSEC-REC-04", "Clients' RPC to the servers is rate limited",
            f"{MODEL}, Recommendations: Customize Default Limits (rpc_rate)", "low", "client",
            client_rpc_rate_limited, "Consul settings limits.rpc_rate and rpc_max_burst (not set by this collection yet)"),
    Control("CSEC-MESH-01", "Intentions deny by default", MESH, "high", "cluster",
            intentions_deny_by_default,
            "role consulsec.hardening.acl (acl_intentions_default_deny, acl_intentions_allow)"),
    Control("CSEC-HOST-01", "The data directory is closed to others", THREATS, "high", "host",
            data_dir_closed, "chmod o-rwx on the data directory (0700 or 0750)"),
    Control("CSEC-HOST-02", "Only owner and group may change the configuration", THREATS, "high", "host",
            config_not_writable_by_others, "chmod o-w on the configuration directory and its files"),
    Control("CSEC-HOST-03", "Files with a gossip key, a token or a private key are closed to others",
            THREATS, "high", "host", secrets_not_readable_by_others,
            "chmod o-rwx on each file named (0640 or 0600, owned by the agent's user)"),
)


def applies(control: Control, agent: dict[str, Any]) -> bool:
    if control.scope == "cluster":
        return bool(agent.get("is_leader"))
    return control.scope in ("agent", "host") or (control.scope == "server") == bool(agent.get("server"))


def audit_agent(agent: dict[str, Any], controls: tuple[Control, ...] = CONTROLS) -> list[dict[str, Any]]:
    """Every control's judgement of one agent record, in registry order."""
    results = []
    for control in controls:
        if applies(control, agent):
            status, evidence, why = control.judge(agent)
        else:
            status, evidence, why = "not_applicable", {}, (
                "judged once, on the leader" if control.scope == "cluster" else f"applies to {control.scope}s only")
        results.append({"id": control.id, "title": control.title, "source": control.source,
                        "severity": control.severity, "scope": control.scope, "agent": agent.get("name"),
                        "status": status, "evidence": evidence, "why": why, "fix": control.fix})
    return results


def summary(results: list[dict[str, Any]]) -> dict[str, Any]:
    """Counts by status, and failures by severity and by agent."""
    by_status: dict[str, int] = {}
    failed_by_severity = {severity: 0 for severity in SEVERITIES}
    failed_by_agent: dict[str, int] = {}
    for result in results:
        by_status[result["status"]] = by_status.get(result["status"], 0) + 1
        if result["status"] == "fail":
            failed_by_severity[result["severity"]] += 1
            failed_by_agent[result["agent"]] = failed_by_agent.get(result["agent"], 0) + 1
    return {"by_status": by_status, "failed_by_severity": failed_by_severity,
            "failed_by_agent": failed_by_agent}


def fails_at_or_above(results: list[dict[str, Any]], severity: str) -> list[dict[str, Any]]:
    """The failures at ``severity`` or worse (for failing a play)."""
    worst = SEVERITIES[: SEVERITIES.index(severity) + 1]
    return [r for r in results if r["status"] == "fail" and r["severity"] in worst]
