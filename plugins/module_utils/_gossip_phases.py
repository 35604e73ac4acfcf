# Copyright: consulsec.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The gossip encryption migration, declared once: Consul's three-step rolling migration
for an existing cluster (agent communication encryption guide), each phase's settings and
the state a running agent shows once it runs them (consul_agent_info's ``security`` keys).

The role (filter gossip_phases), the benchmark and the unit tests read it from here."""

from __future__ import annotations

from typing import Any

from ._errors import ConsulInputError

# (name, encrypt_verify_incoming, encrypt_verify_outgoing), in the guide's order: the key
# with both checks off, then outgoing, then incoming
STEPS: tuple[tuple[str, bool, bool], ...] = (
    ("key installed, verification off", False, False),
    ("outgoing verification on", False, True),
    ("incoming verification on", True, True),
)


def expected_state(settings: dict[str, Any]) -> dict[str, Any]:
    """What consul_agent_info reports of an agent that runs these gossip settings."""
    return {"gossip_encrypted": bool(settings.get("encrypt")),
            "encrypt_verify_incoming": settings.get("encrypt_verify_incoming", True),
            "encrypt_verify_outgoing": settings.get("encrypt_verify_outgoing", True)}


def gossip_phases(key: str) -> list[dict[str, Any]]:
    """The migration's phases with ``key``: each with name, content (the fragment's
    settings) and expect (the state the agent shows with them)."""
    if not isinstance(key, str) or not key:
        raise ConsulInputError("gossip_phases needs the gossip key (a non-empty string)")
    phases = []
    for name, incoming, outgoing in STEPS:
        content = {"encrypt": key, "encrypt_verify_incoming": incoming, "encrypt_verify_outgoing": outgoing}
        phases.append({"name": name, "content": content, "expect": expected_state(content)})
    return phases
