# Copyright: consulsec.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure functions: render an agent's TLS settings for the Consul version it runs.

The roles declare TLS settings with the top-level keys Consul reads up to 1.11
(``verify_incoming``, ``ca_file``, ...). From 1.12 on those keys are deprecated in favour
of the ``tls { defaults / internal_rpc / https / grpc }`` stanza; ``render`` moves each key
to the place Consul's documentation names for it. Keys that are not TLS settings pass
through unchanged.

Private module_utils: may change in any release.
"""

from __future__ import annotations

import re
from typing import Any

from ._errors import ConsulInputError

STANZA_SINCE = (1, 12)

# deprecated top-level key -> (tls stanza section, key there), as Consul 1.12 documents it
STANZA_PLACES: dict[str, tuple[str, str]] = {
    "ca_file": ("defaults", "ca_file"),
    "ca_path": ("defaults", "ca_path"),
    "cert_file": ("defaults", "cert_file"),
    "key_file": ("defaults", "key_file"),
    "tls_min_version": ("defaults", "tls_min_version"),
    "tls_cipher_suites": ("defaults", "tls_cipher_suites"),
    "verify_incoming": ("defaults", "verify_incoming"),
    "verify_outgoing": ("defaults", "verify_outgoing"),
    "verify_incoming_rpc": ("internal_rpc", "verify_incoming"),
    "verify_incoming_https": ("https", "verify_incoming"),
    "verify_server_hostname": ("internal_rpc", "verify_server_hostname"),
}

# tls_min_version values: "tls12" up to 1.11, "TLSv1_2" in the stanza
MIN_VERSION_NAMES = {"tls10": "TLSv1_0", "tls11": "TLSv1_1", "tls12": "TLSv1_2", "tls13": "TLSv1_3"}


def parse_version(version: str) -> tuple[int, int, int]:
    """(major, minor, patch) from "1.8.7", "v1.12.0+ent" or `consul version`'s first line."""
    found = re.search(r"v?(\d+)\.(\d+)(?:\.(\d+))?", str(version or ""))
    if not found:
        raise ConsulInputError(
            f"cannot tell the Consul version from {version!r}: give it as e.g. 1.8.7"
        )
    major, minor, patch = found.groups()
    return int(major), int(minor), int(patch or 0)


def uses_stanza(version: str) -> bool:
    return parse_version(version)[:2] >= STANZA_SINCE


def render(settings: dict[str, Any], version: str) -> dict[str, Any]:
    """``settings`` (top-level TLS keys and any others) as the given Consul version reads them."""
    if not uses_stanza(version):
        return dict(settings)
    rendered: dict[str, Any] = {}
    stanza: dict[str, dict[str, Any]] = {}
    for key, value in settings.items():
        if key not in STANZA_PLACES:
            rendered[key] = value
            continue
        section, name = STANZA_PLACES[key]
        if key == "tls_min_version":
            value = MIN_VERSION_NAMES.get(str(value).lower(), value)
        stanza.setdefault(section, {})[name] = value
    if stanza:
        tls = {section: dict(values) for section, values in (rendered.get("tls") or {}).items()}
        for section, values in stanza.items():
            tls.setdefault(section, {}).update(values)
        rendered["tls"] = tls
    return rendered
