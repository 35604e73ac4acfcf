"""The shared client over HTTPS against real agents with verify_incoming on."""

from __future__ import annotations

import subprocess

import pytest

from conftest import LocalCluster, run_module
from local_cluster import consul_binary


@pytest.fixture(scope="module")
def tls_cluster(tmp_path_factory):
    cluster = LocalCluster(tmp_path_factory.mktemp("tls"), servers=1, clients=1)
    cluster.prepare()
    # certificates without the loopback address: only server.dc1.consul, localhost, 127.0.0.1
    certs = cluster.write_tls(verify=True, additional_ip=False)
    subprocess.run([consul_binary(), "tls", "cert", "create", "-cli"], cwd=certs, check=True,  # noqa: S603
                   capture_output=True)
    for name in cluster.agents:
        cluster.start_agent(name)
    cluster.wait_healthy()
    cluster.certs = certs
    yield cluster
    cluster.stop()


def https_args(cluster, **extra) -> dict:
    certs = cluster.certs
    return {"http_addr": f"https://{cluster.agents['server1'].address}:8501",
            "cacert": str(certs / "consul-agent-ca.pem"),
            "client_cert": str(certs / "dc1-cli-consul-0.pem"),
            "client_key": str(certs / "dc1-cli-consul-0-key.pem"),
            "tls_server_name": "server.dc1.consul", "gather": [], **extra}


def test_https_with_client_certificate_and_server_name(tls_cluster):
    result = run_module("consul_agent_info", https_args(tls_cluster))
    assert result.get("failed") is not True, result.get("msg")
    security = result["agent"]["security"]
    assert security["tls_verify_incoming"] and security["tls_verify_outgoing"]
    assert security["tls_verify_server_hostname"] and security["https_port"] == 8501
    assert {m["name"]: m["use_tls"] for m in result["agent"]["members"]} == {
        "server1": True, "client1": False}


def test_env_fallbacks_for_tls(tls_cluster):
    args = https_args(tls_cluster)
    env = {"CONSUL_HTTP_ADDR": args.pop("http_addr"), "CONSUL_CACERT": args.pop("cacert"),
           "CONSUL_CLIENT_CERT": args.pop("client_cert"),
           "CONSUL_CLIENT_KEY": args.pop("client_key"),
           "CONSUL_TLS_SERVER_NAME": args.pop("tls_server_name")}
    result = run_module("consul_agent_info", args, env=env)
    assert result["agent"]["name"] == "server1"


def test_address_not_in_certificate_needs_server_name(tls_cluster):
    result = run_module("consul_agent_info", https_args(tls_cluster, tls_server_name=None))
    assert result["failed"]
    assert "tls_server_name" in result["msg"] and "certificate" in result["msg"]


def test_missing_client_certificate_is_explained(tls_cluster):
    args = https_args(tls_cluster, client_cert=None, client_key=None)
    result = run_module("consul_agent_info", args)
    assert result["failed"]
    assert "client_cert" in result["msg"]


def test_wrong_ca_is_explained(tls_cluster, tmp_path):
    other = tmp_path / "other"
    other.mkdir()
    subprocess.run([consul_binary(), "tls", "ca", "create"], cwd=other, check=True,  # noqa: S603
                   capture_output=True)
    result = run_module("consul_agent_info", https_args(
        tls_cluster, cacert=str(other / "consul-agent-ca.pem")))
    assert result["failed"]
    assert "cacert" in result["msg"]


def test_plain_http_to_https_port_is_explained(tls_cluster):
    result = run_module("consul_agent_info", https_args(
        tls_cluster, http_addr=f"http://{tls_cluster.agents['server1'].address}:8501"))
    assert result["failed"]
    assert "https://" in result["msg"]
