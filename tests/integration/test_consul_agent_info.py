"""consul_agent_info against real agents, checked with an independent reader (urllib)."""

from __future__ import annotations

from conftest import ALL, leader_of, run_module, run_module_output


def test_reports_the_plain_cluster(cluster):
    for name in ("server1", "client1"):
        args = {"http_addr": cluster.agents[name].http_addr,
                "gather": ["autopilot", "raft", "keyring"]}
        result = run_module("consul_agent_info", args)
        assert result["changed"] is False
        agent = result["agent"]
        raw = cluster.api(name, "/v1/agent/self")
        assert agent["name"] == raw["Config"]["NodeName"] == name
        assert agent["server"] is raw["Config"]["Server"]
        assert agent["version"] == "1.8.7"
        assert sorted(m["name"] for m in agent["members"]) == sorted(ALL)
        assert agent["member_counts"] == {"alive": 5}
        assert agent["leader"]["name"] == leader_of(cluster)
        assert agent["security"]["gossip_encrypted"] is False
        assert agent["autopilot"]["voters"] == 3
        assert agent["raft"]["leader"] == leader_of(cluster)
        if name == "server1":
            assert "encryption not enabled" in agent["errors"]["keyring"]
        else:
            assert "must run against a server" in agent["errors"]["keyring"]


def test_env_fallback_and_check_mode(cluster):
    env = {"CONSUL_HTTP_ADDR": cluster.agents["client2"].address + ":8500"}
    result = run_module("consul_agent_info", {"gather": []}, check=True, env=env)
    assert result["agent"]["name"] == "client2"
    assert result["agent"]["autopilot"] is None


def test_wrong_address_fails_with_what_to_check(cluster):
    result = run_module("consul_agent_info", {"http_addr": "http://127.0.1.99:8500"})
    assert result["failed"]
    assert result["address"] == "http://127.0.1.99:8500"
    assert result["endpoint"] == "/v1/agent/self"
    assert "Connection refused" in result["msg"] and "client_addr" in result["msg"]


def test_token_never_shows(cluster):
    secret = "6d3b2f4a-0000-4000-8000-5ec2e75ec2e7"
    args = {"http_addr": cluster.agents["server2"].http_addr}
    result, output = run_module_output("consul_agent_info", args,
                                       env={"CONSUL_HTTP_TOKEN": secret}, verbosity=3)
    assert result["agent"]["name"] == "server2"
    assert secret not in output
    args = {"http_addr": "http://127.0.1.99:8500", "token": secret}
    result, output = run_module_output("consul_agent_info", args, verbosity=3)
    assert result["failed"] and secret not in output
