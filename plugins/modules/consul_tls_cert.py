#!/usr/bin/python
# Copyright: consulsec.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: consul_tls_cert
short_description: Issue a Consul agent certificate from a CA, and keep it while it is fit
version_added: 0.2.0
description:
  - Issues an agent certificate and key signed by a CA (for example one made by
    M(consulsec.hardening.consul_tls_ca)). A server certificate names
    C(server.<datacenter>.<domain>) (what C(verify_server_hostname) checks), a client
    certificate C(client.<datacenter>.<domain>); both name C(localhost) and C(127.0.0.1)
    and the host names and addresses given, and carry the serverAuth and clientAuth
    extended key usages (an agent is TLS server and client).
  - An existing certificate is kept when it is fit - signed by the CA, its key matches,
    valid now and for at least O(min_days_left) more days, with every name asked for.
    Otherwise it is re-issued (with a new key), or with O(reissue=false) the module fails
    and says what is wrong.
  - The key is written with O(key_mode) (0600 by default) and never returned.
author:
  - consulsec.hardening developers (@consulsec)
requirements:
  - cryptography
attributes:
  check_mode:
    support: full
    description: In check mode nothing is written; C(changed) and RV(reasons) say what
      would be issued and why.
  diff_mode:
    support: none
    description: Key material never goes into a diff.
  idempotent:
    support: full
    description: A fit certificate is kept as it is.
options:
  ca_cert_path:
    description: The CA certificate (PEM).
    type: path
    required: true
  ca_key_path:
    description: The CA private key (PEM, unencrypted). Only read, and only to sign.
    type: path
    required: true
  cert_path:
    description: The agent certificate (PEM), written with mode 0644.
    type: path
    required: true
  key_path:
    description: The agent private key (PEM), written with O(key_mode).
    type: path
    required: true
  role:
    description: C(server) or C(client) certificate.
    type: str
    choices: [server, client]
    required: true
  datacenter:
    description: The agent's datacenter.
    type: str
    default: dc1
  domain:
    description: Consul's domain (C(domain) in the agent configuration).
    type: str
    default: consul
  dns_names:
    description: More DNS names, for example the host's own names.
    type: list
    elements: str
    default: []
  ip_addresses:
    description: More IP addresses, for example the address HTTPS clients use.
    type: list
    elements: str
    default: []
  days:
    description: Validity of a new certificate.
    type: int
    default: 365
  min_days_left:
    description: A certificate valid for fewer days than this is re-issued.
    type: int
    default: 30
  reissue:
    description: Re-issue a certificate that is not fit. With V(false) such a certificate
      makes the module fail, naming what is wrong.
    type: bool
    default: true
  algorithm:
    description: The key type of a new certificate.
    type: str
    choices: [ec, rsa]
    default: ec
  key_size:
    description: EC curve size (256 or 384) or RSA bits (2048 or more). Default 256 for
      EC, 2048 for RSA.
    type: int
  key_mode:
    description: Mode of the key file; V(0640) lets the agent's group read it.
    type: str
    choices: ['0600', '0640']
    default: '0600'
  owner:
    description: Owner of the certificate and key files (default the user running the module).
    type: str
  group:
    description: Group of the certificate and key files.
    type: str
"""

EXAMPLES = r"""
- name: Issue each server's certificate on the controller
  consulsec.hardening.consul_tls_cert:
    ca_cert_path: "{{ playbook_dir }}/pki/consul-agent-ca.pem"
    ca_key_path: "{{ playbook_dir }}/pki/consul-agent-ca-key.pem"
    cert_path: "{{ playbook_dir }}/pki/{{ inventory_hostname }}.pem"
    key_path: "{{ playbook_dir }}/pki/{{ inventory_hostname }}-key.pem"
    role: server
    datacenter: dc1
    dns_names: ["{{ inventory_hostname }}"]
    ip_addresses: ["{{ ansible_default_ipv4.address }}"]
  delegate_to: localhost
"""

RETURN = r"""
reasons:
  description: Why the certificate was (or would be) issued; empty when it was kept.
  returned: success
  type: list
  elements: dict
  sample:
    - code: missing_names
      problem: does not name server.dc1.consul (it names localhost, 127.0.0.1)
info:
  description: Subject, names, validity and fingerprint of the certificate now in place.
  returned: success, unless a certificate would be issued in check mode
  type: dict
"""

import grp
import os
import pwd

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.consulsec.hardening.plugins.module_utils import _tls as tls
from ansible_collections.consulsec.hardening.plugins.module_utils._errors import ConsulInputError
from ansible_collections.consulsec.hardening.plugins.module_utils._module import require_library, run_local
from ansible_collections.consulsec.hardening.plugins.module_utils._files import (
    read_optional,
    write_atomic,
)


def current_problems(params: dict, ca: object, names: dict) -> list[dict]:
    """What is wrong with the certificate in place (a missing one is a problem too)."""
    cert_data = read_optional(params["cert_path"])
    key_data = read_optional(params["key_path"])
    if cert_data is None or key_data is None:
        missing = params["cert_path"] if cert_data is None else params["key_path"]
        return [{"code": "missing", "problem": f"{missing} does not exist"}]
    try:
        cert = tls.load_cert(cert_data, params["cert_path"])
        key = tls.load_key(key_data, params["key_path"])
    except ConsulInputError as exc:
        return [{"code": "unreadable", "problem": str(exc)}]
    return tls.cert_problems(cert, cas=[ca], key=key, names=names,
                             min_days_left=params["min_days_left"])


def set_ownership(module: AnsibleModule, paths: list[str]) -> bool:
    """Owner and group as asked; whether anything changed."""
    owner, group = module.params["owner"], module.params["group"]
    changed = False
    for path in paths:
        stat = os.stat(path)
        uid = pwd.getpwnam(owner).pw_uid if owner else -1
        gid = grp.getgrnam(group).gr_gid if group else -1
        if (uid != -1 and stat.st_uid != uid) or (gid != -1 and stat.st_gid != gid):
            changed = True
            if not module.check_mode:
                os.chown(path, uid, gid)
    return changed


def set_key_mode(module: AnsibleModule) -> bool:
    wanted = int(module.params["key_mode"], 8)
    path = module.params["key_path"]
    if os.stat(path).st_mode & 0o7777 == wanted:
        return False
    if not module.check_mode:
        os.chmod(path, wanted)
    return True


def run(module: AnsibleModule) -> dict:
    params = module.params
    ca_data = read_optional(params["ca_cert_path"])
    if ca_data is None and module.check_mode:
        # a CA that a real run would make first (consul_tls_ca) does not exist in check mode
        return {"changed": True, "reasons": [{
            "code": "missing",
            "problem": f"the CA {params['ca_cert_path']} does not exist yet: the certificate "
                       "would be issued once it does"}]}
    ca_cert = tls.load_cert(ca_data or b"", params["ca_cert_path"])
    ca_key = tls.load_key(read_optional(params["ca_key_path"]) or b"", params["ca_key_path"])
    names = tls.agent_names(params["role"], params["datacenter"], params["domain"],
                            params["dns_names"], params["ip_addresses"])
    problems = current_problems(params, ca_cert, names)
    if problems and not params["reissue"]:
        raise ConsulInputError(f"{params['cert_path']} is not fit: "
                               + "; ".join(p["problem"] for p in problems)
                               + ". Re-issue it (reissue=true) or replace it")
    if problems:
        size = params["key_size"] or (256 if params["algorithm"] == "ec" else 2048)
        key = tls.new_key(params["algorithm"], size)
        cert = tls.build_agent_cert(ca_cert, ca_key, key, params["role"], names, params["days"])
        if module.check_mode:
            return {"changed": True, "reasons": problems}
        write_atomic(params["key_path"], tls.key_pem(key), int(params["key_mode"], 8))
        write_atomic(params["cert_path"], tls.cert_pem(cert), 0o644)
    changed = bool(problems)
    changed = set_key_mode(module) or changed
    changed = set_ownership(module, [params["cert_path"], params["key_path"]]) or changed
    cert = tls.load_cert(read_optional(params["cert_path"]) or b"", params["cert_path"])
    return {"changed": changed, "reasons": problems, "info": tls.describe(cert)}


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "ca_cert_path": {"type": "path", "required": True},
            "ca_key_path": {"type": "path", "required": True, "no_log": False},
            "cert_path": {"type": "path", "required": True},
            "key_path": {"type": "path", "required": True, "no_log": False},
            "role": {"type": "str", "choices": ["server", "client"], "required": True},
            "datacenter": {"type": "str", "default": "dc1"},
            "domain": {"type": "str", "default": "consul"},
            "dns_names": {"type": "list", "elements": "str", "default": []},
            "ip_addresses": {"type": "list", "elements": "str", "default": []},
            "days": {"type": "int", "default": 365},
            "min_days_left": {"type": "int", "default": 30},
            "reissue": {"type": "bool", "default": True},
            "algorithm": {"type": "str", "choices": ["ec", "rsa"], "default": "ec"},
            "key_size": {"type": "int"},
            "key_mode": {"type": "str", "choices": ["0600", "0640"], "default": "0600"},
            "owner": {"type": "str"},
            "group": {"type": "str"},
        },
        supports_check_mode=True,
    )
    require_library(module, tls.CRYPTOGRAPHY_IMPORT_ERROR, "cryptography")
    run_local(module, run, (ConsulInputError, OSError, KeyError))


if __name__ == "__main__":
    main()
