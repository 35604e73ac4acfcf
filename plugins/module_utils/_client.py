# Copyright: consulsec.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one Consul API client of the collection, over python-consul2.

Every request carries the ACL token in the X-Consul-Token header (never in a URL, so it
cannot show in an error message or an agent's access log). Requests to the agent's own
endpoints (/v1/agent/...) carry the agent recovery token instead when one is given: the
agent accepts it without asking the servers, which cannot resolve tokens while ACLs are
being turned on (measured on 1.8.7: an agent with ACLs answers anonymous agent reads
"403 ACL not found" until a leader with ACLs runs), and servers refuse it elsewhere. python-consul2 reads
CONSUL_HTTP_ADDR and CONSUL_HTTP_TOKEN itself and lets them override what it is given;
this client sets the transport and the token after construction so that the module
options (with their documented env fallbacks) decide.

Private module_utils: may change in any release.
"""

from __future__ import annotations

import json
import traceback
from typing import Any

from ._connection import ConnectionOptions
from ._errors import ConsulApiError, ConsulConnectionError

CONSUL_IMPORT_ERROR: str | None = None
try:
    import consul
    import consul.std
    import requests
    from requests.adapters import HTTPAdapter
except ImportError:  # pragma: no cover - reported by the module through missing_required_lib
    CONSUL_IMPORT_ERROR = traceback.format_exc()
    HTTPAdapter = object  # type: ignore[assignment,misc]


class _ServerNameAdapter(HTTPAdapter):  # type: ignore[misc,valid-type]
    """Verify the agent's certificate against a given name (CONSUL_TLS_SERVER_NAME)."""

    def __init__(self, server_name: str) -> None:
        self._server_name = server_name
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["server_hostname"] = self._server_name
        kwargs["assert_hostname"] = self._server_name
        super().init_poolmanager(*args, **kwargs)


def _connection_hint(reason: str, options: ConnectionOptions) -> str:
    lowered = reason.lower()
    if "certificate verify failed" in lowered or "hostname" in lowered:
        return ("The agent's certificate was not accepted: check cacert (CONSUL_CACERT) and "
                "that the certificate carries the name asked for (http_addr's host or "
                "tls_server_name / CONSUL_TLS_SERVER_NAME).")
    if "certificate required" in lowered or "bad certificate" in lowered:
        return ("The agent requires a client certificate (verify_incoming on HTTPS): set "
                "client_cert and client_key (CONSUL_CLIENT_CERT / CONSUL_CLIENT_KEY).")
    if "wrong version number" in lowered or "record layer" in lowered:
        return "The port does not speak TLS: use http:// or the agent's HTTPS port."
    if "timed out" in lowered or "timeout" in lowered:
        return (f"No answer within {options.request_timeout:g}s: the agent may be starting, "
                "overloaded or waiting for a leader; raise request_timeout if it is just slow.")
    if "connection aborted" in lowered or "remotedisconnected" in lowered:
        return ("The agent closed the connection: it may be restarting, or it serves HTTPS "
                "on this port (use https://).")
    return ("Is the agent running, and listening on that address and port (client_addr, "
            "ports.http / ports.https)? Is http_addr / CONSUL_HTTP_ADDR right?")


def _reason(exc: Exception) -> str:
    """The innermost cause of a requests error, without urllib3's retry wrapping."""
    cause: object = exc
    while cause is not None and getattr(cause, "args", None):
        inner = cause.args[0]  # type: ignore[attr-defined]
        nested = getattr(inner, "reason", None)
        if not isinstance(nested, Exception) or nested is cause:
            break
        cause = nested
    text = str(cause)
    if "): " in text and text.startswith(("HTTPConnection(", "HTTPSConnection(", "<urllib3")):
        text = text.split("): ", 1)[1]
    return f"{type(exc).__name__}: {text}"


class ConsulClient:
    """Thin layer over python-consul2: one place for transport, token and errors."""

    def __init__(self, options: ConnectionOptions) -> None:
        self.options = options
        verify: bool | str = options.validate_certs
        if options.validate_certs and options.cacert:
            verify = options.cacert
        cert = (options.client_cert, options.client_key) if options.client_cert else None
        self.consul = consul.Consul(host=options.host, port=options.port, scheme=options.scheme,
                                    verify=verify, cert=cert)
        # Replace what python-consul2 took from the environment with our options.
        self.consul.http = consul.std.HTTPClient(options.host, options.port, options.scheme,
                                                 verify, cert, options.request_timeout)
        self.consul.token = options.token
        if options.tls_server_name and options.scheme == "https":
            self.consul.http.session.mount("https://", _ServerNameAdapter(options.tls_server_name))

    @property
    def address(self) -> str:
        return self.options.address

    def token_for(self, endpoint: str) -> str | None:
        """The token a request to ``endpoint`` carries."""
        if self.options.agent_recovery_token and endpoint.startswith("/v1/agent/"):
            return self.options.agent_recovery_token
        return self.options.token

    def request(self, method: str, endpoint: str, params: dict[str, Any] | None = None,
                data: Any = None, accept: tuple[int, ...] = (200,),
                token: str | None = None) -> tuple[int, Any]:
        """Send one request; return (status, decoded JSON or text) for accepted statuses.
        ``token`` replaces the token this request would carry."""
        http = self.consul.http
        call = {"get": http.get, "put": http.put, "delete": http.delete, "post": http.post}[method]
        sent = token or self.token_for(endpoint)
        kwargs: dict[str, Any] = {"params": params, "headers": {"X-Consul-Token": sent} if sent else {}}
        if method != "get":
            kwargs["data"] = "" if data is None else json.dumps(data)
        try:
            reply = call(lambda response: response, endpoint, **kwargs)
        except requests.exceptions.RequestException as exc:
            reason = _reason(exc)
            raise ConsulConnectionError(self.address, endpoint, reason,
                                        _connection_hint(reason, self.options)) from None
        if reply.code not in accept:
            raise ConsulApiError(self.address, endpoint, reply.code, reply.body or "")
        return reply.code, decode(reply.body)

    def headers(self, endpoint: str) -> dict[str, str]:
        """The response headers of a GET of ``endpoint`` (what the agent actually serves)."""
        sent = self.token_for(endpoint)
        try:
            reply = self.consul.http.get(lambda response: response, endpoint,
                                         headers={"X-Consul-Token": sent} if sent else {})
        except requests.exceptions.RequestException as exc:
            reason = _reason(exc)
            raise ConsulConnectionError(self.address, endpoint, reason,
                                        _connection_hint(reason, self.options)) from None
        return dict(reply.headers)

    def get(self, endpoint: str, params: dict[str, Any] | None = None,
            accept: tuple[int, ...] = (200,), token: str | None = None) -> Any:
        return self.request("get", endpoint, params=params, accept=accept, token=token)[1]


def decode(body: str | None) -> Any:
    if not body:
        return None
    try:
        return json.loads(body)
    except ValueError:
        return body
