# Copyright: consulsec.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure functions for gossip encryption keys: generate, check, name without revealing.

Private module_utils: may change in any release.
"""

from __future__ import annotations

import base64
import binascii
import os

from ._agent_state import key_fingerprint
from ._errors import ConsulInputError

VALID_LENGTHS = (16, 24, 32)


def generate_key() -> str:
    """32 random bytes, base64: what `consul keygen` makes."""
    return base64.b64encode(os.urandom(32)).decode()


def check_key(key: str, source: str = "the gossip key") -> str:
    """Return the key, stripped, if Consul accepts it; else say why, without the key."""
    text = (key or "").strip()
    if not text:
        raise ConsulInputError(f"{source} is empty: give a key made by `consul keygen` "
                               "(base64 of 32 random bytes) or let the module generate one")
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ConsulInputError(
            f"{source} is not valid base64 ({len(text)} characters): a gossip key is the "
            "base64 encoding of 16, 24 or 32 random bytes, as `consul keygen` prints it"
        ) from None
    if len(raw) not in VALID_LENGTHS:
        raise ConsulInputError(
            f"{source} decodes to {len(raw)} bytes; Consul accepts 16, 24 or 32 "
            "(AES-128, -192 or -256). Use `consul keygen` for a 32-byte key"
        )
    return text


def keyring_file_verdict(keys_in_file: list[str] | None, key: str, gossip_encrypted: bool
                         ) -> dict[str, str]:
    """What to do with an agent's existing serf/local.keyring before it gets ``key``.

    Consul loads that file on start and then ignores ``encrypt`` in the config, so a file
    left from an earlier attempt silently wins. Verdicts:
    - ``none``: no file; ``encrypt`` will seed it.
    - ``keep``: the file holds our key (as primary or not): the agent will use it.
    - ``move_aside``: the agent does not encrypt gossip now, so the file is stale: move it
      aside (kept, not deleted) so that ``encrypt`` takes effect.
    - ``conflict``: the agent encrypts gossip with keys that do not include ours: the
      cluster's key must be kept; the operator must give it (or rotate via the keyring).
    """
    if keys_in_file is None:
        return {"verdict": "none", "why": "no local keyring file"}
    if key in keys_in_file:
        return {"verdict": "keep", "why": "the local keyring file holds the key"}
    names = ", ".join(key_fingerprint(k) for k in keys_in_file) or "no key"
    if not gossip_encrypted:
        return {"verdict": "move_aside",
                "why": f"stale local keyring file ({names}) on an agent that does not encrypt "
                       "gossip: it would override encrypt on restart"}
    return {"verdict": "conflict",
            "why": f"the agent encrypts gossip with {names}, not with the key given "
                   f"({key_fingerprint(key)}): give the cluster's key, or rotate it with the keyring"}
