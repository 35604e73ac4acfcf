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

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.consulsec.hardening.plugins.module_utils._fragment import FRAGMENT_ARGSPEC, write_fragment
from ansible_collections.consulsec.hardening.plugins.module_utils._module import run_local


def main() -> None:
    module = AnsibleModule(argument_spec=dict(FRAGMENT_ARGSPEC), supports_check_mode=True)
    run_local(module, lambda m: write_fragment(m, m.params, m.check_mode))


if __name__ == "__main__":
    main()
