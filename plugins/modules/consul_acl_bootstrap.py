#!/usr/bin/python
# Copyright: consulsec.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: consul_acl_bootstrap
short_description: Bootstrap Consul's ACL system once, with a management secret chosen beforehand
version_added: 0.3.0
description:
  - Makes sure the cluster's ACL system is bootstrapped B(and) that the management secret
    this run holds works. The secret is chosen before bootstrapping (O(secret), or
    generated and written to O(secret_file) first), so a lost reply cannot lose it.
  - Consul 1.13 and later take the chosen secret as the bootstrap token's secret
    (C(BootstrapSecret)). Older servers (1.8.7 measured) ignore it and answer with a secret
    of their own; the module then at once creates a management token with the chosen
    secret, using the reply's, and deletes the bootstrap token, so the chosen secret is
    the one that remains. Only a failure between those two requests leaves a token nobody
    holds; the module then says how to reset.
  - Already bootstrapped and the held secret works as a management token - nothing to do
    (V(changed=false)). Already bootstrapped but the held secret does not work (someone
    else bootstrapped, or the secret was lost) - an B(error), with Consul's reset procedure
    (the reset index goes into C(acl-bootstrap-reset) in the leader's data dir); the module
    never resets on its own.
  - The secret never appears in the result or the logs.
author:
  - consulsec.hardening developers (@consulsec)
extends_documentation_fragment:
  - consulsec.hardening.connection
attributes:
  check_mode:
    support: full
    description: Reports whether it would bootstrap (also while ACLs are still off); writes
      nothing, sends no write.
  diff_mode:
    support: none
    description: Secrets never go into a diff.
  idempotent:
    support: full
    description: A bootstrapped cluster whose held secret works is left alone.
options:
  secret:
    description:
      - The management secret to hold (a UUID), e.g. from a vault. Takes precedence over
        O(secret_file).
    type: str
  secret_file:
    description:
      - File on the host that runs the module (the controller, with C(delegate_to)) that
        keeps the management secret, mode 0600. Read when it exists; otherwise a secret is
        generated and written there before bootstrapping.
      - One of O(secret) and O(secret_file) is required.
    type: path
  data_dir:
    description: The servers' data dir, named in the reset procedure of an error message.
    type: str
    default: <data_dir>
notes:
  - Point O(http_addr) at a server, or at any agent (requests are forwarded to the leader).
"""

EXAMPLES = r"""
- name: Bootstrap the ACL system, the management secret kept on the controller
  consulsec.hardening.consul_acl_bootstrap:
    http_addr: http://server1.example:8500
    secret_file: "{{ playbook_dir }}/secrets/consul-management.token"
  delegate_to: localhost
  run_once: true
"""

RETURN = r"""
bootstrapped_now:
  description: Whether this run bootstrapped the ACL system.
  returned: success
  type: bool
accessor_id:
  description: AccessorID of the management token the held secret belongs to (not a secret).
  returned: success, unless in check mode before bootstrapping
  type: str
secret_kept_by:
  description: V(consul) when the server took the chosen secret as bootstrap secret,
    V(token) when the server chose its own and a management token with the chosen
    secret replaced the bootstrap token.
  returned: when bootstrapped_now
  type: str
"""

import os
import uuid

from ansible_collections.consulsec.hardening.plugins.module_utils._acl import (
    GLOBAL_MANAGEMENT_ID,
    check_uuid,
    is_management,
    reset_index,
    reset_procedure,
)
from ansible_collections.consulsec.hardening.plugins.module_utils._acl_api import (
    ACL_DISABLED_HINT,
    token_self,
)
from ansible_collections.consulsec.hardening.plugins.module_utils._errors import (
    ConsulApiError,
    ConsulInputError,
)
from ansible_collections.consulsec.hardening.plugins.module_utils._files import read_optional, write_atomic
from ansible_collections.consulsec.hardening.plugins.module_utils._module import ConsulModule

BOOTSTRAP = "/v1/acl/bootstrap"


def held_secret(module: ConsulModule) -> tuple[str, bool]:
    """(the secret to hold, whether it was generated now and must be written)."""
    if module.params["secret"]:
        return check_uuid(module.params["secret"], "secret"), False
    path = module.params["secret_file"]
    data = read_optional(path)
    if data is not None:
        return check_uuid(data.decode(errors="replace").strip(), f"the secret in {path}"), False
    return str(uuid.uuid4()), True


def keep(module: ConsulModule, secret: str) -> None:
    path = module.params["secret_file"]
    if os.path.exists(path):
        raise ConsulInputError(f"{path} appeared while bootstrapping; not overwritten")
    write_atomic(path, (secret + "\n").encode(), 0o600)


def run(module: ConsulModule) -> dict:
    client = module.client()
    secret, generated = held_secret(module)
    status, reply = token_self(client, token=secret)
    if status == 401:
        if module.check_mode:  # e.g. a check run of a role that turns ACLs on first
            return {"changed": True, "bootstrapped_now": True,
                    "msg": "ACLs are off: would bootstrap once they are on"}
        raise ConsulApiError(client.address, "/v1/acl/token/self", status, str(reply), ACL_DISABLED_HINT)
    if status == 200:
        if not is_management(reply):
            raise ConsulInputError(
                f"the held secret belongs to token {reply.get('AccessorID')}, which is not a "
                "management token: give the management secret")
        return {"changed": False, "bootstrapped_now": False, "accessor_id": reply.get("AccessorID")}
    if module.check_mode:
        return {"changed": True, "bootstrapped_now": True,
                "msg": "would bootstrap the ACL system, unless another holder did already"}
    if generated:
        keep(module, secret)  # before bootstrapping: a lost reply cannot lose it
    status, reply = client.request("put", BOOTSTRAP, data={"BootstrapSecret": secret},
                                   accept=(200, 401, 403))
    if status == 401:
        raise ConsulApiError(client.address, BOOTSTRAP, status, str(reply), ACL_DISABLED_HINT)
    if status == 403:
        raise ConsulApiError(
            client.address, BOOTSTRAP, status, str(reply),
            "The ACL system is bootstrapped already, but the held secret is not a token the "
            "servers know: someone else bootstrapped it, or its secret was lost. "
            + reset_procedure(reset_index(str(reply)), module.params["data_dir"]))
    if reply.get("SecretID") == secret:
        return {"changed": True, "bootstrapped_now": True, "accessor_id": reply.get("AccessorID"),
                "secret_kept_by": "consul"}
    # an older server chose its own secret: make the chosen one a management token with it,
    # then remove the bootstrap token, which no one else holds
    created = client.request("put", "/v1/acl/token", token=reply["SecretID"], data={
        "SecretID": secret, "Description": "Management token (consulsec.hardening bootstrap)",
        "Policies": [{"ID": GLOBAL_MANAGEMENT_ID}]})[1]
    client.request("delete", f"/v1/acl/token/{reply['AccessorID']}", token=secret)
    return {"changed": True, "bootstrapped_now": True, "accessor_id": created.get("AccessorID"),
            "secret_kept_by": "token"}


def main() -> None:
    module = ConsulModule(
        argument_spec={
            "secret": {"type": "str", "no_log": True},
            "secret_file": {"type": "path"},
            "data_dir": {"type": "str", "default": "<data_dir>"},
        },
        required_one_of=[("secret", "secret_file")],
        supports_check_mode=True,
    )
    module.run(run)


if __name__ == "__main__":
    main()
