# Copyright: consulsec.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ACL endpoints the modules use, over the shared client (the I/O next to _acl).

Private module_utils: may change in any release.
"""

from __future__ import annotations

import re
from typing import Any, Callable

from ._acl import ACL_NOT_FOUND, check_uuid
from ._client import ConsulClient
from ._errors import ConsulApiError, ConsulInputError

NAME = re.compile(r"^[A-Za-z0-9_-]{1,128}$")
ACL_DISABLED_HINT = ("ACLs are off on the servers (acl.enabled): turn them on first, e.g. "
                     "with the role consulsec.hardening.acl")


def check_name(name: str, what: str = "name") -> str:
    if not NAME.match(name or ""):
        raise ConsulInputError(f"{what} {name!r}: use letters, digits, '-' and '_' only "
                               "(at most 128), as Consul requires")
    return name


def token_self(client: ConsulClient, token: str | None = None) -> tuple[int, Any]:
    """(status, reply) of /v1/acl/token/self for ``token`` (or the client's own token):
    200 with the token, 403 ACL not found for a token the servers do not know, 401 when
    ACLs are off."""
    return client.request("get", "/v1/acl/token/self", accept=(200, 401, 403), token=token)


def require_working_token(client: ConsulClient) -> dict[str, Any]:
    """The client's own token, proven to work; otherwise a clear error. Needed before
    reading objects, because 1.8.7 answers 'ACL not found' for missing objects too."""
    status, reply = token_self(client)
    if status == 200 and isinstance(reply, dict):
        return reply
    if status == 401:
        raise ConsulApiError(client.address, "/v1/acl/token/self", status, str(reply),
                             ACL_DISABLED_HINT)
    raise ConsulApiError(client.address, "/v1/acl/token/self", status, str(reply),
                         "The token given (token / CONSUL_HTTP_TOKEN) is not known to the "
                         "servers: give a token that exists (the management token for ACL changes).")


def read_or_none(client: ConsulClient, endpoint: str) -> dict[str, Any] | None:
    """An ACL object, or None where 1.8.7 says 'ACL not found' (the token was proven first;
    policies and tokens) or answers 404 (roles)."""
    status, reply = client.request("get", endpoint, accept=(200, 403, 404))
    if status == 404:
        return None
    if status == 403:
        if isinstance(reply, str) and ACL_NOT_FOUND in reply:
            return None
        raise ConsulApiError(client.address, endpoint, status, str(reply),
                             "The token may not read ACLs: use a token with acl = \"read\" or the "
                             "management token.")
    return reply


def read_policy(client: ConsulClient, name: str) -> dict[str, Any] | None:
    return read_or_none(client, f"/v1/acl/policy/name/{check_name(name, 'policy name')}")


def read_token(client: ConsulClient, accessor_id: str) -> dict[str, Any] | None:
    return read_or_none(client, f"/v1/acl/token/{check_uuid(accessor_id, 'accessor_id')}")


def read_role(client: ConsulClient, name: str) -> dict[str, Any] | None:
    return read_or_none(client, f"/v1/acl/role/name/{check_name(name, 'role name')}")


def writers_by_id(client: ConsulClient, base: str) -> tuple[Callable[[Any, Any], Any], Callable[[Any], None]]:
    """``keep``'s write and remove for ACL objects kept by ID under ``base``
    (/v1/acl/policy, /v1/acl/role): create with PUT on ``base``, update on ``base/ID``."""
    def write(present: dict[str, Any] | None, body: dict[str, Any]) -> Any:
        return client.request("put", f"{base}/{present['ID']}" if present else base, data=body)[1]

    def remove(present: dict[str, Any]) -> None:
        client.request("delete", f"{base}/{present['ID']}")

    return write, remove
