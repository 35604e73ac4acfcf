#!/usr/bin/python
# Copyright: consulsec.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: consul_tls_material_info
short_description: Read an agent's TLS files without revealing its key
version_added: 0.2.0
description:
  - Reads the CA file, certificate and private key an agent uses (or will use), on the
    agent's host, and returns what is public - the CA and certificate PEMs and a
    fingerprint of the key's public part - for M(consulsec.hardening.consul_tls_preflight)
    to judge the whole cluster before any restart. The private key never leaves the
    module.
author:
  - consulsec.hardening developers (@consulsec)
requirements:
  - cryptography
extends_documentation_fragment:
  - consulsec.hardening.attributes.READ_ONLY
options:
  ca_file:
    description: The CA file (PEM, one or more certificates).
    type: path
    required: true
  cert_file:
    description:
      - The agent's certificate (PEM).
      - Leave it out for a client with C(auto_encrypt), which has no certificate of its
        own.
    type: path
  key_file:
    description: The agent's private key (PEM, unencrypted); with O(cert_file).
    type: path
"""

EXAMPLES = r"""
- name: Read the TLS files of every agent
  consulsec.hardening.consul_tls_material_info:
    ca_file: /etc/consul.d/tls/consul-agent-ca.pem
    cert_file: /etc/consul.d/tls/agent.pem
    key_file: /etc/consul.d/tls/agent-key.pem
  register: tls_material
"""

RETURN = r"""
material:
  description: The files' paths, the CA and certificate PEMs (None when a file is missing)
    and C(key_public), the SHA-256 fingerprint of the key's public part (None when the key
    is missing or unreadable).
  returned: success
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.consulsec.hardening.plugins.module_utils import _tls as tls
from ansible_collections.consulsec.hardening.plugins.module_utils._errors import ConsulInputError
from ansible_collections.consulsec.hardening.plugins.module_utils._module import require_library
from ansible_collections.consulsec.hardening.plugins.module_utils._files import read_optional


def read_material(ca_file: str, cert_file: str | None, key_file: str | None) -> dict:
    ca_pem = read_optional(ca_file)
    cert_pem = read_optional(cert_file) if cert_file else None
    key_data = read_optional(key_file) if key_file else None
    key_public = None
    if key_data is not None:
        try:
            key_public = tls.public_key_fingerprint(tls.load_key(key_data, key_file))
        except ConsulInputError:
            key_public = None
    return {"ca_file": ca_file, "ca_pem": ca_pem.decode(errors="replace") if ca_pem else None,
            "cert_file": cert_file or "",
            "cert_pem": cert_pem.decode(errors="replace") if cert_pem else None,
            "key_file": key_file or "", "key_public": key_public}


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "ca_file": {"type": "path", "required": True},
            "cert_file": {"type": "path"},
            "key_file": {"type": "path", "no_log": False},
        },
        required_together=[("cert_file", "key_file")],
        supports_check_mode=True,
    )
    require_library(module, tls.CRYPTOGRAPHY_IMPORT_ERROR, "cryptography")
    try:
        material = read_material(module.params["ca_file"], module.params["cert_file"],
                                 module.params["key_file"])
    except OSError as exc:
        module.fail_json(msg=f"cannot read the TLS files: {exc}")
    module.exit_json(changed=False, material=material)


if __name__ == "__main__":
    main()
