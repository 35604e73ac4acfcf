"""Connection options as the Consul CLI reads them."""

from __future__ import annotations

import pytest

from ansible_collections.consulsec.hardening.plugins.module_utils._connection import (
    connection_options,
    parse_http_addr,
)
from ansible_collections.consulsec.hardening.plugins.module_utils._errors import ConsulInputError


@pytest.mark.parametrize("addr,ssl,expected", [
    ("http://127.0.0.1:8500", False, ("http", "127.0.0.1", 8500)),
    ("https://consul.example:8501", False, ("https", "consul.example", 8501)),
    ("127.0.0.1:8500", False, ("http", "127.0.0.1", 8500)),
    ("127.0.0.1:8501", True, ("https", "127.0.0.1", 8501)),
    ("https://server1", False, ("https", "server1", 8501)),
    ("http://server1/", False, ("http", "server1", 8500)),
    ("http://[::1]:8500", False, ("http", "::1", 8500)),
])
def test_parse_http_addr(addr, ssl, expected):
    assert parse_http_addr(addr, ssl) == expected


@pytest.mark.parametrize("addr,message", [
    ("", "empty"),
    ("unix:///run/consul.sock", "unix sockets"),
    ("ftp://x:1", "not an address"),
    ("http://x:99999", "out of range"),
    ("http://x:8500/v1", "without path"),
    ("http://user:pw@x:8500", "without path, query or credentials"),
])
def test_parse_http_addr_refuses(addr, message):
    with pytest.raises(ConsulInputError, match=message):
        parse_http_addr(addr)


def test_options_need_cert_and_key_together(tmp_path):
    cert = tmp_path / "c.pem"
    cert.write_text("x")
    with pytest.raises(ConsulInputError, match="go together"):
        connection_options({"http_addr": "https://h:8501", "client_cert": str(cert)})


def test_options_refuse_missing_files(tmp_path):
    with pytest.raises(ConsulInputError, match="cacert .* not a readable file"):
        connection_options({"http_addr": "https://h:8501", "cacert": str(tmp_path / "nope.pem")})


def test_consul_http_ssl_makes_bare_address_https(monkeypatch):
    monkeypatch.setenv("CONSUL_HTTP_SSL", "true")
    options = connection_options({"http_addr": "127.0.0.1:8501", "token": "s3cr3t"})
    assert options.address == "https://127.0.0.1:8501"
    assert "s3cr3t" not in repr(options.address)


def test_address_brackets_ipv6():
    assert connection_options({"http_addr": "http://[::1]:8500"}).address == "http://[::1]:8500"


# python-consul2 warns about legacy endpoints of its own when a client is made
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_the_agent_recovery_token_goes_to_agent_endpoints_only():
    from ansible_collections.consulsec.hardening.plugins.module_utils._client import ConsulClient

    client = ConsulClient(connection_options({
        "http_addr": "http://127.0.0.1:8500", "token": "general", "agent_recovery_token": "recovery"}))
    assert client.token_for("/v1/agent/self") == "recovery"
    assert client.token_for("/v1/agent/token/agent") == "recovery"
    assert client.token_for("/v1/operator/autopilot/health") == "general"
    assert client.token_for("/v1/acl/token/self") == "general"
    plain = ConsulClient(connection_options({"http_addr": "http://127.0.0.1:8500", "token": "general"}))
    assert plain.token_for("/v1/agent/self") == "general"
