# Copyright: consulsec.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure rendering of the agent hardening settings (role consulsec.hardening.harden).

From the role's switches to two configuration fragments, each with the state a running
agent shows once it has it (keys of ``_agent_state.SECURITY_PATHS``, as DebugConfig
reports them):

- ``restart``: the settings the agent applies on start only, rolled by the shared
  rolling-restart engine;
- ``reload``: the RPC rate limit, which ``consul reload`` applies. Measured on 1.8.7:
  after a reload DebugConfig shows the new ``rpc_rate``, but still the old
  ``http_max_conns_per_client``, ``tls_min_version`` and response headers, although the
  guide lists HTTP connection limits and TLS as reloadable. A setting whose effect cannot
  be seen cannot be verified, so those go through a restart.

Private module_utils: may change in any release.
"""

from __future__ import annotations

import re
from typing import Any

from ansible.module_utils.parsing.convert_bool import boolean

from ._errors import ConsulInputError

# Go's TLS cipher suite IDs (crypto/tls), as DebugConfig reports TLSCipherSuites, for the
# names Consul 1.8 accepts without RC4 or 3DES
CIPHER_SUITES = {
    "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256": 0xC02B,
    "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384": 0xC02C,
    "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256": 0xC02F,
    "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384": 0xC030,
    "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305": 0xCCA9,
    "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305": 0xCCA8,
    "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256": 0xC023,
    "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256": 0xC027,
    "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA": 0xC009,
    "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA": 0xC00A,
    "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA": 0xC013,
    "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA": 0xC014,
    "TLS_RSA_WITH_AES_128_GCM_SHA256": 0x009C,
    "TLS_RSA_WITH_AES_256_GCM_SHA384": 0x009D,
    "TLS_RSA_WITH_AES_128_CBC_SHA256": 0x003C,
    "TLS_RSA_WITH_AES_128_CBC_SHA": 0x002F,
    "TLS_RSA_WITH_AES_256_CBC_SHA": 0x0035,
}
TLS_VERSIONS = ("tls10", "tls11", "tls12", "tls13")
SCRIPT_CHECKS = ("off", "local", "")
# limits.<name> -> (security key, kind); kind: int, duration or rate
RESTART_LIMITS = {
    "http_max_conns_per_client": "int",
    "rpc_max_conns_per_client": "int",
    "kv_max_value_size": "int",
    "txn_max_req_len": "int",
    "rpc_handshake_timeout": "duration",
    "https_handshake_timeout": "duration",
}
RELOAD_LIMITS = {"rpc_rate": "rate", "rpc_max_burst": "int"}
_UNITS = {"ns": 1, "us": 1_000, "µs": 1_000, "ms": 1_000_000, "s": 1_000_000_000,
          "m": 60_000_000_000, "h": 3_600_000_000_000}
_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)")


def _strip(number: float) -> str:
    text = f"{number:.9f}".rstrip("0").rstrip(".")
    return text or "0"


def go_duration(text: str) -> str:
    """A duration as Go's time.Duration prints it, the way DebugConfig shows it
    ("4000ms" -> "4s", "90s" -> "1m30s")."""
    value = str(text).strip()
    parts = _DURATION.findall(value)
    if not value or "".join(n + u for n, u in parts) != value:
        raise ConsulInputError(f"{text!r} is not a duration (e.g. 5s, 500ms, 1m30s)")
    total = round(sum(float(n) * _UNITS[u] for n, u in parts))
    if total == 0:
        return "0s"
    if total < 1_000:
        return f"{total}ns"
    if total < 1_000_000:
        return f"{_strip(total / 1_000)}µs"
    if total < 1_000_000_000:
        return f"{_strip(total / 1_000_000)}ms"
    hours, rest = divmod(total, 3_600_000_000_000)
    minutes, rest = divmod(rest, 60_000_000_000)
    seconds = _strip(rest / 1_000_000_000)
    if hours:
        return f"{hours}h{minutes}m{seconds}s"
    if minutes:
        return f"{minutes}m{seconds}s"
    return f"{seconds}s"


def _limit(name: str, kind: str, value: Any) -> tuple[Any, Any]:
    """(value written, value DebugConfig shows) of one limit."""
    if kind == "duration":
        shown = go_duration(value)
        return shown, shown
    try:
        number = float(value) if kind == "rate" else int(value)
    except (TypeError, ValueError):
        raise ConsulInputError(f"limits.{name} must be a number, got {value!r}") from None
    if number <= 0:
        raise ConsulInputError(f"limits.{name} must be above 0, got {value!r}")
    if kind == "rate" and number == int(number):
        number = int(number)
    return number, number


def _limits(limits: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any], dict[str, Any]]:
    unknown = sorted(set(limits) - set(RESTART_LIMITS) - set(RELOAD_LIMITS))
    if unknown:
        raise ConsulInputError(f"unknown limits {', '.join(unknown)}; known: "
                               + ", ".join(sorted({**RESTART_LIMITS, **RELOAD_LIMITS})))
    out: tuple[dict[str, Any], dict[str, Any], dict[str, Any], dict[str, Any]] = ({}, {}, {}, {})
    for name, value in limits.items():
        reload = name in RELOAD_LIMITS
        written, shown = _limit(name, (RELOAD_LIMITS if reload else RESTART_LIMITS)[name], value)
        out[2 if reload else 0][name] = written
        out[3 if reload else 1][name] = shown
    return out


def cipher_ids(names: list[str]) -> list[int]:
    unknown = [n for n in names if n not in CIPHER_SUITES]
    if unknown:
        raise ConsulInputError(f"unknown or weak TLS cipher suites {', '.join(unknown)}; known: "
                               + ", ".join(CIPHER_SUITES))
    return [CIPHER_SUITES[n] for n in names]


def switch(settings: dict[str, Any], key: str) -> bool:
    """A yes/no switch (on when not given) as a job template's survey may pass it too: a
    string such as "false" or "no" is false. Empty is off."""
    value = settings.get(key, True)
    if value in ("", None):
        return False
    try:
        return boolean(value, strict=True)
    except TypeError:
        raise ConsulInputError(f"{key} must be true or false, got {value!r}") from None


def render(settings: dict[str, Any]) -> dict[str, dict[str, dict[str, Any]]]:
    """The two fragments and their expected states from the role's switches (role
    variables without the ``harden_`` prefix). An empty or false switch leaves the
    agent's own setting alone."""
    content: dict[str, Any] = {}
    expect: dict[str, Any] = {}
    script_checks = settings.get("script_checks", "off")
    # YAML reads an unquoted off as false: the operator meant off
    script_checks = "off" if script_checks is False else (script_checks or "")
    if script_checks not in SCRIPT_CHECKS:
        raise ConsulInputError(f"script_checks must be off, local or empty, got {script_checks!r}")
    if script_checks:
        local = script_checks == "local"
        content.update(enable_script_checks=False, enable_local_script_checks=local)
        expect.update(enable_script_checks=False, enable_local_script_checks=local)
    if switch(settings, "disable_remote_exec"):
        content["disable_remote_exec"] = expect["disable_remote_exec"] = True
    if switch(settings, "agent_tls_for_checks"):
        content["enable_agent_tls_for_checks"] = expect["enable_agent_tls_for_checks"] = True
    version = settings.get("tls_min_version") or ""
    if version:
        if version not in TLS_VERSIONS:
            raise ConsulInputError(f"tls_min_version must be one of {', '.join(TLS_VERSIONS)}, got {version!r}")
        content["tls_min_version"] = expect["tls_min_version"] = version
    ciphers = list(settings.get("tls_cipher_suites") or [])
    if ciphers:
        expect["tls_cipher_suites"] = cipher_ids(ciphers)
        content["tls_cipher_suites"] = ",".join(ciphers)
    http_config: dict[str, Any] = {}
    headers = dict(settings.get("http_response_headers") or {})
    if headers:
        http_config["response_headers"] = expect["http_response_headers"] = {
            str(k): str(v) for k, v in headers.items()}
    cidrs = [str(c) for c in settings.get("allow_write_http_from") or []]
    if cidrs:
        http_config["allow_write_http_from"] = expect["allow_write_http_from"] = cidrs
    if http_config:
        content["http_config"] = http_config
    client_addr = str(settings.get("client_addr") or "").strip()
    if client_addr:
        content["client_addr"] = client_addr
        expect["client_addrs"] = client_addr.split()
    restart_limits, restart_shown, reload_limits, reload_shown = _limits(dict(settings.get("limits") or {}))
    if restart_limits:
        content["limits"] = restart_limits
        expect.update(restart_shown)
    return {
        "restart": {"content": content, "expect": expect},
        "reload": {"content": {"limits": reload_limits} if reload_limits else {}, "expect": reload_shown},
    }
