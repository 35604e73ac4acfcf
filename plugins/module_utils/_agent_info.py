# Copyright: consulsec.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Ask one agent for its state and normalize it (the only I/O next to _agent_state).

Private module_utils: may change in any release.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import quote

from ._agent_state import agent_record
from ._catalog_sync import judge_catalog_sync
from ._client import ConsulClient
from ._errors import ConsulError
from ._keyring import keyring_call

GATHER_CHOICES = ("autopilot", "raft", "keyring", "serf_health", "connect_roots", "services",
                  "catalog_sync", "intentions")
ENDPOINTS = {
    "self": "/v1/agent/self",
    "members": "/v1/agent/members",
    "leader": "/v1/status/leader",
    "autopilot": "/v1/operator/autopilot/health",
    "raft": "/v1/operator/raft/configuration",
    "keyring": "/v1/operator/keyring",
    # the servers' view of every member: the leader keeps each node's serfHealth check
    "serf_health": "/v1/health/state/any",
    # the Connect CA's roots, which sign the HTTPS certificate of an auto_encrypt client
    "connect_roots": "/v1/agent/connect/ca/roots",
    # the services registered on this agent (as far as the token may read them)
    "services": "/v1/agent/services",
    # the service mesh's intentions (the cluster's, answered through any agent)
    "intentions": "/v1/connect/intentions",
}
PARAMS = {"serf_health": {"filter": 'CheckID == "serfHealth"'}}
# what the agent holds, what the catalog holds of its node, and the agent's ACL-blocked counters
SYNC_ENDPOINTS = {
    "services": ENDPOINTS["services"],
    "checks": "/v1/agent/checks",
    "catalog_node": "/v1/catalog/node/{node}",
    "health_node": "/v1/health/node/{node}",
    "metrics": "/v1/agent/metrics",
}


def gather_catalog_sync(client: ConsulClient, agent_self: dict[str, Any]) -> dict[str, Any]:
    """Read what catalog_sync judges: the agent's own state and its node in the catalog."""
    node = quote((agent_self.get("Config") or {}).get("NodeName") or "", safe="")
    # the services and checks with the connection's token: the agent recovery token, which
    # the agent's other endpoints get, may read no service and answers an empty list
    replies = {key: client.get(path.format(node=node),
                               token=client.options.token if key in ("services", "checks") else None)
               for key, path in SYNC_ENDPOINTS.items()}
    return judge_catalog_sync(agent_self, **replies)


def read_keyring(client: ConsulClient) -> Any:
    """The keyring list, a gossip query: asked again when a node missed it (see _keyring)."""
    return keyring_call(lambda: client.get(ENDPOINTS["keyring"]), time.sleep)


def gather_agent(client: ConsulClient, gather: list[str] | tuple[str, ...] = ()) -> dict[str, Any]:
    """One normalized record of the agent behind ``client``.

    /v1/agent/self, members and the leader are required: an error there is raised. The
    optional parts (``gather``) are best effort: an error there is kept in
    ``record["errors"][part]`` and the part is None, so a cluster without a leader still
    yields a record that says so.
    """
    agent_self = client.get(ENDPOINTS["self"])
    members = client.get(ENDPOINTS["members"])
    leader = client.get(ENDPOINTS["leader"])
    optional: dict[str, Any] = {}
    errors: dict[str, str] = {}
    is_server = bool((agent_self.get("Config") or {}).get("Server"))
    for part in gather:
        if part == "keyring" and not is_server:
            errors[part] = "not gathered: keyring operations must run against a server"
            continue
        if part == "catalog_sync":
            continue
        # autopilot answers 429 with the same body when the cluster is not healthy
        accept = (200, 429) if part == "autopilot" else (200,)
        try:
            if part == "keyring":
                optional[part] = read_keyring(client)
            else:
                optional[part] = client.get(ENDPOINTS[part], params=PARAMS.get(part), accept=accept)
        except ConsulError as exc:
            errors[part] = str(exc)
    record = agent_record(agent_self, members, leader, **optional)
    if "catalog_sync" in gather:
        try:
            record["catalog_sync"] = gather_catalog_sync(client, agent_self)
        except ConsulError as exc:
            errors["catalog_sync"] = str(exc)
            record["catalog_sync"] = None
    record["api_address"] = client.address
    record["errors"] = errors
    return record
