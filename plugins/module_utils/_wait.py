# Copyright: consulsec.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure functions for consul_wait: judge conditions on an agent record, and the wait loop.

A condition must hold for a settle period, not on a single poll: right after a restart
autopilot still reports the old, healthy state for about a second, and followers keep
naming the old leader until an election is over.

Private module_utils: may change in any release.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from ._agent_state import SECURITY_KEYS
from ._errors import ConsulInputError

CONDITION_KEYS = ("members_alive", "cluster_members_alive", "min_alive_members", "leader", "autopilot_healthy",
                  "min_failure_tolerance", "voters", "security", "catalog_in_sync", "acl_mode")
ACL_MODE_CHOICES = ("disabled", "legacy", "enabled")


def validate_conditions(conditions: dict[str, Any]) -> dict[str, Any]:
    """Drop unset conditions and refuse unknown security keys before any waiting."""
    active = {k: v for k, v in conditions.items() if k in CONDITION_KEYS and v not in (None, [], {})}
    if not active.get("catalog_in_sync", True):
        del active["catalog_in_sync"]  # false asks for nothing: "out of sync" is no goal
    unknown = sorted(set(active.get("security") or {}) - set(SECURITY_KEYS))
    if unknown:
        raise ConsulInputError(
            f"security: unknown key(s) {', '.join(unknown)}; known keys: {', '.join(SECURITY_KEYS)}"
        )
    if active.get("acl_mode", "enabled") not in ACL_MODE_CHOICES:
        raise ConsulInputError(f"acl_mode must be one of {', '.join(ACL_MODE_CHOICES)}, "
                               f"got {active['acl_mode']}")
    for key in ("min_alive_members", "min_failure_tolerance", "voters"):
        if key in active and int(active[key]) < 0:
            raise ConsulInputError(f"{key} must be 0 or more, got {active[key]}")
    return active


def needed_parts(conditions: dict[str, Any]) -> list[str]:
    """Which optional parts of the agent record the conditions need."""
    parts = []
    if {"leader", "autopilot_healthy", "min_failure_tolerance", "voters"} & set(conditions):
        parts.append("autopilot")
    if "leader" in conditions or "voters" in conditions:
        parts.append("raft")
    if "cluster_members_alive" in conditions:
        parts.append("serf_health")
    if "catalog_in_sync" in conditions:
        parts.append("catalog_sync")
    return parts


def _result(name: str, met: bool, expected: Any, seen: Any, final: bool = False) -> dict[str, Any]:
    """One judgement; ``final`` when waiting cannot make it right (the wait fails at once)."""
    result = {"condition": name, "met": bool(met), "expected": expected, "seen": seen}
    if final:
        result["final"] = True
    return result


def _alive(condition: str, status: dict[str, str], names: list[str], alive: str) -> dict[str, Any]:
    """Every name has the status ``alive`` in ``status`` (name -> status); the others named."""
    not_alive = {n: status.get(n, "absent") for n in names if status.get(n) != alive}
    return _result(condition, not not_alive, {"alive": names}, not_alive or "all alive")


def _members_alive(record: dict[str, Any], names: list[str]) -> dict[str, Any]:
    status = {m["name"]: m["status"] for m in record["members"]}
    return _alive("members_alive", status, names, "alive")


def _cluster_members_alive(record: dict[str, Any], names: list[str]) -> dict[str, Any]:
    health = record.get("serf_health")
    if health is None:
        reason = record.get("errors", {}).get("serf_health", "serfHealth checks not gathered")
        return _result("cluster_members_alive", False, {"alive": names}, f"unknown ({reason})")
    return _alive("cluster_members_alive", health, names, "passing")


def _acl_mode(record: dict[str, Any], wanted: str) -> dict[str, Any]:
    """Every alive member gossips the ACL mode wanted (its "acls" tag); the others named."""
    differ = {m["name"]: m["acl_mode"] for m in record["members"]
              if m["status"] == "alive" and m["acl_mode"] != wanted}
    return _result("acl_mode", not differ, f"{wanted} on every alive member",
                   differ or f"{wanted} on all")


def _leader(record: dict[str, Any], wanted: bool) -> dict[str, Any]:
    leader = record["leader"]
    views = {"agent": leader["name"] or leader["address"]}
    if record.get("raft") is not None:
        views["raft"] = record["raft"]["leader"]
    if record.get("autopilot") is not None:
        views["autopilot"] = record["autopilot"]["leader"]
    agreed = leader["known"] and len(set(views.values())) == 1 and None not in views.values()
    if not wanted:
        return _result("leader", not leader["known"], "no leader", views)
    for part in ("raft", "autopilot"):
        if record.get(part) is None and part in record.get("errors", {}):
            views[part] = f"unknown ({record['errors'][part]})"
            agreed = False
    return _result("leader", agreed, "one leader, named alike by the agent, Raft and autopilot",
                   views)


def _autopilot(record: dict[str, Any], key: str, expected: Any) -> dict[str, Any]:
    autopilot = record.get("autopilot")
    if autopilot is None:
        reason = record.get("errors", {}).get("autopilot", "autopilot state not gathered")
        return _result(key, False, expected, f"unknown ({reason})")
    if key == "autopilot_healthy":
        seen = {"healthy": autopilot["healthy"],
                "unhealthy_servers": autopilot["unhealthy_servers"]}
        return _result(key, autopilot["healthy"] == bool(expected), bool(expected), seen)
    if key == "min_failure_tolerance":
        seen = autopilot["failure_tolerance"]
        return _result(key, seen is not None and seen >= int(expected), f">= {expected}", seen)
    seen = autopilot["voters"]
    return _result(key, seen == int(expected), int(expected), seen)


def _security(record: dict[str, Any], expected: dict[str, Any]) -> dict[str, Any]:
    seen = {k: record["security"].get(k) for k in expected}
    differ = {k: v for k, v in seen.items() if v != expected[k]}
    return _result("security", not differ, expected, differ or seen)


def _catalog_in_sync(record: dict[str, Any]) -> dict[str, Any]:
    sync = record.get("catalog_sync")
    if sync is None:
        reason = record.get("errors", {}).get("catalog_sync", "catalog sync not gathered")
        return _result("catalog_in_sync", False, True, f"unknown ({reason})")
    # a write refused by ACLs is an event the agent does not retry for about a minute, and
    # its counter shows for 10 s only: seen once, the wait fails
    return _result("catalog_in_sync", sync["in_sync"], True,
                   sync["differences"] or f"in sync ({sync['services']} services, {sync['checks']} checks)",
                   final=bool(sync.get("blocked")))


def evaluate(conditions: dict[str, Any], record: dict[str, Any] | None,
             error: str | None = None) -> list[dict[str, Any]]:
    """Judge every condition on one observation. The agent must answer in any case."""
    results = [_result("answers", record is not None, True, error or "answered")]
    for key, expected in conditions.items():
        if record is None:
            results.append(_result(key, False, expected, "unknown: the agent did not answer"))
        elif key == "members_alive":
            results.append(_members_alive(record, list(expected)))
        elif key == "cluster_members_alive":
            results.append(_cluster_members_alive(record, list(expected)))
        elif key == "min_alive_members":
            alive = record["member_counts"].get("alive", 0)
            results.append(_result(key, alive >= int(expected), f">= {expected}", alive))
        elif key == "leader":
            results.append(_leader(record, bool(expected)))
        elif key == "security":
            results.append(_security(record, expected))
        elif key == "catalog_in_sync":
            results.append(_catalog_in_sync(record))
        elif key == "acl_mode":
            results.append(_acl_mode(record, expected))
        else:
            results.append(_autopilot(record, key, expected))
    return results


def describe_unmet(results: list[dict[str, Any]]) -> str:
    return "; ".join(
        f"{r['condition']}: expected {r['expected']}, seen {r['seen']}" for r in results if not r["met"]
    )


@dataclass
class WaitOutcome:
    met: bool
    elapsed: float
    polls: int
    results: list[dict[str, Any]]
    record: dict[str, Any] | None
    held_for: float = 0.0
    history: list[str] = field(default_factory=list)


def wait_for(observe: Callable[[], tuple[dict[str, Any] | None, str | None]],
             conditions: dict[str, Any], timeout: float, poll_interval: float, settle: float,
             clock: Callable[[], float], sleep: Callable[[float], None]) -> WaitOutcome:
    """Poll until every condition has held for ``settle`` seconds, or ``timeout`` passes, or
    a judgement is final (waiting cannot make it right).

    ``history`` keeps each change of the set of unmet conditions (at most 20), so a
    failure can tell what the agent went through, not only the last poll.
    """
    start = clock()
    met_since: float | None = None
    polls = 0
    history: list[str] = []
    last_summary = None
    while True:
        record, error = observe()
        polls += 1
        now = clock()
        results = evaluate(conditions, record, error)
        all_met = all(r["met"] for r in results)
        summary = "all conditions met" if all_met else describe_unmet(results)
        if summary != last_summary and len(history) < 20:
            history.append(f"{now - start:.1f}s: {summary}")
            last_summary = summary
        if all_met:
            met_since = now if met_since is None else met_since
            if now - met_since >= settle:
                return WaitOutcome(True, now - start, polls, results, record, now - met_since,
                                   history)
        else:
            met_since = None
        if now - start >= timeout or any(r.get("final") for r in results):
            held = now - met_since if met_since is not None else 0.0
            return WaitOutcome(False, now - start, polls, results, record, held, history)
        sleep(max(0.0, min(poll_interval, timeout - (now - start))))
