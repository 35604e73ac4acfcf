# Copyright: consulsec.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The audit's controls, as data: one registry, each control a pure judgement of one agent's
record (plugins/module_utils/_agent_state.py's, from the agent's *running* state; the
judges are in _audit_agent and _audit_host).

A control names where it comes from (Consul's page "Security Model": the "Requirements"
and "Recommendations" of "Secure Configuration"), how bad a failure is, and what fixes it
(the role and variable of this collection, or the Consul setting where the collection does
not set it yet). A judgement is ``pass``, ``fail``, ``not_applicable`` or
``unknown`` (the agent did not report it), with the evidence seen. The records hold no
secrets (agent/self shows none), so neither does any evidence.

Private module_utils: may change in any release.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from ._audit_agent import (
    Judgement,
    acl_default_deny,
    acl_enabled,
    agent_tls_for_checks,
    client_rpc_rate_limited,
    gossip_encrypted,
    gossip_verify_incoming,
    gossip_verify_outgoing,
    http_response_headers,
    intentions_deny_by_default,
    keyring_consistent,
    plain_http_not_exposed,
    remote_exec_off,
    script_checks_off,
    tls_min_version,
    tls_verify_incoming_https,
    tls_verify_incoming_rpc,
    tls_verify_outgoing,
    tls_verify_server_hostname,
    write_http_restricted,
)
from ._audit_host import (
    agent_not_root,
    config_not_writable_by_others,
    data_dir_closed,
    secrets_not_readable_by_others,
)

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
    Control("CSEC-GOSSIP-04", "Every node holds the one gossip key",
            f"{MODEL}, Recommendations: Rotate Credentials (a rotation through the keyring ends with one key)",
            "medium", "cluster", keyring_consistent,
            "playbook consulsec.hardening.rotate_gossip_key (role gossip_encryption, tasks_from rotate)"),
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
            agent_tls_for_checks, "role consulsec.hardening.harden (harden_agent_tls_for_checks)"),
    Control("CSEC-ACL-01", "ACLs are on", f"{MODEL}, Requirements: ACLs", "critical", "agent",
            acl_enabled, "role consulsec.hardening.acl"),
    Control("CSEC-ACL-02", "ACLs deny by default", f"{MODEL}, Requirements: ACLs (default_policy)",
            "critical", "agent", acl_default_deny, "role consulsec.hardening.acl (acl_default_policy: deny)"),
    Control("CSEC-EXEC-01", "Script checks are off",
            f"{MODEL}, Requirements: Ensure Script Checks are Disabled", "critical", "agent",
            script_checks_off, "role consulsec.hardening.harden (harden_script_checks: off or local)"),
    Control("CSEC-EXEC-02", "Remote execution is off",
            f"{MODEL}, Requirements: Ensure Remote Execution is Disabled", "high", "agent",
            remote_exec_off, "role consulsec.hardening.harden (harden_disable_remote_exec)"),
    Control("CSEC-HTTP-01", "Plain HTTP is not served beyond loopback",
            f"{MODEL}, Requirements: mTLS (TLS for the API is not needed on loopback only)", "high",
            "agent", plain_http_not_exposed, "role consulsec.hardening.tls (stage 4 closes plain HTTP)"),
    Control("CSEC-REC-01", "TLS 1.2 at least", f"{MODEL}, Recommendations: Customize TLS Settings",
            "medium", "agent", tls_min_version, "role consulsec.hardening.harden (harden_tls_min_version)"),
    Control("CSEC-REC-02", "Security headers on HTTP responses",
            f"{MODEL}, Recommendations: Customize HTTP Response Headers", "low", "agent",
            http_response_headers, "role consulsec.hardening.harden (harden_http_response_headers)"),
    Control("CSEC-REC-03", "HTTP writes only from listed networks",
            f"{MODEL}, Recommendations: Restrict HTTP Writes", "medium", "agent", write_http_restricted,
            "role consulsec.hardening.harden (harden_allow_write_http_from)"),
    Control("CSEC-REC-04", "Clients' RPC to the servers is rate limited",
            f"{MODEL}, Recommendations: Customize Default Limits (rpc_rate)", "low", "client",
            client_rpc_rate_limited, "role consulsec.hardening.harden (harden_limits: rpc_rate, rpc_max_burst)"),
    Control("CSEC-MESH-01", "Intentions deny by default", MESH, "high", "cluster",
            intentions_deny_by_default,
            "role consulsec.hardening.acl (acl_intentions_default_deny, acl_intentions_allow)"),
    Control("CSEC-HOST-01", "The data directory is closed to others", THREATS, "high", "host",
            data_dir_closed, "role consulsec.hardening.harden (harden_file_modes)"),
    Control("CSEC-HOST-02", "Only owner and group may change the configuration", THREATS, "high", "host",
            config_not_writable_by_others, "role consulsec.hardening.harden (harden_file_modes)"),
    Control("CSEC-HOST-03", "Files with a gossip key, a token or a private key are closed to others",
            THREATS, "high", "host", secrets_not_readable_by_others,
            "role consulsec.hardening.harden (harden_file_modes)"),
    Control("CSEC-HOST-04", "The agent does not run as root",
            f"{MODEL}, Recommendations: Run without Root", "medium", "host", agent_not_root,
            "role consulsec.hardening.harden (harden_agent_user, through systemd)"),
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
