# Copyright: consulsec.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Ask one agent for its state and normalize it (the only I/O next to _agent_state).

Private module_utils: may change in any release.
"""

from __future__ import annotations

from typing import Any

from ._agent_state import agent_record
from ._client import ConsulClient
from ._errors import ConsulError

GATHER_CHOICES = ("autopilot", "raft", "keyring", "serf_health", "connect_roots", "services")
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
}
PARAMS = {"serf_health": {"filter": 'CheckID == "serfHealth"'}}


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
        # autopilot answers 429 with the same body when the cluster is not healthy
        accept = (200, 429) if part == "autopilot" else (200,)
        try:
            optional[part] = client.get(ENDPOINTS[part], params=PARAMS.get(part), accept=accept)
        except ConsulError as exc:
            errors[part] = str(exc)
    record = agent_record(agent_self, members, leader, **optional)
    record["api_address"] = client.address
    record["errors"] = errors
    return record
