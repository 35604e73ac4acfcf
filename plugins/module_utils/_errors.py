# Copyright: consulsec.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Errors of the collection's Consul client: each says where, what came back, what to do.

Private module_utils: may change in any release.
"""

from __future__ import annotations

MAX_BODY = 500


def shorten(text: str, limit: int = MAX_BODY) -> str:
    text = (text or "").strip()
    return text if len(text) <= limit else text[:limit] + "... (cut)"


class ConsulError(Exception):
    """Base of every error this collection raises about a Consul agent."""


class ConsulInputError(ConsulError):
    """A module input is wrong; nothing was sent to any agent."""


class ConsulConnectionError(ConsulError):
    """The agent could not be reached (refused, timed out, TLS handshake failed)."""

    def __init__(self, address: str, endpoint: str, reason: str, hint: str) -> None:
        self.address = address
        self.endpoint = endpoint
        self.reason = reason
        self.hint = hint
        super().__init__(f"{address}{endpoint}: {reason}. {hint}")


class ConsulApiError(ConsulError):
    """The agent answered with a status the caller did not accept."""

    def __init__(self, address: str, endpoint: str, status: int, body: str,
                 hint: str | None = None) -> None:
        self.address = address
        self.endpoint = endpoint
        self.status = status
        self.body = shorten(body)
        super().__init__(
            f"{address}{endpoint} answered HTTP {status}: {self.body or '(empty body)'}. "
            f"{hint or api_error_hint(status, self.body)}"
        )


def api_error_hint(status: int, body: str) -> str:
    """What an operator should check for a given error reply."""
    lowered = body.lower()
    if status == 403:
        if "acl not found" in lowered:
            return ("The token is unknown to this agent, or ACLs are being enabled and no "
                    "ACL-enabled server leads yet: check the token (token / CONSUL_HTTP_TOKEN).")
        return ("Permission denied: ACLs are on and the token (or the anonymous token) lacks "
                "the right; set token / CONSUL_HTTP_TOKEN to a token with the needed policy.")
    if status == 500 and "no cluster leader" in lowered:
        return ("The cluster has no leader: quorum may be lost (fewer than half of the servers "
                "alive) or an election is under way; check the servers.")
    if status == 500 and "nodes reported success" in lowered:
        return ("Not every node answered the keyring query in time; those that did carried the "
                "operation out. Check that every agent is running and not starved of CPU, "
                "then run again: a keyring operation is safe to repeat.")
    if status == 500 and "legacy mode" in lowered:
        return ("ACLs are on but this agent has not left legacy ACL mode yet: it does once every "
                "server runs with ACLs enabled and it has seen so (up to about 30 s later). Wait "
                "for it (consul_wait's acl_mode: enabled) and run again; check that every server "
                "has acl.enabled if it does not come.")
    if status == 500 and "keyring is empty" in lowered:
        return "Gossip encryption is not enabled on this cluster."
    if status == 500 and "must run against a server" in lowered:
        return "This endpoint needs a server agent; ask a server."
    if status == 400 and "http request to an https server" in lowered:
        return "The agent serves HTTPS on this port: use an https:// address."
    if status == 404:
        return "This agent version may not have this endpoint; check the Consul version."
    if status == 429:
        return "The agent refuses because of rate limits or reports an unhealthy state."
    return "Check the agent's log for the cause."
