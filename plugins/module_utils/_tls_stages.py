# Copyright: consulsec.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The TLS migration's stages, declared once: what each stage writes on an agent and what
the agent shows once it runs it.

Consul's guide turns verify_incoming, verify_outgoing and verify_server_hostname on in
one roll; on 1.8.7 that partitions the cluster (the first server restarted that way
refuses the old leader's plain connections; docs/measured-behaviour.md). Outgoing first,
then incoming, rolls cleanly; a fourth stage closes plain HTTP or keeps it on loopback.

The settings use the top-level keys Consul reads up to 1.11 (``_tls_config.render``
turns them into the agent version's). The role, the benchmark and the tests read the
stages from here.

Private module_utils: may change in any release.
"""

from __future__ import annotations

from typing import Any

from ._errors import ConsulInputError

VERIFY = (
    {"verify_incoming": False, "verify_outgoing": False, "verify_server_hostname": False},
    {"verify_incoming": False, "verify_outgoing": True, "verify_server_hostname": True},
    {"verify_incoming": True, "verify_outgoing": True, "verify_server_hostname": True},
)
NAMES = ("certificates in place, verification off", "outgoing verification and server hostname on",
         "incoming verification on")
HTTP_MODES = ("closed", "loopback", "keep")


def _shown(verify: dict[str, bool]) -> dict[str, bool]:
    """The security keys of consul_agent_info for the verify settings."""
    return {f"tls_{key}": value for key, value in verify.items()}


def tls_stages(role: str, files: dict[str, str], https_port: int, auto_encrypt: bool = False,
               http: str = "closed", http_loopback_address: str = "127.0.0.1", http_port: int = 8500,
               dns_names: list[str] | None = None, ip_addresses: list[str] | None = None
               ) -> list[dict[str, Any]]:
    """Each stage on one agent as ``{name, settings, expect}``: three verify stages, and a
    fourth that closes plain HTTP (``http`` ``closed``) or keeps it on loopback only
    (``loopback``); none with ``keep``.

    ``role``: ``server`` or ``client``; ``files``: ``ca_file``, ``cert_file``, ``key_file``
    on the agent. With ``auto_encrypt`` the servers sign each client's certificate with
    the Connect CA: a client gets the CA file only, takes ``auto_encrypt.tls`` (and HTTPS,
    which needs that certificate) in stage 2, once every server allows it, and in stage 3
    verifies incoming RPC only. With verify_incoming on HTTPS as well, every caller of its
    API would need a certificate of the agent CA while it serves one of the Connect CA
    (measured on 1.8.7): that is the client example of Consul's security model."""
    if role not in ("server", "client"):
        raise ConsulInputError(f"role must be server or client, got {role!r}")
    if http not in HTTP_MODES:
        raise ConsulInputError(f"http must be one of {', '.join(HTTP_MODES)}, got {http!r}")
    https = {"ports": {"https": int(https_port)}}
    auto_client = auto_encrypt and role == "client"
    if not auto_encrypt:
        auto: dict[str, Any] = {}
    elif role == "server":
        auto = {"auto_encrypt": {"allow_tls": True}}
    else:
        auto = {"auto_encrypt": {"tls": True, "dns_san": list(dns_names or []),
                                 "ip_san": list(ip_addresses or [])}}
    if auto_client:
        agent_files = {"ca_file": files["ca_file"]}
        settings = [{**agent_files, **VERIFY[0]},
                    {**agent_files, **VERIFY[1], **https, **auto},
                    {**agent_files, **VERIFY[1], "verify_incoming_rpc": True, **https, **auto}]
        shown = {"auto_encrypt_tls": True, "https_port": int(https_port)}
        expect = [_shown(VERIFY[0]), {**_shown(VERIFY[1]), **shown},
                  {**shown, "tls_verify_incoming_rpc": True, "tls_verify_incoming_https": False,
                   "tls_verify_outgoing": True, "tls_verify_server_hostname": True}]
    else:
        settings = [{**verify, **files, **https, **auto} for verify in VERIFY]
        allow = {"auto_encrypt_allow_tls": True} if auto_encrypt else {}
        expect = [{**_shown(verify), "https_port": int(https_port), **allow} for verify in VERIFY]
    stages = [{"name": name, "settings": stage, "expect": shown_state}
              for name, stage, shown_state in zip(NAMES, settings, expect)]
    if http == "closed":
        stages.append({"name": "plain HTTP closed",
                       "settings": {**settings[2], "ports": {"https": int(https_port), "http": -1}},
                       "expect": {**expect[2], "http_port": -1}})
    elif http == "loopback":
        stages.append({"name": "plain HTTP on loopback only",
                       "settings": {**settings[2], **https, "addresses": {"http": http_loopback_address}},
                       "expect": {**expect[2],
                                  "http_addrs": [f"tcp://{http_loopback_address}:{int(http_port)}"]}})
    return stages
