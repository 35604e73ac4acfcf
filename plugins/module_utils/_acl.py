# Copyright: consulsec.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure functions for Consul's ACL system: read replies, compare wanted with present state.

Nothing here talks to the network; the unit tests call these functions with replies
recorded from a real 1.8.7 server (tests/unit/fixtures/consul-1.8.7/acl-api/).

Measured on 1.8.7 and relied on here:
- reading a policy by a name that does not exist, or a token by an AccessorID that does
  not exist, answers ``403 ACL not found``, as an unknown token does; so a module first
  proves its own token works (``/v1/acl/token/self``), and only then reads "ACL not found"
  as "no such object";
- a second bootstrap answers ``403 Permission denied: ACL bootstrap no longer allowed
  (reset index: N)``; a server without ACLs answers ``401 ACL support disabled``.

Private module_utils: may change in any release.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from ._errors import ConsulInputError

GLOBAL_MANAGEMENT_ID = "00000000-0000-0000-0000-000000000001"
ANONYMOUS_ACCESSOR_ID = "00000000-0000-0000-0000-000000000002"
ACL_NOT_FOUND = "ACL not found"
RESET_INDEX = re.compile(r"reset index: (\d+)")


def check_uuid(value: str, what: str) -> str:
    """Consul's token IDs are UUIDs: refuse anything else with the fix."""
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        raise ConsulInputError(f"{what} must be a UUID (like the output of uuidgen); "
                               "the value given is not one") from None


def reset_index(refusal: str) -> int | None:
    """The reset index from a refused bootstrap's text, or None."""
    found = RESET_INDEX.search(refusal or "")
    return int(found.group(1)) if found else None


def reset_procedure(index: int | None, data_dir: str = "<data_dir>") -> str:
    """How an operator re-opens bootstrapping (Consul's reset procedure), in words."""
    number = str(index) if index is not None else "the reset index from the refusal"
    return (f"To bootstrap again, write {number} into {data_dir}/acl-bootstrap-reset on the "
            "leader (one line, the number only), then run again; the old management token "
            "stays valid until you delete it.")


def is_management(token: dict[str, Any] | None) -> bool:
    """Whether a token (a /v1/acl/token reply) carries the global-management policy."""
    if not isinstance(token, dict):
        return False
    return any(p.get("ID") == GLOBAL_MANAGEMENT_ID or p.get("Name") == "global-management"
               for p in token.get("Policies") or [] if isinstance(p, dict))


def _links_summary(item: dict[str, Any]) -> dict[str, Any]:
    """The policies and identities of a token or role, as the modules show them."""
    return {
        "policies": sorted(p.get("Name", "") for p in item.get("Policies") or []),
        "node_identities": sorted(
            ({"node_name": n.get("NodeName"), "datacenter": n.get("Datacenter")}
             for n in item.get("NodeIdentities") or []),
            key=lambda n: (n["node_name"] or "", n["datacenter"] or "")),
        "service_identities": sorted(
            ({"service_name": s.get("ServiceName"), "datacenters": sorted(s.get("Datacenters") or [])}
             for s in item.get("ServiceIdentities") or []),
            key=lambda s: s["service_name"] or ""),
    }


def token_summary(token: dict[str, Any]) -> dict[str, Any]:
    """What may be shown of a token: never its SecretID."""
    return {
        "accessor_id": token.get("AccessorID"),
        "description": token.get("Description", ""),
        **_links_summary(token),
        "roles": sorted(r.get("Name", "") for r in token.get("Roles") or []),
        "local": bool(token.get("Local")),
    }


def role_summary(role: dict[str, Any]) -> dict[str, Any]:
    return {"id": role.get("ID"), "name": role.get("Name"),
            "description": role.get("Description", ""), **_links_summary(role)}


def policy_body(name: str, rules: str, description: str = "",
                datacenters: list[str] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"Name": name, "Description": description, "Rules": rules}
    if datacenters:
        body["Datacenters"] = sorted(datacenters)
    return body


def _normal_rules(rules: str) -> str:
    return "\n".join(line.rstrip() for line in (rules or "").strip().splitlines())


def policy_changes(present: dict[str, Any], wanted: dict[str, Any]) -> list[str]:
    """The fields of a policy that differ (Rules compared without trailing blanks)."""
    changes = []
    if _normal_rules(present.get("Rules", "")) != _normal_rules(wanted.get("Rules", "")):
        changes.append("rules")
    if (present.get("Description") or "") != (wanted.get("Description") or ""):
        changes.append("description")
    if sorted(present.get("Datacenters") or []) != sorted(wanted.get("Datacenters") or []):
        changes.append("datacenters")
    return changes


# the module options of what a token or role grants (documented in doc_fragments/acl_links)
LINK_OPTIONS: dict[str, Any] = {
    "policies": {"type": "list", "elements": "str", "default": []},
    "node_identities": {"type": "list", "elements": "dict", "default": [], "options": {
        "node_name": {"type": "str", "required": True},
        "datacenter": {"type": "str", "required": True}}},
    "service_identities": {"type": "list", "elements": "dict", "default": [], "options": {
        "service_name": {"type": "str", "required": True},
        "datacenters": {"type": "list", "elements": "str", "default": []}}},
}


def _links(policies: list[str] | None, node_identities: list[dict[str, str]] | None,
           service_identities: list[dict[str, Any]] | None) -> dict[str, Any]:
    """The policies and identities of a token or role request."""
    return {
        "Policies": [{"Name": name} for name in sorted(policies or [])],
        "NodeIdentities": [{"NodeName": n["node_name"], "Datacenter": n["datacenter"]}
                           for n in node_identities or []],
        "ServiceIdentities": [
            {"ServiceName": s["service_name"], **({"Datacenters": sorted(s["datacenters"])}
                                                  if s.get("datacenters") else {})}
            for s in service_identities or []],
    }


def token_body(accessor_id: str, secret_id: str | None, description: str = "",
               policies: list[str] | None = None, roles: list[str] | None = None,
               node_identities: list[dict[str, str]] | None = None,
               service_identities: list[dict[str, Any]] | None = None,
               local: bool = False) -> dict[str, Any]:
    """A token request with caller-chosen IDs, so that a re-run finds the same token."""
    body: dict[str, Any] = {
        "AccessorID": check_uuid(accessor_id, "accessor_id"),
        "Description": description,
        **_links(policies, node_identities, service_identities),
        "Roles": [{"Name": name} for name in sorted(roles or [])],
        "Local": bool(local),
    }
    if secret_id:
        body["SecretID"] = check_uuid(secret_id, "secret_id")
    return body


def token_changes(present: dict[str, Any], wanted: dict[str, Any]) -> list[str]:
    """The fields of a token that differ. A SecretID cannot change in place: that is an
    error for the caller (delete the token, or give the secret it has)."""
    if wanted.get("SecretID") and present.get("SecretID") not in (None, "", "<hidden>") and \
            present["SecretID"] != wanted["SecretID"]:
        raise ConsulInputError(
            f"token {present.get('AccessorID')} exists with another secret: Consul cannot change "
            "a token's SecretID; give the secret it has, or remove the token (state=absent) first")
    have, want = token_summary(present), token_summary(wanted)
    return [key for key in ("description", "policies", "roles", "node_identities",
                            "service_identities", "local") if have[key] != want[key]]


def role_body(name: str, description: str = "", policies: list[str] | None = None,
              node_identities: list[dict[str, str]] | None = None,
              service_identities: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"Name": name, "Description": description,
            **_links(policies, node_identities, service_identities)}


def role_changes(present: dict[str, Any], wanted: dict[str, Any]) -> list[str]:
    """The fields of a role that differ."""
    have, want = role_summary(present), role_summary(wanted)
    return [key for key in ("description", "policies", "node_identities", "service_identities")
            if have[key] != want[key]]


def find_intention(intentions: list[dict[str, Any]] | None, source: str,
                   destination: str) -> dict[str, Any] | None:
    """The intention from ``source`` to ``destination`` (names, default namespace)."""
    for intention in intentions or []:
        if intention.get("SourceName") == source and intention.get("DestinationName") == destination:
            return intention
    return None


def intention_body(source: str, destination: str, action: str, description: str = "",
                   meta: dict[str, str] | None = None) -> dict[str, Any]:
    if action not in ("allow", "deny"):
        raise ConsulInputError(f"action {action!r}: use allow or deny")
    return {"SourceName": source, "DestinationName": destination, "SourceType": "consul",
            "Action": action, "Description": description, "Meta": dict(meta or {})}


def intention_changes(present: dict[str, Any], wanted: dict[str, Any]) -> list[str]:
    changes = []
    for key, name in (("Action", "action"), ("Description", "description"), ("Meta", "meta")):
        if (present.get(key) or type(wanted[key])()) != wanted[key]:
            changes.append(name)
    return changes


def default_deny_refusal(security: dict[str, Any]) -> str | None:
    """Why a default-deny intention (* -> * deny) must not be written on an agent with this
    security state (consul_agent_info's ``security``), or None: the mesh checklist calls it
    meaningless while anyone may edit intentions, i.e. before ACLs deny by default."""
    if security.get("acl_enabled") and security.get("acl_default_policy") == "deny":
        return None
    return ("a default-deny intention (* -> * deny) is meaningless while anyone may edit "
            f"intentions, and this agent runs ACLs enabled={security.get('acl_enabled')} with "
            f"default_policy={security.get('acl_default_policy')}: turn ACLs to default deny "
            "first (role consulsec.hardening.acl), or set allow_without_acl_deny")
