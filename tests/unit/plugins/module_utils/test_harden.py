"""The hardening switches rendered as fragments, and their expected states checked against
DebugConfig recorded from a real 1.8.7 agent that ran the same settings."""

from __future__ import annotations

import pytest

from ansible_collections.consulsec.hardening.plugins.module_utils._agent_state import parse_security
from ansible_collections.consulsec.hardening.plugins.module_utils._errors import ConsulInputError
from ansible_collections.consulsec.hardening.plugins.module_utils._harden import go_duration, render
from tests.unit.conftest import load

# what tests/testbed/record_fixtures.py (step hardened) gives the recorded agent
SETTINGS = {
    "script_checks": "local", "disable_remote_exec": True, "agent_tls_for_checks": True,
    "tls_min_version": "tls12",
    "tls_cipher_suites": ["TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"],
    "http_response_headers": {"X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff"},
    "allow_write_http_from": ["127.0.0.0/8", "::1/128"],
    "limits": {"http_max_conns_per_client": 150, "rpc_max_conns_per_client": 90,
               "kv_max_value_size": 262144, "txn_max_req_len": 262144,
               "rpc_handshake_timeout": "4000ms", "https_handshake_timeout": "4s",
               "rpc_rate": 50, "rpc_max_burst": 500},
}


def test_the_expected_states_are_what_a_hardened_agent_reports():
    rendered = render(SETTINGS)
    security = parse_security(load("hardened/server-self"))
    for part in ("restart", "reload"):
        expect = rendered[part]["expect"]
        assert expect and {k: security[k] for k in expect} == expect


def test_an_agent_with_consul_defaults_meets_only_what_1_8_7_defaults_to():
    rendered = render(SETTINGS)
    security = parse_security(load("plain/follower-self"))
    met = {k for part in ("restart", "reload") for k, v in rendered[part]["expect"].items() if security[k] == v}
    # 1.8.7's own defaults: script checks off, remote exec off, TLS 1.2 at least
    assert met == {"enable_script_checks", "disable_remote_exec", "tls_min_version"}
    assert security["rpc_rate"] == -1  # no limit ("Inf"), as DebugConfig shows it


def test_the_rate_limit_goes_into_the_reload_fragment_only():
    rendered = render(SETTINGS)
    assert rendered["reload"]["content"] == {"limits": {"rpc_rate": 50, "rpc_max_burst": 500}}
    assert "rpc_rate" not in rendered["restart"]["content"]["limits"]
    assert rendered["restart"]["content"]["tls_cipher_suites"] == (
        "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384")


def test_empty_switches_leave_everything_alone():
    rendered = render({"script_checks": "", "disable_remote_exec": False, "agent_tls_for_checks": False,
                       "tls_min_version": "", "tls_cipher_suites": [], "http_response_headers": {},
                       "allow_write_http_from": [], "client_addr": "", "limits": {}})
    assert rendered == {"restart": {"content": {}, "expect": {}}, "reload": {"content": {}, "expect": {}}}


def test_client_addr_is_expected_as_a_list():
    rendered = render({"client_addr": "127.0.0.1 ::1"})
    assert rendered["restart"]["content"]["client_addr"] == "127.0.0.1 ::1"
    assert rendered["restart"]["expect"]["client_addrs"] == ["127.0.0.1", "::1"]


@pytest.mark.parametrize(("given", "shown"), [
    ("4000ms", "4s"), ("90s", "1m30s"), ("1h", "1h0m0s"), ("500ms", "500ms"), ("1.5s", "1.5s"), ("0s", "0s"),
])
def test_durations_as_go_prints_them(given, shown):
    assert go_duration(given) == shown


@pytest.mark.parametrize(("settings", "message"), [
    ({"limits": {"rpc_ratee": 1}}, "unknown limits rpc_ratee"),
    ({"limits": {"rpc_rate": 0}}, "limits.rpc_rate must be above 0"),
    ({"limits": {"kv_max_value_size": "big"}}, "limits.kv_max_value_size must be a number"),
    ({"limits": {"rpc_handshake_timeout": "5 seconds"}}, "is not a duration"),
    ({"tls_cipher_suites": ["TLS_RSA_WITH_RC4_128_SHA"]}, "unknown or weak TLS cipher suites TLS_RSA_WITH_RC4_128_SHA"),
    ({"tls_min_version": "1.2"}, "tls_min_version must be one of"),
    ({"script_checks": "on"}, "script_checks must be off, local or empty"),
    ({"disable_remote_exec": "maybe"}, "disable_remote_exec must be true or false, got 'maybe'"),
])
def test_bad_input_is_refused_with_what_to_fix(settings, message):
    with pytest.raises(ConsulInputError, match=message):
        render(settings)


def test_switches_as_a_survey_or_unquoted_yaml_give_them():
    """A job template's survey passes yes/no answers as strings; YAML reads an unquoted
    off as false."""
    as_strings = render({"script_checks": False, "disable_remote_exec": "false", "agent_tls_for_checks": "yes"})
    assert as_strings["restart"]["expect"] == {"enable_script_checks": False, "enable_local_script_checks": False,
                                               "enable_agent_tls_for_checks": True}
    assert "disable_remote_exec" not in as_strings["restart"]["content"]
