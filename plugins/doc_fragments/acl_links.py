# Copyright: consulsec.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    # What a token or a role grants: policies, node identities, service identities
    DOCUMENTATION = r"""
options:
  policies:
    description: Names of the linked policies.
    type: list
    elements: str
    default: []
  node_identities:
    description:
      - Node identities (Consul's synthetic policy for an agent, C(node "<name>" write) and
        C(service_prefix "" read)).
    type: list
    elements: dict
    default: []
    suboptions:
      node_name:
        description: The node's name.
        type: str
        required: true
      datacenter:
        description: The node's datacenter.
        type: str
        required: true
  service_identities:
    description: Service identities.
    type: list
    elements: dict
    default: []
    suboptions:
      service_name:
        description: The service's name.
        type: str
        required: true
      datacenters:
        description: Datacenters it is valid in; empty for all.
        type: list
        elements: str
        default: []
"""
