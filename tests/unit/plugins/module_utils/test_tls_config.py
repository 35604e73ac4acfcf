"""TLS settings rendered per Consul version: top-level keys up to 1.11, the tls stanza from
1.12 on, as Consul's configuration reference documents it."""

from __future__ import annotations

import pytest

from ansible_collections.consulsec.hardening.plugins.module_utils._errors import ConsulInputError
from ansible_collections.consulsec.hardening.plugins.module_utils._tls_config import (
    parse_version,
    render,
)

FULL = {
    "ca_file": "/etc/consul.d/tls/ca.pem",
    "cert_file": "/etc/consul.d/tls/agent.pem",
    "key_file": "/etc/consul.d/tls/agent-key.pem",
    "verify_incoming": True,
    "verify_outgoing": True,
    "verify_server_hostname": True,
    "tls_min_version": "tls12",
    "ports": {"https": 8501, "http": -1},
}


@pytest.mark.parametrize("version", ["1.8.7", "v1.11.9", "Consul v1.10.0\nRevision 27de64da7"])
def test_up_to_1_11_the_top_level_keys_stay(version):
    assert render(FULL, version) == FULL


@pytest.mark.parametrize("version", ["1.12.0", "v1.15.4+ent", "Consul v1.20.1\nRevision abc"])
def test_from_1_12_the_tls_stanza(version):
    assert render(FULL, version) == {
        "ports": {"https": 8501, "http": -1},
        "tls": {
            "defaults": {
                "ca_file": "/etc/consul.d/tls/ca.pem",
                "cert_file": "/etc/consul.d/tls/agent.pem",
                "key_file": "/etc/consul.d/tls/agent-key.pem",
                "verify_incoming": True,
                "verify_outgoing": True,
                "tls_min_version": "TLSv1_2",
            },
            "internal_rpc": {"verify_server_hostname": True},
        },
    }


def test_per_interface_incoming_verification_and_an_existing_stanza():
    rendered = render({"verify_incoming_rpc": True, "verify_incoming_https": False,
                       "tls": {"grpc": {"use_auto_cert": True}, "internal_rpc": {"x": 1}}}, "1.13.2")
    assert rendered == {"tls": {"grpc": {"use_auto_cert": True},
                                "internal_rpc": {"x": 1, "verify_incoming": True},
                                "https": {"verify_incoming": False}}}


def test_nothing_tls_is_left_alone():
    assert render({"ports": {"https": 8501}}, "1.14.0") == {"ports": {"https": 8501}}


@pytest.mark.parametrize("version,expected", [("1.8.7", (1, 8, 7)), ("v1.12", (1, 12, 0)),
                                              ("Consul v1.16.0-rc1", (1, 16, 0))])
def test_parse_version(version, expected):
    assert parse_version(version) == expected


@pytest.mark.parametrize("version", ["", None, "latest"])
def test_unknown_version_is_refused(version):
    with pytest.raises(ConsulInputError, match="cannot tell the Consul version"):
        render(FULL, version)
