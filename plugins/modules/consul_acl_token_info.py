#!/usr/bin/python
# Copyright: consulsec.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: consul_acl_token_info
short_description: Tell whether a Consul ACL token exists, and what it grants, without showing it
version_added: 0.3.0
description:
  - Asks the servers about one token (O(secret), or the connection's O(token)) through
    C(/v1/acl/token/self) and reports whether ACLs are on, whether the token exists, and
    its policies and identities. The secret never appears in the result.
  - Read-only.
author:
  - consulsec.hardening developers (@consulsec)
extends_documentation_fragment:
  - consulsec.hardening.connection
  - consulsec.hardening.attributes
  - consulsec.hardening.attributes.READ_ONLY
options:
  secret:
    description: The token to ask about; the connection's O(token) when not given.
    type: str
"""

EXAMPLES = r"""
- name: Does the token we keep work yet?
  consulsec.hardening.consul_acl_token_info:
    secret: "{{ observer_secret }}"
  register: observer
"""

RETURN = r"""
acl_enabled:
  description: Whether the servers run ACLs (V(false) when they answer "ACL support disabled").
  returned: success
  type: bool
exists:
  description: Whether the servers know the token.
  returned: success
  type: bool
management:
  description: Whether the token carries the global-management policy.
  returned: success
  type: bool
acl_token:
  description: The token without its secret (C(accessor_id), C(description), C(policies),
    C(roles), C(node_identities), C(service_identities), C(local)); V(null) when it does
    not exist.
  returned: success
  type: dict
"""

from ansible_collections.consulsec.hardening.plugins.module_utils._acl import (
    ACL_NOT_FOUND,
    is_management,
    token_summary,
)
from ansible_collections.consulsec.hardening.plugins.module_utils._acl_api import token_self
from ansible_collections.consulsec.hardening.plugins.module_utils._errors import ConsulApiError
from ansible_collections.consulsec.hardening.plugins.module_utils._module import ConsulModule


def run(module: ConsulModule) -> dict:
    client = module.client()
    status, reply = token_self(client, token=module.params["secret"])
    if status == 401:
        return {"changed": False, "acl_enabled": False, "exists": False, "management": False,
                "acl_token": None}
    if status == 403:
        if not (isinstance(reply, str) and ACL_NOT_FOUND in reply):
            raise ConsulApiError(client.address, "/v1/acl/token/self", status, str(reply))
        return {"changed": False, "acl_enabled": True, "exists": False, "management": False,
                "acl_token": None}
    return {"changed": False, "acl_enabled": True, "exists": True, "management": is_management(reply),
            "acl_token": token_summary(reply)}


def main() -> None:
    module = ConsulModule(
        argument_spec={"secret": {"type": "str", "no_log": True}},
        supports_check_mode=True,
    )
    module.run(run)


if __name__ == "__main__":
    main()
