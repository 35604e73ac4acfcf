"""ACL judgements on replies recorded from a real Consul 1.8.7 server (acl-api)."""

from __future__ import annotations

import json

import pytest

from ansible_collections.consulsec.hardening.plugins.module_utils import _acl as acl
from ansible_collections.consulsec.hardening.plugins.module_utils._errors import ConsulInputError
from tests.unit.conftest import load_reply


def reply(name: str):
    recorded = load_reply(f"acl-api/{name}")
    return recorded.get("json", recorded.get("text")), recorded["status"]


def test_a_refused_bootstrap_names_its_reset_index():
    text, status = reply("bootstrap-again")
    assert status == 403
    assert acl.reset_index(text) == 9
    assert "write 9 into /opt/consul/acl-bootstrap-reset on the leader" in acl.reset_procedure(9, "/opt/consul")
    assert acl.reset_index("ACL support disabled") is None


def test_missing_objects_and_unknown_tokens_read_alike_on_1_8_7():
    # the reason the modules prove their token before reading an object
    for name in ("policy-by-name-missing", "token-missing", "token-self-unknown"):
        assert reply(name) == (acl.ACL_NOT_FOUND, 403)
    assert reply("bootstrap-acl-disabled") == ("ACL support disabled", 401)


def test_management_tokens_are_told_from_others():
    assert acl.is_management(reply("bootstrap")[0])
    assert acl.is_management(reply("token-self-management")[0])
    assert not acl.is_management(reply("token-read")[0])
    assert not acl.is_management("ACL not found")


def test_a_token_summary_never_holds_its_secret():
    token = reply("token-read")[0]
    summary = acl.token_summary(token)
    assert token["SecretID"] not in json.dumps(summary)
    assert summary["node_identities"] == [{"node_name": "server1", "datacenter": "dc1"}]
    assert summary["policies"] == ["agents"]


def test_a_token_as_created_has_no_changes_and_a_new_policy_has():
    token = reply("token-read")[0]
    wanted = acl.token_body(token["AccessorID"], token["SecretID"], "agent server1", ["agents"],
                            node_identities=[{"node_name": "server1", "datacenter": "dc1"}])
    assert acl.token_changes(token, wanted) == []
    assert acl.token_changes(token, dict(wanted, Policies=[])) == ["policies"]
    # a token read with a token that may only read ACLs shows its secret as hidden
    assert acl.token_changes(dict(token, SecretID="<hidden>"), wanted) == []
    with pytest.raises(ConsulInputError, match="cannot change a token's SecretID"):
        acl.token_changes(token, dict(wanted, SecretID="00000000-0000-4000-8000-0000000000ee"))


def test_token_ids_must_be_uuids():
    with pytest.raises(ConsulInputError, match="accessor_id must be a UUID"):
        acl.token_body("agent-token", None)
    with pytest.raises(ConsulInputError, match="secret_id must be a UUID") as refused:
        acl.token_body("00000000-0000-4000-8000-000000000004", "not-a-uuid-secret")
    assert "not-a-uuid-secret" not in str(refused.value)


def test_a_policy_as_created_has_no_changes():
    policy = reply("policy-by-name")[0]
    wanted = acl.policy_body("agents", 'node_prefix "" { policy = "write" }\n', "agents")
    assert acl.policy_changes(policy, wanted) == []
    assert acl.policy_changes(policy, dict(wanted, Rules="")) == ["rules"]
    assert acl.policy_changes(policy, dict(wanted, Datacenters=["dc2"])) == ["datacenters"]
    assert reply("policy-create-duplicate")[1] == 500


def test_a_role_as_created_has_no_changes_and_a_missing_one_is_a_404():
    role = reply("role-by-name")[0]
    wanted = acl.role_body("web", "web instances", ["agents"],
                           node_identities=[{"node_name": "server1", "datacenter": "dc1"}],
                           service_identities=[{"service_name": "web", "datacenters": []}])
    assert acl.role_changes(role, wanted) == []
    assert acl.role_changes(reply("role-update")[0], wanted) == ["description"]
    assert acl.role_changes(role, dict(wanted, ServiceIdentities=[])) == ["service_identities"]
    assert acl.role_summary(role) == {
        "id": "00000000-0000-4000-8000-000000000007", "name": "web", "description": "web instances",
        "policies": ["agents"], "node_identities": [{"node_name": "server1", "datacenter": "dc1"}],
        "service_identities": [{"service_name": "web", "datacenters": []}]}
    # unlike policies and tokens (403 "ACL not found"), a missing role is a plain 404
    assert reply("role-by-name-missing") == ("", 404)


def test_the_default_deny_intention_is_found_and_compared():
    intentions = reply("intentions-one")[0]
    assert acl.find_intention(reply("intentions-empty")[0], "*", "*") is None
    found = acl.find_intention(intentions, "*", "*")
    assert found["Action"] == "deny"
    assert acl.intention_changes(found, acl.intention_body("*", "*", "deny", "default deny")) == []
    assert acl.intention_changes(found, acl.intention_body("*", "*", "allow", "default deny")) == ["action"]
    with pytest.raises(ConsulInputError, match="use allow or deny"):
        acl.intention_body("web", "db", "permit")


def test_an_agents_services_are_read_with_a_token_that_may_read_them():
    from ansible_collections.consulsec.hardening.plugins.module_utils._agent_state import parse_services

    assert parse_services(reply("agent-services")[0]) == [{"id": "web-1", "name": "web"}]
    # the agent recovery token reads the agent, not its services
    assert parse_services(reply("agent-services-recovery")[0]) == []
    assert parse_services(None) is None


def test_the_default_deny_intention_waits_for_acls_that_deny():
    from ansible_collections.consulsec.hardening.plugins.module_utils._agent_state import parse_security

    assert "meaningless while anyone may edit" in acl.default_deny_refusal(
        parse_security(load_reply("plain/leader-self")["json"]))
    assert acl.default_deny_refusal(parse_security(reply("agent-self-recovery")[0])) is None
