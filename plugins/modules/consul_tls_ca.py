#!/usr/bin/python
# Copyright: consulsec.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: consul_tls_ca
short_description: Create a CA for Consul's agent TLS once and keep it
version_added: 0.2.0
description:
  - Makes a self-signed CA (EC P-256 by default, or RSA) for signing Consul agent
    certificates with M(consulsec.hardening.consul_tls_cert), and keeps it. When the
    certificate and key exist they are checked (a CA certificate, the key belongs to it)
    and used as they are. A CA is never replaced by this module. Every agent trusts it,
    so changing it is a migration of its own.
  - The private key is written with mode 0600 and never returned. Run it on the
    controller (C(delegate_to=localhost), C(run_once=true)) to keep the key there.
  - Operators with their own CA skip this module and give its certificate to the roles.
author:
  - consulsec.hardening developers (@consulsec)
requirements:
  - cryptography
attributes:
  check_mode:
    support: full
    description: In check mode nothing is written; C(changed) says whether a CA would be made.
  diff_mode:
    support: none
    description: Key material never goes into a diff.
  idempotent:
    support: full
    description: An existing, usable CA is kept as it is.
options:
  cert_path:
    description: The CA certificate (PEM). Written with mode 0644 when the CA is made.
    type: path
    required: true
  key_path:
    description: The CA private key (PEM, unencrypted). Written with mode 0600.
    type: path
    required: true
  common_name:
    description: The CA's common name.
    type: str
    default: Consul Agent CA
  algorithm:
    description: The key type.
    type: str
    choices: [ec, rsa]
    default: ec
  key_size:
    description: EC curve size (256 or 384) or RSA bits (2048 or more). Default 256 for
      EC, 2048 for RSA.
    type: int
  days:
    description: How long a new CA is valid.
    type: int
    default: 1825
  min_days_left:
    description: An existing CA valid for fewer days than this is reported in
      the warnings (it is not replaced).
    type: int
    default: 90
"""

EXAMPLES = r"""
- name: Make the cluster's CA once, on the controller
  consulsec.hardening.consul_tls_ca:
    cert_path: "{{ playbook_dir }}/pki/consul-agent-ca.pem"
    key_path: "{{ playbook_dir }}/pki/consul-agent-ca-key.pem"
  delegate_to: localhost
  run_once: true
"""

RETURN = r"""
certificate:
  description: The CA certificate (PEM; public).
  returned: success, unless a CA would be made in check mode
  type: str
info:
  description: Subject, validity, fingerprint of the CA certificate.
  returned: success, unless a CA would be made in check mode
  type: dict
  sample:
    subject: CN=Consul Agent CA
    not_after: "2031-11-28T20:00:00+00:00"
    fingerprint: sha256:0123456789abcdef0123456789abcdef
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.consulsec.hardening.plugins.module_utils import _tls as tls
from ansible_collections.consulsec.hardening.plugins.module_utils._errors import ConsulInputError
from ansible_collections.consulsec.hardening.plugins.module_utils._module import require_library, run_local
from ansible_collections.consulsec.hardening.plugins.module_utils._files import (
    read_optional,
    write_atomic,
)


def existing_ca(module: AnsibleModule, cert_data: bytes, key_data: bytes | None) -> dict:
    cert_path, key_path = module.params["cert_path"], module.params["key_path"]
    cert = tls.load_cert(cert_data, cert_path)
    if key_data is None:
        raise ConsulInputError(f"{cert_path} exists but {key_path} does not: a CA without its "
                               "key cannot sign. Give the key's path, or move the certificate "
                               "away if no agent trusts it yet")
    key = tls.load_key(key_data, key_path)
    info = tls.describe(cert)
    if not info["is_ca"]:
        raise ConsulInputError(f"{cert_path} is not a CA certificate ({info['subject']})")
    if not tls.key_matches(cert, key):
        raise ConsulInputError(f"{key_path} is not the key of the CA in {cert_path}")
    problems = [p for p in tls.cert_problems(cert, min_days_left=module.params["min_days_left"])
                if p["code"] != "is_ca"]
    for problem in problems:
        if problem["code"] == "expired":
            raise ConsulInputError(f"the CA in {cert_path} {problem['problem']}: every "
                                   "certificate it signed is refused. Make a new CA and roll it out")
        module.warn(f"the CA in {cert_path} {problem['problem']}; plan a CA rotation")
    return {"changed": False, "certificate": tls.cert_pem(cert).decode(), "info": info}


def run(module: AnsibleModule) -> dict:
    params = module.params
    cert_data = read_optional(params["cert_path"])
    key_data = read_optional(params["key_path"])
    if cert_data is not None:
        return existing_ca(module, cert_data, key_data)
    if key_data is not None:
        raise ConsulInputError(f"{params['key_path']} exists without its certificate "
                               f"{params['cert_path']}: move it away or give the certificate")
    size = params["key_size"] or (256 if params["algorithm"] == "ec" else 2048)
    key = tls.new_key(params["algorithm"], size)
    cert = tls.build_ca(key, params["common_name"], params["days"])
    if module.check_mode:
        return {"changed": True}
    write_atomic(params["key_path"], tls.key_pem(key), 0o600)
    write_atomic(params["cert_path"], tls.cert_pem(cert), 0o644)
    return {"changed": True, "certificate": tls.cert_pem(cert).decode(), "info": tls.describe(cert)}


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "cert_path": {"type": "path", "required": True},
            "key_path": {"type": "path", "required": True, "no_log": False},
            "common_name": {"type": "str", "default": "Consul Agent CA"},
            "algorithm": {"type": "str", "choices": ["ec", "rsa"], "default": "ec"},
            "key_size": {"type": "int"},
            "days": {"type": "int", "default": 1825},
            "min_days_left": {"type": "int", "default": 90},
        },
        supports_check_mode=True,
    )
    require_library(module, tls.CRYPTOGRAPHY_IMPORT_ERROR, "cryptography")
    run_local(module, run)


if __name__ == "__main__":
    main()
