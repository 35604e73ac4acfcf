"""The README speaks of what the code has: every audit control (id, and the role that fixes
it), every playbook and every module."""

from __future__ import annotations

import re
from pathlib import Path

from ansible_collections.consulsec.hardening.plugins.module_utils._audit import CONTROLS

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()


def test_every_control_is_listed_with_its_fix():
    # the control list's rows: the first cell is the id alone
    cells = [(line.split(" | ")[0].lstrip("| "), line) for line in README.splitlines() if line.startswith("| CSEC-")]
    rows = {first: line for first, line in cells if re.fullmatch(r"CSEC-[A-Z]+-\d+", first)}
    assert sorted(rows) == sorted(c.id for c in CONTROLS)
    for control in CONTROLS:
        assert control.fix in rows[control.id], control.id


def test_every_playbook_and_module_is_named():
    for playbook in (ROOT / "playbooks").glob("*.yml"):
        assert f"consulsec.hardening.{playbook.stem}" in README, playbook.name
    for module in (ROOT / "plugins" / "modules").glob("consul_*.py"):
        assert module.stem in README, module.name
