#!/usr/bin/python
# Copyright: consulsec.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: consul_fragment
short_description: Write one configuration fragment into a Consul agent's config dir, only once consul validate accepts it
version_added: 0.4.0
description:
  - Compares the fragment with the file in the agent's configuration directory (contents,
    owner, group, mode). When the contents differ, stages the new fragment under its own
    name in a private temporary directory, runs C(consul validate) on the configuration
    directory together with it, and only when that passes replaces the file in one rename
    (readers see the old file or the new one, whole). A fragment that does not validate is
    never written, so nothing needs restoring.
  - The staging is needed because C(consul validate) skips a file without a C(.json) or
    C(.hcl) extension and still says it is valid.
  - The contents may hold secrets (a gossip key, a token); they are never returned or
    shown in a diff.
  - Role C(consulsec.hardening.consul)'s C(write_fragment.yml), which every role of the
    collection writes its fragments with, is this one task.
author:
  - consulsec.hardening developers (@consulsec)
attributes:
  check_mode:
    support: full
    description: Says whether the fragment would change; validates and writes nothing.
  diff_mode:
    support: none
    description: The contents may hold secrets and never go into a diff.
  idempotent:
    support: full
    description: A fragment already in place with its owner, group and mode is left alone.
options:
  config_dir:
    description: The agent's configuration directory.
    type: path
    required: true
  name:
    description:
      - The fragment's file name in O(config_dir), with the extension Consul reads it by
        (C(.json) or C(.hcl)).
    type: str
    required: true
  content:
    description:
      - The fragment's text, written as given (the roles render it with
        C(to_nice_json)). May hold secrets.
    type: str
    required: true
  owner:
    description: The file's owner.
    type: str
  group:
    description: The file's group.
    type: str
  mode:
    description: The file's mode, as octal digits in a string (V("0640")).
    type: str
    default: "0640"
  consul_binary:
    description: The C(consul) binary that validates.
    type: path
    default: consul
"""

EXAMPLES = r"""
- name: Write the gossip fragment once consul validate accepts it
  consulsec.hardening.consul_fragment:
    config_dir: /etc/consul.d
    name: 50-consulsec-gossip.json
    content: "{{ {'encrypt': gossip_key} | to_nice_json }}\n"
    owner: consul
    group: consul
    mode: "0640"
    consul_binary: /usr/bin/consul
"""

RETURN = r"""
path:
  description: The fragment's path.
  returned: always
  type: str
  sample: /etc/consul.d/50-consulsec-gossip.json
content_changed:
  description: Whether the contents differ(ed) from the file's (a change of owner, group or mode alone is not one).
  returned: always
  type: bool
  sample: true
validated:
  description: Whether C(consul validate) ran and accepted the directory with the new contents.
  returned: always
  type: bool
  sample: true
"""

import os
import shutil
import tempfile

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.consulsec.hardening.plugins.module_utils._errors import ConsulInputError
from ansible_collections.consulsec.hardening.plugins.module_utils._files import (
    create_exclusive,
    read_optional,
    write_atomic,
)
from ansible_collections.consulsec.hardening.plugins.module_utils._module import run_local


def validate(module: AnsibleModule, config_dir: str, name: str, data: bytes) -> None:
    """consul validate of the config dir together with the fragment, staged under its own
    name in a private temporary directory; raises what consul said when it refuses."""
    stage = tempfile.mkdtemp(prefix="consulsec-")
    try:
        staged = os.path.join(stage, name)
        create_exclusive(staged, data)
        argv = [module.params["consul_binary"], "validate", config_dir, staged]
        rc, out, err = module.run_command(argv)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    if rc != 0:
        raise ConsulInputError(
            f"consul validate refused {config_dir} with the new {name} (exit {rc}): "
            f"{(err + ' ' + out).strip()}. Nothing was written; fix the input or the other "
            "files of the config dir")


def run(module: AnsibleModule) -> dict:
    params = module.params
    try:
        mode = int(params["mode"], 8)
    except ValueError:
        raise ConsulInputError(f"mode {params['mode']!r} is not a file mode in octal digits, e.g. 0640") from None
    if not os.path.isdir(params["config_dir"]):
        raise ConsulInputError(f"the config dir {params['config_dir']} does not exist")
    path = os.path.join(params["config_dir"], params["name"])
    data = params["content"].encode()
    content_changed = read_optional(path) != data
    result = {"path": path, "content_changed": content_changed, "validated": False}
    if content_changed and not module.check_mode:
        validate(module, params["config_dir"], params["name"], data)
        result["validated"] = True
        write_atomic(path, data, mode)
    file_args = module.load_file_common_arguments(
        {"path": path, "owner": params["owner"], "group": params["group"], "mode": params["mode"]})
    # in check mode a file not written yet has none of them: the content change says it all
    attributes_changed = os.path.exists(path) and module.set_fs_attributes_if_different(file_args, False)
    result["changed"] = content_changed or attributes_changed
    return result


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "config_dir": {"type": "path", "required": True},
            "name": {"type": "str", "required": True},
            "content": {"type": "str", "required": True, "no_log": True},
            "owner": {"type": "str"},
            "group": {"type": "str"},
            "mode": {"type": "str", "default": "0640"},
            "consul_binary": {"type": "path", "default": "consul"},
        },
        supports_check_mode=True,
    )
    run_local(module, run)


if __name__ == "__main__":
    main()
