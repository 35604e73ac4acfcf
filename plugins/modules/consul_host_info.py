#!/usr/bin/python
# Copyright: consulsec.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: consul_host_info
short_description: What a Consul agent's host holds - its process user, its files with secrets
version_added: 0.4.0
description:
  - Reads, on the agent's host, what the audit's host controls judge and the hardening
    changes - the owners and modes of the configuration and data directories, of every
    configuration file (marked C(secret) when it sets a gossip key or a token, or is a
    private key) and of the data directory's files with secrets - and the user the running
    C(consul agent) process runs as (from C(/proc)).
  - A file is read only to tell whether it holds a secret; nothing of its contents is
    returned.
  - Given O(user), also says whether that user exists and which of the files the agent
    reads it could not read, to check before the agent is made to run as that user.
  - Read-only.
author:
  - consulsec.hardening developers (@consulsec)
extends_documentation_fragment:
  - consulsec.hardening.attributes.READ_ONLY
options:
  config_dir:
    description: The agent's configuration directory.
    type: path
    required: true
  data_dir:
    description: The agent's data directory.
    type: path
    required: true
  user:
    description:
      - A user to check the configuration against - the configuration directory and its
        subdirectories it must list and search, every file in them and every path of
        O(read_paths) it must read, every directory above them it must search.
    type: str
  group:
    description: The group the agent would run with (with O(user)); the user's own groups count too.
    type: str
  read_paths:
    description: More files the agent reads, e.g. its TLS files outside O(config_dir).
    type: list
    elements: path
    default: []
notes:
  - The agent process is the C(consul agent) that names O(config_dir) in its command line,
    or the only C(consul agent) on the host. Run the module with the rights to read
    C(/proc) and the configuration (become).
"""

EXAMPLES = r"""
- name: Read the agent's host
  consulsec.hardening.consul_host_info:
    config_dir: /etc/consul.d
    data_dir: /var/lib/consul
  register: consul_host

- name: Say who the agent runs as
  ansible.builtin.debug:
    msg: "{{ consul_host.security.agent_user }}"

- name: Check that the user consul could read the whole configuration
  consulsec.hardening.consul_host_info:
    config_dir: /etc/consul.d
    data_dir: /var/lib/consul
    user: consul
    group: consul
    read_paths: [/etc/ssl/consul/agent.pem, /etc/ssl/consul/agent-key.pem]
  register: consul_host_for_user
  failed_when: consul_host_for_user.unreadable | length > 0
"""

RETURN = r"""
config_dir:
  description: The configuration directory (C(path), C(mode) as an octal string, C(uid),
    C(gid), C(owner), C(group)); null when it does not exist.
  returned: success
  type: dict
data_dir:
  description: The data directory, as RV(config_dir).
  returned: success
  type: dict
files:
  description: Every configuration file, then the data directory's files with secrets
    (ACL tokens, keyrings), each as RV(config_dir) with C(secret) (true, false, or null when
    it could not be read).
  returned: success
  type: list
  elements: dict
process:
  description: The agent's process (C(pid), C(uid), C(euid), C(user), C(config_dirs)); null
    when none was found.
  returned: success
  type: dict
security:
  description: The host's part of the agent's security state, in the keys a migration phase
    of the collection's rolling-restart engine can expect (C(host_expect)).
  returned: success
  type: dict
  contains:
    agent_user:
      description: The name of the user the agent runs as (effective user); null when no
        process was found.
      type: str
      sample: consul
user:
  description: The user of O(user) (C(name), C(exists), C(uid), C(gids)).
  returned: when O(user) is given
  type: dict
unreadable:
  description: The paths the user of O(user) could not read or search (empty when it does
    not exist).
  returned: when O(user) is given
  type: list
  elements: str
  sample: [/etc/consul.d/tls/agent-key.pem]
"""

import grp
import pwd
from typing import Any

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.consulsec.hardening.plugins.module_utils._host_facts import (
    account,
    host_facts,
    host_security,
    name_of,
    needed_by_agent,
    unreadable,
)


def _named(entry: dict[str, Any] | None) -> dict[str, Any] | None:
    if entry is not None:
        entry.update(owner=name_of(pwd.getpwuid, entry["uid"]), group=name_of(grp.getgrgid, entry["gid"]))
    return entry


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "config_dir": {"type": "path", "required": True},
            "data_dir": {"type": "path", "required": True},
            "user": {"type": "str"},
            "group": {"type": "str"},
            "read_paths": {"type": "list", "elements": "path", "default": []},
        },
        supports_check_mode=True,
    )
    params = module.params
    facts = host_facts(params["config_dir"], params["data_dir"])
    for key in ("config_dir", "data_dir"):
        _named(facts[key])
    for entry in facts["files"]:
        _named(entry)
    security = host_security(facts["process"])
    if facts["process"] is not None:
        facts["process"]["user"] = security["agent_user"]
    result: dict[str, Any] = {"changed": False, **facts, "security": security}
    if params["user"]:
        user = account(params["user"], params["group"])
        result["user"] = user
        result["unreadable"] = (unreadable(needed_by_agent(params["config_dir"], params["read_paths"]),
                                           user["uid"], set(user["gids"])) if user["exists"] else [])
    module.exit_json(**result)


if __name__ == "__main__":
    main()
