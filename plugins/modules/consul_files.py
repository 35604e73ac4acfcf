#!/usr/bin/python
# Copyright: consulsec.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: consul_files
short_description: Put several files on an agent's host in one module run, secrets never shown
version_added: 0.5.0
description:
  - Makes each directory of O(directories) that is missing, and puts each file of O(files) in
    place when its contents differ. A file is written through a temporary file created with
    the file's mode in the same directory, then renamed over it, so it is never readable by
    others, not even for a moment, and readers see the old file or the new one, whole. Then
    it sets owner, group and mode where they differ, on the directories and the files.
  - One module run for what would otherwise be two per file (a copy and its check) and one
    per directory. The role C(consulsec.hardening.tls) puts an agent's CA, certificate and
    key in place with it.
  - The contents may hold secrets (a private key); they are never returned or shown in a diff.
author:
  - consulsec.hardening developers (@consulsec)
attributes:
  check_mode:
    support: full
    description: Says what would change; makes and writes nothing.
  diff_mode:
    support: none
    description: The contents may hold secrets and never go into a diff.
  idempotent:
    support: full
    description: Files and directories already as asked are left alone.
options:
  directories:
    description: Directories to make when missing, with O(directory_mode), O(owner) and O(group).
    type: list
    elements: path
    default: []
  directory_mode:
    description: The directories' mode, as octal digits in a string.
    type: str
    default: "0750"
  files:
    description: The files, in order.
    type: list
    elements: dict
    default: []
    suboptions:
      path:
        description: Where the file goes; its directory must exist or be in O(directories).
        type: path
        required: true
      content:
        description: The file's text, written as given. May hold secrets.
        type: str
        required: true
      mode:
        description: The file's mode, as octal digits in a string.
        type: str
        default: "0640"
  owner:
    description: Owner of the directories and files.
    type: str
  group:
    description: Group of the directories and files.
    type: str
"""

EXAMPLES = r"""
- name: Put the agent's CA, certificate and key in place
  consulsec.hardening.consul_files:
    directories: [/etc/consul.d/tls]
    owner: consul
    group: consul
    files:
      - path: /etc/consul.d/tls/ca.pem
        content: "{{ lookup('ansible.builtin.file', 'pki/ca.pem', rstrip=false) }}"
        mode: "0644"
      - path: /etc/consul.d/tls/agent.pem
        content: "{{ lookup('ansible.builtin.file', 'pki/server1.pem', rstrip=false) }}"
        mode: "0644"
      - path: /etc/consul.d/tls/agent-key.pem
        content: "{{ lookup('ansible.builtin.file', 'pki/server1-key.pem', rstrip=false) }}"
        mode: "0640"
"""

RETURN = r"""
changed_paths:
  description: The directories and files made, written, or given another owner, group or mode.
  returned: always
  type: list
  elements: str
  sample: [/etc/consul.d/tls/agent.pem]
written:
  description: The files whose contents were (or, in check mode, would be) written.
  returned: always
  type: list
  elements: str
  sample: [/etc/consul.d/tls/agent.pem]
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.consulsec.hardening.plugins.module_utils._files import put_files
from ansible_collections.consulsec.hardening.plugins.module_utils._module import run_local


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "directories": {"type": "list", "elements": "path", "default": []},
            "directory_mode": {"type": "str", "default": "0750"},
            "files": {"type": "list", "elements": "dict", "default": [], "options": {
                "path": {"type": "path", "required": True},
                "content": {"type": "str", "required": True, "no_log": True},
                "mode": {"type": "str", "default": "0640"},
            }},
            "owner": {"type": "str"},
            "group": {"type": "str"},
        },
        supports_check_mode=True,
    )
    run_local(module, lambda m: put_files(m, m.params, m.check_mode))


if __name__ == "__main__":
    main()
