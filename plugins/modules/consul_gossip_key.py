#!/usr/bin/python
# Copyright: consulsec.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: consul_gossip_key
short_description: Create a Consul gossip encryption key once and keep it, or check a given one
version_added: 0.1.0
description:
  - Returns the gossip key to use. A key given in O(key) is checked (base64 of 16, 24 or
    32 bytes; anything else is refused with the reason). Without one, a key is generated
    (32 random bytes, base64, as C(consul keygen) makes).
  - With O(path), the key is kept in that file (mode 0600, created exclusively) and read
    from it on every later run, so a re-run never makes a new key. A file holding another
    key than O(key) is an error, not a replacement.
  - B(The result carries the key), so run the task with C(no_log=true). Run it on the
    controller (C(delegate_to=localhost), C(run_once=true)) to keep the file there.
author:
  - consulsec.hardening developers (@consulsec)
attributes:
  check_mode:
    support: full
    description: In check mode a new key is generated and returned but no file is written.
  diff_mode:
    support: none
    description: The key never goes into a diff.
  idempotent:
    support: full
    description: With O(path) the same key comes back on every run.
options:
  key:
    description:
      - A key to use, for example the one the cluster already has.
    type: str
  path:
    description:
      - File that keeps the key. Read when it exists; written (mode 0600) when the key is
        new. Its directory must exist.
      - Without O(path), O(key) is required (a generated key would be lost).
    type: path
  local_keyring:
    description:
      - Path of an agent's C(serf/local.keyring) (in its data dir) to judge against the
        key; run on the agent's host. Consul loads that file on start and then ignores
        C(encrypt), so a stale file silently wins. See RV(keyring).
    type: path
  gossip_encrypted:
    description:
      - Whether the agent encrypts gossip now (consul_agent_info's
        C(security.gossip_encrypted)); used with O(local_keyring).
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: Get the cluster's gossip key, created once on the controller
  consulsec.hardening.consul_gossip_key:
    path: "{{ playbook_dir }}/secrets/consul-gossip.key"
  delegate_to: localhost
  run_once: true
  no_log: true
  register: gossip_key

- name: Check a key from a vault
  consulsec.hardening.consul_gossip_key:
    key: "{{ vault_consul_gossip_key }}"
  delegate_to: localhost
  run_once: true
  no_log: true
"""

RETURN = r"""
key:
  description: The key. Run the task with C(no_log).
  returned: success
  type: str
fingerprint:
  description: A name for the key that does not reveal it (C(sha256:) and 16 hex digits),
    the same as consul_agent_info's keyring summary shows.
  returned: success
  type: str
  sample: sha256:0123456789abcdef
source:
  description: Where the key came from.
  returned: success
  type: str
  choices: [file, given, generated]
keyring:
  description:
    - With O(local_keyring), what to do with that file before the agent gets the key,
      C(verdict) and C(why). C(none) (no file), C(keep) (it holds the key),
      C(move_aside) (stale, the agent does not encrypt gossip), C(conflict) (the agent
      encrypts with other keys; give the cluster's key instead).
    - C(keys), how many keys the file holds, and C(primary), whether the key is its first,
      the one the agent encrypts with (Consul writes the primary key first).
  returned: when O(local_keyring) is given
  type: dict
  sample:
    verdict: none
    why: no local keyring file
    keys: 0
    primary: false
"""

import json
import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.consulsec.hardening.plugins.module_utils._agent_state import (
    key_fingerprint as fingerprint,
)
from ansible_collections.consulsec.hardening.plugins.module_utils._errors import ConsulInputError
from ansible_collections.consulsec.hardening.plugins.module_utils._files import create_exclusive
from ansible_collections.consulsec.hardening.plugins.module_utils._module import run_local
from ansible_collections.consulsec.hardening.plugins.module_utils._gossip_key import (
    check_key,
    generate_key,
    keyring_file_verdict,
)


def read_keyring_file(path: str) -> list | None:
    """Keys in an agent's serf/local.keyring (a JSON list), or None when there is none."""
    if not os.path.exists(path):
        return None
    with open(path, encoding="ascii", errors="replace") as handle:
        try:
            keys = json.load(handle)
        except ValueError:
            raise ConsulInputError(f"{path} is not the JSON list of keys Consul writes; "
                                   "look at it before going on") from None
    if not isinstance(keys, list):
        raise ConsulInputError(f"{path} is not the JSON list of keys Consul writes")
    return [str(k) for k in keys]


def run(module: AnsibleModule) -> dict:
    result = key_result(module)
    if module.params["local_keyring"]:
        keys = read_keyring_file(module.params["local_keyring"])
        result["keyring"] = keyring_file_verdict(keys, result["key"],
                                                 module.params["gossip_encrypted"])
        # Consul writes the primary key first (measured on 1.8.7)
        result["keyring"].update(keys=len(keys or []), primary=bool(keys) and keys[0] == result["key"])
    return result


def key_result(module: AnsibleModule) -> dict:
    given, path = module.params["key"], module.params["path"]
    if given is not None:
        given = check_key(given, "key")
    if path and os.path.exists(path):
        with open(path, encoding="ascii", errors="replace") as handle:
            kept = check_key(handle.read(), f"the key in {path}")
        if given is not None and given != kept:
            raise ConsulInputError(
                f"{path} holds another key ({fingerprint(kept)}) than the one given "
                f"({fingerprint(given)}): a key is kept once created. Give the same key, or "
                "move the file away if the cluster does not use its key yet")
        return {"changed": False, "key": kept, "fingerprint": fingerprint(kept), "source": "file"}
    if not path and given is None:
        raise ConsulInputError("give the key, or a path to keep a generated key in: a key "
                               "generated without a path would be lost, and a re-run would "
                               "make another")
    key, source = (given, "given") if given is not None else (generate_key(), "generated")
    changed = False
    if path:
        if not os.path.isdir(os.path.dirname(os.path.abspath(path))):
            raise ConsulInputError(f"the directory of {path} does not exist")
        changed = True
        if not module.check_mode:
            create_exclusive(path, (key + "\n").encode())
    return {"changed": changed, "key": key, "fingerprint": fingerprint(key), "source": source}


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "key": {"type": "str", "no_log": True},
            "path": {"type": "path"},
            "local_keyring": {"type": "path"},
            "gossip_encrypted": {"type": "bool", "default": False},
        },
        supports_check_mode=True,
    )
    run_local(module, run)


if __name__ == "__main__":
    main()
