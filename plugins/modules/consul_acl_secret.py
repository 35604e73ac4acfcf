#!/usr/bin/python
# Copyright: consulsec.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: consul_acl_secret
short_description: Make an ACL token secret (a UUID) once and keep it in a file
version_added: 0.3.0
description:
  - Returns the secret kept in O(path), or makes one (a random UUID, as Consul's own
    secrets are) and keeps it there (mode 0600, created exclusively). A re-run returns the
    same secret, so tokens created with it are found again and none is minted twice.
  - A secret given in O(secret) (e.g. from a vault) is checked and kept; a file holding
    another one is an error, never replaced.
  - B(The result carries the secret), so run the task with C(no_log=true). Run it on the
    controller (C(delegate_to=localhost)) to keep the file there.
author:
  - consulsec.hardening developers (@consulsec)
attributes:
  check_mode:
    support: full
    description: In check mode a new secret is made and returned but no file is written.
  diff_mode:
    support: none
    description: Secrets never go into a diff.
  idempotent:
    support: full
    description: The same secret comes back on every run.
options:
  path:
    description: The file that keeps the secret; its directory must exist.
    type: path
    required: true
  secret:
    description: A secret to keep (a UUID) instead of a new one.
    type: str
"""

EXAMPLES = r"""
- name: The agent recovery token's secret, made once on the controller
  consulsec.hardening.consul_acl_secret:
    path: "{{ playbook_dir }}/secrets/agent-recovery.token"
  delegate_to: localhost
  run_once: true
  no_log: true
  register: recovery
"""

RETURN = r"""
secret:
  description: The secret. Run the task with C(no_log).
  returned: success
  type: str
source:
  description: Where it came from.
  returned: success
  type: str
  choices: [file, given, generated]
"""

import os
import uuid

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.consulsec.hardening.plugins.module_utils._acl import check_uuid
from ansible_collections.consulsec.hardening.plugins.module_utils._errors import ConsulInputError
from ansible_collections.consulsec.hardening.plugins.module_utils._files import create_exclusive, read_optional
from ansible_collections.consulsec.hardening.plugins.module_utils._module import run_local


def run(module: AnsibleModule) -> dict:
    path, given = module.params["path"], module.params["secret"]
    if given is not None:
        given = check_uuid(given, "secret")
    kept = read_optional(path)
    if kept is not None:
        secret = check_uuid(kept.decode(errors="replace").strip(), f"the secret in {path}")
        if given is not None and given != secret:
            raise ConsulInputError(f"{path} keeps another secret than the one given: a secret is "
                                   "kept once made; give the same one, or move the file away")
        return {"changed": False, "secret": secret, "source": "file"}
    # in check mode the directory may be one an earlier task would have made
    if not module.check_mode and not os.path.isdir(os.path.dirname(os.path.abspath(path))):
        raise ConsulInputError(f"the directory of {path} does not exist")
    secret, source = (given, "given") if given is not None else (str(uuid.uuid4()), "generated")
    if not module.check_mode:
        create_exclusive(path, (secret + "\n").encode())
    return {"changed": True, "secret": secret, "source": source}


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "path": {"type": "path", "required": True},
            "secret": {"type": "str", "no_log": True},
        },
        supports_check_mode=True,
    )
    run_local(module, run)


if __name__ == "__main__":
    main()
