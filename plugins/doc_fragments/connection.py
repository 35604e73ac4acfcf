# Copyright: consulsec.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  http_addr:
    description:
      - The agent's HTTP(S) API address, as the Consul CLI reads it.
      - C(http://host:port), C(https://host:port), or C(host:port) (then HTTPS when the
        environment variable E(CONSUL_HTTP_SSL) is C(true)). The port defaults to 8500 for
        http and 8501 for https.
      - Falls back to the environment variable E(CONSUL_HTTP_ADDR).
    type: str
    default: http://127.0.0.1:8500
  token:
    description:
      - ACL token sent in the C(X-Consul-Token) header (never in a URL, never in output).
      - Falls back to the environment variable E(CONSUL_HTTP_TOKEN).
    type: str
  agent_recovery_token:
    description:
      - Token for the agent's own endpoints (C(/v1/agent/...)) instead of O(token), e.g. the
        agent recovery token (C(acl.tokens.agent_master) up to Consul 1.10,
        C(acl.tokens.agent_recovery) from 1.11), which the agent accepts without asking
        the servers. While ACLs are being turned on, an agent with ACLs refuses anonymous
        reads of its endpoints until a leader with ACLs runs; the servers refuse this token
        on every other endpoint.
    type: str
  cacert:
    description:
      - CA certificate file (PEM) to verify the agent's HTTPS certificate with.
      - Falls back to the environment variable E(CONSUL_CACERT).
    type: path
  client_cert:
    description:
      - Client certificate file (PEM) for agents that verify incoming HTTPS connections.
      - Requires O(client_key). Falls back to E(CONSUL_CLIENT_CERT).
    type: path
  client_key:
    description:
      - Private key file (PEM) of O(client_cert). Falls back to E(CONSUL_CLIENT_KEY).
    type: path
  tls_server_name:
    description:
      - Name to verify the agent's certificate against instead of the host of O(http_addr)
        (for example C(server.dc1.consul) when connecting by IP address).
      - Falls back to the environment variable E(CONSUL_TLS_SERVER_NAME).
    type: str
  validate_certs:
    description:
      - Whether to verify the agent's HTTPS certificate. Only turn off for tests.
      - Falls back to the environment variable E(CONSUL_HTTP_SSL_VERIFY).
    type: bool
    default: true
  request_timeout:
    description:
      - Seconds to wait for one HTTP reply.
    type: float
    default: 10
requirements:
  - python-consul2 and requests on the host that runs the module
"""
