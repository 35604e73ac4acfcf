# Copyright: consulsec.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Connection options shared by every module, with the Consul CLI's environment fallbacks.

Private module_utils: may change in any release.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from ansible.module_utils.basic import env_fallback

from ._errors import ConsulInputError

DEFAULT_HTTP_ADDR = "http://127.0.0.1:8500"

CONNECTION_ARGSPEC: dict[str, dict[str, Any]] = {
    "http_addr": {"type": "str", "default": DEFAULT_HTTP_ADDR,
                  "fallback": (env_fallback, ["CONSUL_HTTP_ADDR"])},
    "token": {"type": "str", "no_log": True,
              "fallback": (env_fallback, ["CONSUL_HTTP_TOKEN"])},
    "agent_recovery_token": {"type": "str", "no_log": True},
    "cacert": {"type": "path", "fallback": (env_fallback, ["CONSUL_CACERT"])},
    "client_cert": {"type": "path", "fallback": (env_fallback, ["CONSUL_CLIENT_CERT"])},
    "client_key": {"type": "path", "no_log": False,
                   "fallback": (env_fallback, ["CONSUL_CLIENT_KEY"])},
    "tls_server_name": {"type": "str", "fallback": (env_fallback, ["CONSUL_TLS_SERVER_NAME"])},
    "validate_certs": {"type": "bool", "default": True,
                       "fallback": (env_fallback, ["CONSUL_HTTP_SSL_VERIFY"])},
    "request_timeout": {"type": "float", "default": 10.0},
}


@dataclass(frozen=True)
class ConnectionOptions:
    scheme: str
    host: str
    port: int
    token: str | None = None
    agent_recovery_token: str | None = None
    cacert: str | None = None
    client_cert: str | None = None
    client_key: str | None = None
    tls_server_name: str | None = None
    validate_certs: bool = True
    request_timeout: float = 10.0

    @property
    def address(self) -> str:
        """The agent's address for messages (never carries the token)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}:{self.port}"


def parse_http_addr(http_addr: str, use_ssl: bool = False) -> tuple[str, str, int]:
    """Split an address the way the Consul CLI reads CONSUL_HTTP_ADDR.

    Accepts ``http://host:port``, ``https://host:port`` and ``host:port`` (https when
    ``use_ssl``, as CONSUL_HTTP_SSL=true does for the CLI). A missing port is 8500 for
    http and 8501 for https.
    """
    text = (http_addr or "").strip()
    if not text:
        raise ConsulInputError("http_addr is empty: give the agent's API address, "
                               "e.g. http://127.0.0.1:8500")
    if text.startswith("unix://"):
        raise ConsulInputError(f"http_addr {text!r}: unix sockets are not supported; "
                               "use the agent's TCP address, e.g. http://127.0.0.1:8500")
    if "://" not in text:
        text = ("https://" if use_ssl else "http://") + text
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConsulInputError(f"http_addr {http_addr!r} is not an address like "
                               "http://127.0.0.1:8500 or https://consul.example:8501")
    if parts.path not in ("", "/") or parts.query or parts.username:
        raise ConsulInputError(f"http_addr {http_addr!r} must be scheme://host:port only, "
                               "without path, query or credentials")
    try:
        port = parts.port
    except ValueError as exc:
        raise ConsulInputError(f"http_addr {http_addr!r}: {exc}") from None
    if port is None:
        port = 8501 if parts.scheme == "https" else 8500
    return parts.scheme, parts.hostname, port


def connection_options(params: dict[str, Any]) -> ConnectionOptions:
    """Build connection options from module parameters (env fallbacks already applied)."""
    use_ssl = os.environ.get("CONSUL_HTTP_SSL", "").lower() in ("1", "true")
    scheme, host, port = parse_http_addr(params.get("http_addr") or DEFAULT_HTTP_ADDR, use_ssl)
    cert, key = params.get("client_cert"), params.get("client_key")
    if bool(cert) != bool(key):
        raise ConsulInputError("client_cert and client_key go together: give both "
                               "(or CONSUL_CLIENT_CERT and CONSUL_CLIENT_KEY) or neither")
    for option in ("cacert", "client_cert", "client_key"):
        path = params.get(option)
        if path and not os.path.isfile(path):
            raise ConsulInputError(f"{option} {path!r} is not a readable file on "
                                   "the host that runs the module")
    timeout = float(params.get("request_timeout") or 10.0)
    if timeout <= 0:
        raise ConsulInputError(f"request_timeout must be above 0, got {timeout}")
    return ConnectionOptions(
        scheme=scheme, host=host, port=port,
        token=params.get("token") or None,
        agent_recovery_token=params.get("agent_recovery_token") or None,
        cacert=params.get("cacert") or None,
        client_cert=cert or None, client_key=key or None,
        tls_server_name=params.get("tls_server_name") or None,
        validate_certs=bool(params.get("validate_certs", True)),
        request_timeout=timeout,
    )
