"""TLS material: what the collection issues, judged like Consul's own (`consul tls`)."""

from __future__ import annotations

import datetime

import pytest

from ansible_collections.consulsec.hardening.plugins.module_utils import _tls as tls
from ansible_collections.consulsec.hardening.plugins.module_utils._errors import ConsulInputError
from pathlib import Path

MATERIAL = Path(__file__).resolve().parents[3] / "unit" / "fixtures" / "consul-1.8.7" / "tls-material"
NOW = datetime.datetime(2026, 6, 1, tzinfo=datetime.timezone.utc)


@pytest.fixture(scope="module")
def ca():
    key = tls.new_key()
    return key, tls.build_ca(key, "consulsec test CA", days=365, now=NOW)


def issue(ca, role="server", days=90, **names):
    ca_key, ca_cert = ca
    key = tls.new_key()
    wanted = tls.agent_names(role, "dc1", **names)
    return key, tls.build_agent_cert(ca_cert, ca_key, key, role, wanted, days=days, now=NOW), wanted


def codes(problems):
    return [p["code"] for p in problems]


def test_a_server_certificate_has_what_consul_checks(ca):
    key, cert, wanted = issue(ca, dns_names=["server1"], ip_addresses=["172.30.77.2"])
    seen = tls.describe(cert)
    assert seen["dns_names"] == ["server.dc1.consul", "localhost", "server1"]
    assert seen["ip_addresses"] == ["127.0.0.1", "172.30.77.2"]
    assert set(seen["extended_key_usage"]) == {"serverAuth", "clientAuth"}
    assert not seen["is_ca"]
    assert tls.cert_problems(cert, cas=[ca[1]], key=key, names=wanted, min_days_left=30,
                             now=NOW) == []


def test_a_client_certificate_names_the_client(ca):
    _key, cert, _wanted = issue(ca, role="client")
    assert tls.describe(cert)["dns_names"][0] == "client.dc1.consul"


def test_an_rsa_ca_signs_too():
    ca_key = tls.new_key("rsa", 2048)
    ca_cert = tls.build_ca(ca_key, "rsa CA", days=30, now=NOW)
    key, cert, wanted = issue((ca_key, ca_cert))
    assert tls.cert_problems(cert, cas=[ca_cert], key=key, names=wanted, now=NOW) == []


def test_every_problem_is_named(ca):
    key, cert, wanted = issue(ca, days=10)
    other_key = tls.new_key()
    other_ca = tls.build_ca(other_key, "another CA", days=365, now=NOW)
    later = NOW + datetime.timedelta(days=5)
    assert codes(tls.cert_problems(cert, min_days_left=30, now=later)) == ["expiring"]
    assert codes(tls.cert_problems(cert, now=NOW + datetime.timedelta(days=11))) == ["expired"]
    assert codes(tls.cert_problems(cert, now=NOW - datetime.timedelta(days=1))) == ["not_yet_valid"]
    assert codes(tls.cert_problems(cert, cas=[other_ca], now=NOW)) == ["other_ca"]
    assert codes(tls.cert_problems(cert, key=other_key, now=NOW)) == ["key_mismatch"]
    problems = tls.cert_problems(cert, names=tls.agent_names("server", "dc2"), now=NOW)
    assert codes(problems) == ["missing_names"]
    assert "server.dc2.consul" in problems[0]["problem"]
    assert codes(tls.cert_problems(ca[1], now=NOW)) == ["is_ca"]
    # the CA file may hold several CAs: one that signed it is enough
    assert tls.cert_problems(cert, cas=[other_ca, ca[1]], now=NOW) == []


def test_consuls_own_certificates_pass_the_same_judge():
    ca_cert = tls.load_cert((MATERIAL / "consul-agent-ca.pem").read_bytes(), "ca")
    server = tls.load_cert((MATERIAL / "dc1-server-consul-0.pem").read_bytes(), "server")
    client = tls.load_cert((MATERIAL / "dc1-client-consul-0.pem").read_bytes(), "client")
    now = server.not_valid_before_utc + datetime.timedelta(days=1)
    assert tls.cert_problems(server, cas=[ca_cert], names=tls.agent_names("server", "dc1"),
                             now=now) == []
    assert tls.cert_problems(client, cas=[ca_cert], names=tls.agent_names("client", "dc1"),
                             now=now) == []
    # Consul's client certificate is no server certificate
    assert codes(tls.cert_problems(client, names=tls.agent_names("server", "dc1"), now=now)) \
        == ["missing_names"]


def test_bad_input_is_refused_with_the_fix(ca):
    with pytest.raises(ConsulInputError, match="not an IP address"):
        tls.agent_names("server", "dc1", ip_addresses=["server1"])
    with pytest.raises(ConsulInputError, match="use server or client"):
        tls.agent_names("leader", "dc1")
    with pytest.raises(ConsulInputError, match="use 256"):
        tls.new_key("ec", 521)
    with pytest.raises(ConsulInputError, match="2048 or more"):
        tls.new_key("rsa", 1024)
    with pytest.raises(ConsulInputError, match="not a PEM certificate"):
        tls.load_cert(b"junk", "cert.pem")
    with pytest.raises(ConsulInputError, match="does not belong"):
        tls.build_agent_cert(ca[1], tls.new_key(), tls.new_key(), "server",
                             tls.agent_names("server", "dc1"), 30, now=NOW)


def material(ca_cert, key, cert, role="server", **extra):
    return {"role": role, "ca_file": "/etc/consul.d/tls/ca.pem", "ca_pem": tls.cert_pem(ca_cert),
            "cert_file": "/etc/consul.d/tls/agent.pem", "cert_pem": tls.cert_pem(cert),
            "key_file": "/etc/consul.d/tls/agent-key.pem",
            "key_public": tls.public_key_fingerprint(key), **extra}


def test_preflight_passes_a_sound_cluster(ca):
    agents = {}
    for name, role in (("server1", "server"), ("client1", "client")):
        key, cert, _wanted = issue(ca, role=role)
        agents[name] = material(ca[1], key, cert, role)
    assert tls.preflight(agents, "dc1", now=NOW) == []


def test_preflight_names_agent_file_and_fix_for_each_problem(ca):
    other_key = tls.new_key()
    other_ca = tls.build_ca(other_key, "another CA", days=365, now=NOW)
    key1, cert1, _wanted1 = issue(ca)
    key2, cert2, _wanted2 = issue(ca, role="client")
    key3, cert3, _wanted3 = issue((other_key, other_ca))
    agents = {
        "server1": material(ca[1], key1, cert1),
        # a client certificate on a server: no server.dc1.consul
        "server2": material(ca[1], key2, cert2, "server"),
        # signed by another CA, with that CA in its own file: the others refuse it
        "server3": material(other_ca, key3, cert3),
        # the key of another agent
        "client1": material(ca[1], key1, cert2, "client"),
    }
    found = {(p["agent"], p["code"]) for p in tls.preflight(agents, "dc1", now=NOW)}
    assert ("server2", "missing_names") in found
    assert ("client1", "key_mismatch") in found
    assert ("server1", "ca_not_shared") in found and ("server3", "ca_not_shared") in found
    problem = next(p for p in tls.preflight(agents, "dc1", now=NOW) if p["code"] == "key_mismatch")
    assert problem["file"].endswith("agent-key.pem") and "re-issue" in problem["fix"]


def test_preflight_reports_missing_files_and_expiry(ca):
    key, cert, _wanted = issue(ca, days=10)
    agents = {"server1": material(ca[1], key, cert),
              "server2": {"role": "server", "ca_file": "/x/ca.pem", "ca_pem": None,
                          "cert_file": "/x/agent.pem", "cert_pem": None,
                          "key_file": "/x/agent-key.pem", "key_public": None}}
    found = [(p["agent"], p["code"]) for p in tls.preflight(agents, "dc1", min_days_left=30, now=NOW)]
    assert ("server1", "expiring") in found
    assert found.count(("server2", "missing")) == 3


def test_preflight_judges_only_the_ca_of_an_auto_encrypt_client(ca):
    other_key = tls.new_key()
    other_ca = tls.build_ca(other_key, "another CA", days=365, now=NOW)
    key, cert, _wanted = issue(ca)
    only_ca = {"role": "client", "auto_encrypt": True, "ca_file": "/x/ca.pem",
               "ca_pem": tls.cert_pem(ca[1]), "cert_file": "", "cert_pem": None,
               "key_file": "", "key_public": None}
    agents = {"server1": material(ca[1], key, cert), "client1": only_ca}
    # no certificate or key of its own is needed: the servers sign one when it starts
    assert tls.preflight(agents, "dc1", now=NOW) == []
    # but its CA file must hold the servers' CA, or it refuses them
    agents["client1"] = dict(only_ca, ca_pem=tls.cert_pem(other_ca))
    found = [(p["agent"], p["code"]) for p in tls.preflight(agents, "dc1", now=NOW)]
    assert found == [("client1", "ca_not_shared")]
    agents["client1"] = dict(only_ca, ca_pem=None)
    assert [(p["agent"], p["code"]) for p in tls.preflight(agents, "dc1", now=NOW)] \
        == [("client1", "missing")]
