"""The shared keep-one-object decision, on a policy recorded from a real 1.8.7 server."""

from __future__ import annotations

from ansible_collections.consulsec.hardening.plugins.module_utils import _acl as acl
from ansible_collections.consulsec.hardening.plugins.module_utils._keep import keep
from tests.unit.conftest import load

RULES = 'node_prefix "" { policy = "write" }\n'


class Server:
    """Records what the module would send."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, object]] = []

    def write(self, present, body):
        self.sent.append(("put", body))
        return dict(present or {"ID": "new"}, **body)

    def remove(self, present):
        self.sent.append(("delete", present["ID"]))


def show(policy: dict) -> dict:
    return {"name": policy["Name"], "rules": policy["Rules"]}


def kept(present, wanted, check_mode=False):
    server = Server()
    result = keep(present, wanted, check_mode, show, acl.policy_changes, server.write, server.remove)
    return result, server.sent


def test_a_policy_as_given_is_left_alone():
    present = load("acl-api/policy-by-name")
    result, sent = kept(present, acl.policy_body("agents", RULES, "agents"))
    assert (result["changed"], result["changes"], sent) == (False, [], [])
    assert result["diff"]["before"] == result["diff"]["after"] == result["after"]


def test_a_missing_policy_is_created_and_a_different_one_updated():
    result, sent = kept(None, acl.policy_body("agents", RULES))
    assert result["changes"] == ["created"] and sent[0][0] == "put" and result["diff"]["before"] == {}
    present = load("acl-api/policy-by-name")
    result, sent = kept(present, acl.policy_body("agents", "", "agents"))
    assert result["changes"] == ["rules"] and result["after"]["rules"] == ""


def test_check_mode_sends_nothing_but_says_what_would_change():
    present = load("acl-api/policy-by-name")
    result, sent = kept(present, acl.policy_body("agents", "", "agents"), check_mode=True)
    assert result["changes"] == ["rules"] and result["after"]["rules"] == "" and sent == []
    result, sent = kept(present, None, check_mode=True)
    assert result["changes"] == ["removed"] and sent == []


def test_absent_removes_once():
    present = load("acl-api/policy-by-name")
    result, sent = kept(present, None)
    assert (result["changed"], result["after"], sent) == (True, None, [("delete", present["ID"])])
    assert result["diff"] == {"before": show(present), "after": {}}
    assert kept(None, None)[0]["changed"] is False
