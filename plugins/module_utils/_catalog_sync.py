# Copyright: consulsec.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure function: does the catalog hold what the agent holds (its anti-entropy works)?

An agent writes its own node information, services and checks to the catalog (anti-entropy)
with its tokens. When ACLs refuse a token, Consul 1.8.7 logs a warning, counts it in the
agent's metrics (``consul.acl.blocked.<node|service|check>.<registration|deregistration>``)
and leaves the catalog behind: the node without its tagged addresses and meta (the leader
registers a joining node with its address only), services and checks missing. Both signs
are judged here, from replies recorded from real agents. A refused write is an event, not
a state: the agent marks the object synced and tries again only at its next full sync
(about a minute), and the counter shows for one metrics interval (10 s); the catalog keeps
the object when the node did not leave it. So ``blocked`` is kept apart for a caller that
must fail at first sight (consul_wait does).

Private module_utils: may change in any release.
"""

from __future__ import annotations

from typing import Any

BLOCKED_PREFIX = "consul.acl.blocked."


def blocked_counters(metrics: dict[str, Any] | None) -> dict[str, int]:
    """The ``consul.acl.blocked.*`` counters in the agent's current metrics interval."""
    counters = (metrics or {}).get("Counters") or []
    return {c["Name"]: int(c.get("Count", 0)) for c in counters
            if str(c.get("Name", "")).startswith(BLOCKED_PREFIX)}


def _node_differences(agent_self: dict[str, Any], catalog_node: dict[str, Any] | None) -> list[str]:
    name = (agent_self.get("Config") or {}).get("NodeName")
    if not catalog_node or not catalog_node.get("Node"):
        return [f"node {name} is not in the catalog"]
    node = catalog_node["Node"]
    want = (agent_self.get("DebugConfig") or {}).get("TaggedAddresses") or {}
    have = node.get("TaggedAddresses") or {}
    missing = sorted(k for k, v in want.items() if have.get(k) != v)
    differences = []
    if missing:
        differences.append(f"node {name}: tagged addresses {', '.join(missing)} not in the catalog "
                           "(the agent's own sync, with its agent token, has not run)")
    meta_want = agent_self.get("Meta") or {}
    meta_have = node.get("Meta") or {}
    if any(meta_have.get(k) != v for k, v in meta_want.items()):
        differences.append(f"node {name}: node meta not in the catalog")
    return differences


def judge_catalog_sync(agent_self: dict[str, Any], services: dict[str, Any] | None,
                       checks: dict[str, Any] | None, catalog_node: dict[str, Any] | None,
                       health_node: list[dict[str, Any]] | None,
                       metrics: dict[str, Any] | None) -> dict[str, Any]:
    """Compare the agent's own state with its entry in the catalog.

    ``services`` and ``checks`` are /v1/agent/services and /v1/agent/checks,
    ``catalog_node`` /v1/catalog/node/<node>, ``health_node`` /v1/health/node/<node>,
    ``metrics`` /v1/agent/metrics. Check output is not compared (it changes between two
    syncs by design); status is.
    """
    differences = _node_differences(agent_self, catalog_node)
    in_catalog = ((catalog_node or {}).get("Services")) or {}
    for service_id, service in sorted((services or {}).items()):
        if service_id not in in_catalog:
            differences.append(f"service {service_id} ({service.get('Service')}) not in the catalog")
    catalog_checks = {c["CheckID"]: c.get("Status") for c in health_node or []}
    for check_id, check in sorted((checks or {}).items()):
        if check_id not in catalog_checks:
            differences.append(f"check {check_id} not in the catalog")
        elif catalog_checks[check_id] != check.get("Status"):
            differences.append(f"check {check_id}: {check.get('Status')} on the agent, "
                               f"{catalog_checks[check_id]} in the catalog")
    blocked = blocked_counters(metrics)
    if blocked:
        differences.append("blocked by ACLs in the agent's last metrics interval: "
                           + ", ".join(f"{k} {v}" for k, v in sorted(blocked.items())))
    return {"in_sync": not differences, "differences": differences, "blocked": blocked,
            "services": len(services or {}), "checks": len(checks or {})}
