# Copyright: consulsec.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure judgements for gossip key rotation through the keyring (/v1/operator/keyring).

Everything here works on keyring pools as ``_agent_state.parse_keyring`` returns them
(key fingerprints and node counts, never a key) and on members as ``parse_members``
returns them.

Measured on Consul 1.8.7: a keyring answer counts only the nodes that answered. With a
client down (killed), the LAN pool says ``NumNodes: 4`` and the new key "on 4 of 4"; once
the new key is primary and the old one removed, that client can never rejoin. So every
pool's node count is judged against the members the server knows (all but those that
left), and a member that is not alive stops the rotation before anything changes.

Private module_utils: may change in any release.
"""

from __future__ import annotations

from typing import Any, Callable, TypeVar

from ._errors import ConsulApiError

STATES = ("present", "primary", "only", "absent")
# A keyring call whose gossip query missed a node is sent again this many times in all,
# this many seconds apart (measured on 1.8.7 under load: one client of five did not answer
# a remove-key query within the query's 3.2 s timeout; it answered the next one).
QUERY_ATTEMPTS = 4
QUERY_PAUSE = 3.0

T = TypeVar("T")


def missed_query(error: ConsulApiError) -> bool:
    """True when a keyring reply says that not every node answered the gossip query in
    time (HTTP 500, "dc1 (LAN) error: 4/5 nodes reported success"). The nodes that did
    answer carried the operation out; each operation is safe to send again."""
    return error.status == 500 and "nodes reported success" in error.body


def keyring_call(call: Callable[[], T], sleep: Callable[[float], None],
                 attempts: int = QUERY_ATTEMPTS, pause: float = QUERY_PAUSE) -> T:
    """``call()``, sent again while its answer says a node missed the query; the last
    error is raised when every attempt missed one, any other error at once."""
    for _attempt in range(1, attempts):
        try:
            return call()
        except ConsulApiError as exc:
            if not missed_query(exc):
                raise
        sleep(pause)
    return call()


def _pool_name(pool: dict[str, Any]) -> str:
    return f"{pool['pool'].upper()} pool of {pool.get('datacenter') or 'the datacenter'}"


def _expected_members(pool: dict[str, Any], datacenter: str | None,
                      lan: list[dict[str, Any]], wan: list[dict[str, Any]]
                      ) -> list[dict[str, Any]] | None:
    """The members a pool must reach (all but those that left); None when this server
    cannot know them (another datacenter's LAN pool)."""
    if pool["pool"] == "wan":
        members = wan
    elif pool.get("datacenter") in (None, datacenter):
        members = lan
    else:
        return None
    return [m for m in members if m["status"] != "left"]


def coverage_problems(pools: list[dict[str, Any]], datacenter: str | None,
                      lan: list[dict[str, Any]], wan: list[dict[str, Any]]) -> list[str]:
    """Why the keyring cannot be trusted to reach every node, one line per pool.

    A pool is whole when every member it should hold is alive and answered the keyring
    query. An empty list: every node answered."""
    problems = []
    for pool in pools:
        expected = _expected_members(pool, datacenter, lan, wan)
        if expected is None:
            continue
        down = sorted(f"{m['name']} ({m['status']})" for m in expected if m["status"] != "alive")
        if down or pool["num_nodes"] != len(expected):
            problems.append(
                f"{_pool_name(pool)}: {pool['num_nodes']} node(s) answered the keyring query, "
                f"{len(expected)} member(s) known"
                + (f"; not alive: {', '.join(down)}" if down else "")
            )
    return problems


def _key(pool: dict[str, Any], fingerprint: str) -> dict[str, Any]:
    return next((k for k in pool["keys"] if k["fingerprint"] == fingerprint),
                {"fingerprint": fingerprint, "nodes": 0, "primary_nodes": 0})


def pool_problems(pools: list[dict[str, Any]], fingerprint: str, state: str) -> list[str]:
    """Where ``state`` does not hold for the key ``fingerprint``; empty when it holds on
    every node of every pool. States: ``present`` (installed on every node), ``primary``
    (also the primary key of every node), ``only`` (the one key every node has),
    ``absent`` (on no node)."""
    problems = []
    for pool in pools:
        total = pool["num_nodes"]
        key = _key(pool, fingerprint)
        others = [k for k in pool["keys"] if k["fingerprint"] != fingerprint and k["nodes"]]
        seen = f"on {key['nodes']} of {total} node(s), primary on {key['primary_nodes']}"
        if state == "absent":
            if key["nodes"]:
                problems.append(f"{_pool_name(pool)}: the key is still {seen}")
            continue
        if key["nodes"] != total:
            problems.append(f"{_pool_name(pool)}: the key is {seen}")
        elif state in ("primary", "only") and key["primary_nodes"] != total:
            problems.append(f"{_pool_name(pool)}: the key is {seen}, not primary everywhere")
        elif state == "only" and others:
            problems.append(f"{_pool_name(pool)}: {len(others)} other key(s) installed: "
                            + ", ".join(k["fingerprint"] for k in others))
    return problems


def actions(pools: list[dict[str, Any]], fingerprint: str, state: str) -> list[str]:
    """The keyring operations that bring every pool to ``state``, in order:
    ``install``, ``use``, ``remove_others`` (every other key) or ``remove``."""
    if state == "absent":
        return ["remove"] if pool_problems(pools, fingerprint, "absent") else []
    steps = []
    if pool_problems(pools, fingerprint, "present"):
        steps.append("install")
    if state in ("primary", "only") and (steps or pool_problems(pools, fingerprint, "primary")):
        steps.append("use")
    if state == "only" and (steps or pool_problems(pools, fingerprint, "only")):
        steps.append("remove_others")
    return steps


def primary_anywhere(pools: list[dict[str, Any]], fingerprint: str) -> bool:
    return any(_key(pool, fingerprint)["primary_nodes"] for pool in pools)
