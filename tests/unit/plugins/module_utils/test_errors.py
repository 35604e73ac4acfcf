"""Error messages: where, what came back, what to check; bodies from real agents."""

from __future__ import annotations

from ansible_collections.consulsec.hardening.plugins.module_utils._errors import ConsulApiError
from tests.unit.conftest import load


def test_no_leader_hint():
    err = ConsulApiError("http://127.0.1.11:8500", "/v1/operator/autopilot/health", 500,
                         load("no-quorum/server-autopilot"))
    text = str(err)
    assert text.startswith("http://127.0.1.11:8500/v1/operator/autopilot/health answered HTTP 500")
    assert "No cluster leader" in text and "quorum" in text


def test_permission_denied_hint():
    err = ConsulApiError("http://a:8500", "/v1/agent/self", 403, load("acl-deny/server-self"))
    assert "Permission denied" in str(err) and "CONSUL_HTTP_TOKEN" in str(err)


def test_acl_not_found_hint_mentions_acl_rollout():
    err = ConsulApiError("http://a:8500", "/v1/agent/self", 403, "ACL not found")
    assert "no ACL-enabled server leads yet" in str(err)


def test_keyring_hints():
    assert "not enabled" in str(ConsulApiError("h", "/v1/operator/keyring", 500,
                                               load("plain/leader-keyring")))
    assert "needs a server" in str(ConsulApiError("h", "/v1/operator/keyring", 500,
                                                  load("gossip/client-keyring")))


def test_long_bodies_are_cut():
    err = ConsulApiError("h", "/x", 500, "y" * 5000)
    assert len(err.body) < 600 and err.body.endswith("(cut)")


def test_legacy_acl_mode_hint_says_to_wait():
    err = ConsulApiError("https://a:8501", "/v1/acl/token/self", 500, load("acl-legacy/legacy-token-self"))
    assert "legacy ACL mode" in str(err) and "acl_mode: enabled" in str(err)
