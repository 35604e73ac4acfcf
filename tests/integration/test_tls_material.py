"""consul_tls_ca and consul_tls_cert through Ansible, and real Consul 1.8.7 agents that
run full TLS (verify_incoming, verify_outgoing, verify_server_hostname) on what they issue."""

from __future__ import annotations

import stat

import pytest

from conftest import LocalCluster, run_module, run_module_output


def ca_args(tmp_path) -> dict:
    return {"cert_path": str(tmp_path / "ca.pem"), "key_path": str(tmp_path / "ca-key.pem")}


def cert_args(tmp_path, name="server1", role="server", **extra) -> dict:
    return {"ca_cert_path": str(tmp_path / "ca.pem"), "ca_key_path": str(tmp_path / "ca-key.pem"),
            "cert_path": str(tmp_path / f"{name}.pem"), "key_path": str(tmp_path / f"{name}-key.pem"),
            "role": role, **extra}


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_ca_is_made_once_and_its_key_kept_private(tmp_path):
    checked = run_module("consul_tls_ca", ca_args(tmp_path), check=True)
    assert checked["changed"] and not (tmp_path / "ca.pem").exists()
    # check mode of a whole run: the certificate of a CA not made yet would be issued
    would = run_module("consul_tls_cert", cert_args(tmp_path), check=True)
    assert would["changed"] and would.get("failed") is not True, would
    assert "does not exist yet" in would["reasons"][0]["problem"]
    assert not (tmp_path / "server1.pem").exists()
    made, output = run_module_output("consul_tls_ca", ca_args(tmp_path))
    assert made["changed"] and made["info"]["is_ca"]
    assert mode(tmp_path / "ca-key.pem") == 0o600
    assert "PRIVATE KEY" not in output
    again = run_module("consul_tls_ca", ca_args(tmp_path))
    assert not again["changed"]
    assert again["info"]["fingerprint"] == made["info"]["fingerprint"]


def test_a_ca_certificate_without_its_key_is_refused(tmp_path):
    run_module("consul_tls_ca", ca_args(tmp_path))
    (tmp_path / "ca-key.pem").unlink()
    refused = run_module("consul_tls_ca", ca_args(tmp_path))
    assert refused["failed"] and "cannot sign" in refused["msg"]


def test_a_certificate_is_kept_while_fit_and_reissued_when_not(tmp_path):
    run_module("consul_tls_ca", ca_args(tmp_path))
    issued, output = run_module_output("consul_tls_cert", cert_args(tmp_path, ip_addresses=["10.1.2.3"]))
    assert issued["changed"] and issued["reasons"][0]["code"] == "missing"
    assert "server.dc1.consul" in issued["info"]["dns_names"]
    assert "10.1.2.3" in issued["info"]["ip_addresses"]
    assert mode(tmp_path / "server1-key.pem") == 0o600
    assert "PRIVATE KEY" not in output
    kept = run_module("consul_tls_cert", cert_args(tmp_path, ip_addresses=["10.1.2.3"]))
    assert not kept["changed"] and kept["reasons"] == []
    # another datacenter: the names are wrong; with reissue=false that is an error
    refused = run_module("consul_tls_cert", cert_args(tmp_path, datacenter="dc2", reissue=False))
    assert refused["failed"] and "does not name server.dc2.consul" in refused["msg"]
    would = run_module("consul_tls_cert", cert_args(tmp_path, datacenter="dc2"), check=True)
    assert would["changed"] and [r["code"] for r in would["reasons"]] == ["missing_names"]
    reissued = run_module("consul_tls_cert", cert_args(tmp_path, datacenter="dc2", key_mode="0640"))
    assert reissued["changed"] and "server.dc2.consul" in reissued["info"]["dns_names"]
    assert mode(tmp_path / "server1-key.pem") == 0o640


def test_a_certificate_of_another_ca_is_reissued(tmp_path):
    other = tmp_path / "other"
    other.mkdir()
    run_module("consul_tls_ca", ca_args(other))
    run_module("consul_tls_cert", cert_args(other))
    run_module("consul_tls_ca", ca_args(tmp_path))
    for name in ("server1.pem", "server1-key.pem"):
        (tmp_path / name).write_bytes((other / name).read_bytes())
    reissued = run_module("consul_tls_cert", cert_args(tmp_path))
    assert [r["code"] for r in reissued["reasons"]] == ["other_ca"]


@pytest.fixture(scope="module")
def full_tls_cluster(tmp_path_factory):
    """3 servers + 1 client, every verify flag on, certificates from the modules."""
    cluster = LocalCluster(tmp_path_factory.mktemp("tls-material"), servers=3, clients=1)
    cluster.prepare()
    pki = cluster.base / "pki"
    pki.mkdir()
    run_module("consul_tls_ca", ca_args(pki))
    for agent in cluster.agents.values():
        role = "server" if agent.server else "client"
        issued = run_module("consul_tls_cert", cert_args(pki, agent.name, role,
                                                         ip_addresses=[agent.address]))
        assert issued["changed"], issued.get("msg")
        cluster.write_fragment(agent.name, "60-tls.json", {
            "ca_file": str(pki / "ca.pem"),
            "cert_file": str(pki / f"{agent.name}.pem"),
            "key_file": str(pki / f"{agent.name}-key.pem"),
            "verify_incoming": True, "verify_outgoing": True, "verify_server_hostname": True,
            "ports": {"https": 8501, "dns": -1},
        })
    for name in cluster.agents:
        cluster.start_agent(name)
    cluster.wait_healthy()
    cluster.pki = pki
    yield cluster
    cluster.stop()


def test_consul_runs_full_tls_on_the_issued_certificates(full_tls_cluster):
    pki = full_tls_cluster.pki
    server1 = full_tls_cluster.agents["server1"]
    result = run_module("consul_agent_info", {
        "http_addr": f"https://{server1.address}:8501", "cacert": str(pki / "ca.pem"),
        "client_cert": str(pki / "client1.pem"), "client_key": str(pki / "client1-key.pem"),
        "gather": ["autopilot"]})
    assert result.get("failed") is not True, result.get("msg")
    agent = result["agent"]
    assert agent["security"]["tls_verify_incoming"] and agent["security"]["tls_verify_server_hostname"]
    assert agent["autopilot"]["healthy"] and agent["member_counts"]["alive"] == 4


def test_preflight_refuses_material_that_would_break_the_roll(tmp_path):
    run_module("consul_tls_ca", ca_args(tmp_path))
    agents = {}
    for name, role in (("server1", "server"), ("server2", "client"), ("client1", "client")):
        run_module("consul_tls_cert", cert_args(tmp_path, name, role))
        read, output = run_module_output("consul_tls_material_info", {
            "ca_file": str(tmp_path / "ca.pem"), "cert_file": str(tmp_path / f"{name}.pem"),
            "key_file": str(tmp_path / f"{name}-key.pem")})
        assert "PRIVATE KEY" not in output
        assert read["material"]["key_public"].startswith("sha256:")
        agents[name] = {**read["material"], "role": "client" if name == "client1" else "server"}
    refused = run_module("consul_tls_preflight", {"agents": agents})
    assert refused["failed"]
    assert [(p["agent"], p["code"]) for p in refused["problems"]] == [("server2", "missing_names")]
    assert "server2: " + str(tmp_path / "server2.pem") in refused["msg"]
    assert "nothing was changed" in refused["msg"]
    del agents["server2"]
    assert run_module("consul_tls_preflight", {"agents": agents})["problems"] == []
