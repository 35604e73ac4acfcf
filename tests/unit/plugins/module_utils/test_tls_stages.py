"""The TLS migration's stages, judged against what recorded 1.8.7 agents showed in them."""

from __future__ import annotations

import pytest

from ansible_collections.consulsec.hardening.plugins.module_utils import _agent_state as state
from ansible_collections.consulsec.hardening.plugins.module_utils._errors import ConsulInputError
from ansible_collections.consulsec.hardening.plugins.module_utils._rolling import agent_phase
from ansible_collections.consulsec.hardening.plugins.module_utils._tls_stages import tls_stages
from tests.unit.conftest import load

FILES = {"ca_file": "/etc/consul.d/tls/ca.pem", "cert_file": "/etc/consul.d/tls/agent.pem",
         "key_file": "/etc/consul.d/tls/agent-key.pem"}


def shown(scenario: str) -> dict:
    return state.parse_security(load(scenario))


def test_four_stages_outgoing_before_incoming_then_plain_http_closed():
    stages = tls_stages("server", FILES, 8501)
    assert [s["name"] for s in stages] == [
        "certificates in place, verification off", "outgoing verification and server hostname on",
        "incoming verification on", "plain HTTP closed"]
    assert [(s["settings"]["verify_outgoing"], s["settings"]["verify_incoming"]) for s in stages] == [
        (False, False), (True, False), (True, True), (True, True)]
    assert all(s["settings"]["cert_file"] == FILES["cert_file"] for s in stages)
    assert stages[2]["settings"]["ports"] == {"https": 8501}
    assert stages[3]["settings"]["ports"] == {"https": 8501, "http": -1}
    assert stages[3]["expect"] == {**stages[2]["expect"], "http_port": -1}


def test_recorded_agents_are_in_the_stage_their_settings_make():
    # a server and a client with every verify flag, HTTPS on 8501 and plain HTTP kept
    for scenario, role in (("tls/follower-self", "server"), ("tls/client-self", "client")):
        expects = [{"expect": s["expect"]} for s in tls_stages(role, FILES, 8501, http="keep")]
        assert agent_phase(shown(scenario), expects) == 3
        closed = [{"expect": s["expect"]} for s in tls_stages(role, FILES, 8501)]
        assert agent_phase(shown(scenario), closed) == 3  # plain HTTP still open
    assert agent_phase(shown("plain/follower-self"),
                       [{"expect": s["expect"]} for s in tls_stages("server", FILES, 8501)]) == 0


def test_an_auto_encrypt_client_takes_its_certificate_in_stage_2_and_verifies_rpc_only():
    stages = tls_stages("client", FILES, 8501, auto_encrypt=True, dns_names=["client1"],
                        ip_addresses=["10.0.0.4"])
    assert stages[0]["settings"] == {"ca_file": FILES["ca_file"], "verify_incoming": False,
                                     "verify_outgoing": False, "verify_server_hostname": False}
    assert "auto_encrypt" not in stages[0]["settings"] and "ports" not in stages[0]["settings"]
    assert stages[1]["settings"]["auto_encrypt"] == {"tls": True, "dns_san": ["client1"],
                                                     "ip_san": ["10.0.0.4"]}
    assert stages[2]["settings"]["verify_incoming_rpc"] is True
    assert stages[2]["settings"]["verify_incoming"] is False
    assert stages[2]["expect"]["tls_verify_incoming_https"] is False
    # recorded: a client with auto_encrypt.tls and outgoing verification (stage 2)
    assert agent_phase(shown("auto-encrypt/client-self"), [{"expect": s["expect"]} for s in stages]) == 2


def test_servers_allow_auto_encrypt_in_every_stage():
    stages = tls_stages("server", FILES, 8501, auto_encrypt=True)
    assert all(s["settings"]["auto_encrypt"] == {"allow_tls": True} for s in stages)
    assert all(s["expect"]["auto_encrypt_allow_tls"] is True for s in stages)
    # recorded: a server that allows auto_encrypt, verification still off (stage 1)
    assert agent_phase(shown("auto-encrypt/server-self"), [{"expect": s["expect"]} for s in stages]) == 1


def test_plain_http_on_loopback_only_or_kept():
    loopback = tls_stages("client", FILES, 8501, http="loopback", http_loopback_address="127.0.0.2",
                          http_port=8600)
    assert loopback[3]["name"] == "plain HTTP on loopback only"
    assert loopback[3]["settings"]["addresses"] == {"http": "127.0.0.2"}
    assert loopback[3]["expect"]["http_addrs"] == ["tcp://127.0.0.2:8600"]
    assert len(tls_stages("client", FILES, 8501, http="keep")) == 3


@pytest.mark.parametrize(("role", "http", "why"), [
    ("agent", "closed", "role must be server or client"), ("server", "open", "http must be one of"),
])
def test_unknown_roles_and_http_modes_are_refused(role, http, why):
    with pytest.raises(ConsulInputError, match=why):
        tls_stages(role, FILES, 8501, http=http)
