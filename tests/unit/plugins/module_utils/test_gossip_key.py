"""Gossip keys: what Consul accepts, and the local keyring file trap."""

from __future__ import annotations

import base64

import pytest

from ansible_collections.consulsec.hardening.plugins.module_utils import _gossip_key as gk
from ansible_collections.consulsec.hardening.plugins.module_utils._agent_state import key_fingerprint
from ansible_collections.consulsec.hardening.plugins.module_utils._errors import ConsulInputError

KEY = base64.b64encode(bytes(range(32))).decode()
OTHER = base64.b64encode(bytes(range(1, 33))).decode()


def test_generated_keys_are_valid_and_differ():
    first, second = gk.generate_key(), gk.generate_key()
    assert gk.check_key(first) == first and first != second
    assert len(base64.b64decode(first)) == 32


@pytest.mark.parametrize("size", [16, 24, 32])
def test_accepted_sizes(size):
    key = base64.b64encode(b"k" * size).decode()
    assert gk.check_key(f"  {key}\n") == key


@pytest.mark.parametrize("bad,why", [
    ("", "empty"),
    ("not base64 at all!", "not valid base64"),
    (base64.b64encode(b"k" * 20).decode(), "decodes to 20 bytes"),
    (base64.b64encode(b"k" * 64).decode(), "decodes to 64 bytes"),
])
def test_refused_keys_say_why_without_the_key(bad, why):
    with pytest.raises(ConsulInputError, match=why) as error:
        gk.check_key(bad)
    if bad:
        assert bad not in str(error.value)


def test_keyring_file_verdicts():
    assert gk.keyring_file_verdict(None, KEY, False)["verdict"] == "none"
    assert gk.keyring_file_verdict([OTHER, KEY], KEY, True)["verdict"] == "keep"
    stale = gk.keyring_file_verdict([OTHER], KEY, False)
    assert stale["verdict"] == "move_aside" and OTHER not in stale["why"]
    conflict = gk.keyring_file_verdict([OTHER], KEY, True)
    assert conflict["verdict"] == "conflict" and key_fingerprint(OTHER) in conflict["why"]
    assert KEY not in conflict["why"] and OTHER not in conflict["why"]
