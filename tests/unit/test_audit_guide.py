"""The audit guide (docs/docsite/rst/guide_audit.rst) speaks of the registry: its table of
controls is what scripts/audit_docs.py makes from CONTROLS, and the guide names every
control of the registry and no other, in its table and in its text."""

from __future__ import annotations

import difflib
import re
from pathlib import Path
from types import ModuleType

from ansible_collections.consulsec.hardening.plugins.module_utils._audit import CONTROLS
from tests.unit.conftest import load_script

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "docs" / "docsite" / "rst" / "guide_audit.rst"
CONTROL_ID = re.compile(r"\bCSEC-[A-Z]+-\d+\b")


def audit_docs() -> ModuleType:
    return load_script("audit_docs")


def table_problems(guide: str) -> list[str]:
    """Why the guide's table is not what the registry makes; empty when it is."""
    script = audit_docs()
    made = script.table(CONTROLS).strip("\n").splitlines()
    now = script.current_table(guide).strip("\n").splitlines()
    if now == made:
        return []
    # - in the guide, + from the registry
    changed = [line for line in difflib.ndiff(now, made) if line[:2] in ("- ", "+ ")]
    return [f"not what the registry makes (run scripts/audit_docs.py): {changed[:6]}"]


def naming_problems(guide: str) -> list[str]:
    """Controls of the registry the guide's table does not name, and controls the guide names
    anywhere that the registry lacks."""
    ids = {control.id for control in CONTROLS}
    in_table = set(CONTROL_ID.findall(audit_docs().current_table(guide)))
    anywhere = set(CONTROL_ID.findall(guide))
    return ([f"{i} is in the registry, not in the guide's table" for i in sorted(ids - in_table)]
            + [f"{i} is named in the guide, not in the registry" for i in sorted(anywhere - ids)])


def test_the_guide_table_is_what_the_registry_makes():
    assert table_problems(GUIDE.read_text()) == []


def test_the_script_reads_the_same_registry_and_its_check_passes():
    script = audit_docs()
    assert [c.id for c in script.registry()] == [c.id for c in CONTROLS]
    made = load_script("docs_markup").stale(script.made(), write=False)
    stale = [str(path.relative_to(ROOT)) for path in made]
    assert stale == [], "run scripts/audit_docs.py"


def test_the_guide_names_every_control_and_no_other():
    assert naming_problems(GUIDE.read_text()) == []


def test_a_guide_out_of_step_with_the_registry_is_caught():
    """The checks above on scratch copies of the guide (with the registry's table): a title
    changed in the table, a control's row missing, a control the registry does not have."""
    script = audit_docs()
    guide = script.with_table(GUIDE.read_text(), script.table(CONTROLS))
    assert table_problems(guide) == []
    first = CONTROLS[0]
    retitled = guide.replace(f"   * - {first.id}\n     - {first.title}\n",
                             f"   * - {first.id}\n     - {first.title}, mostly\n", 1)
    assert retitled != guide
    assert table_problems(retitled) != []
    row = re.compile(rf"   \* - {re.escape(first.id)}\n(?:     - .*\n)+")
    without_row = row.sub("", guide, count=1)
    assert without_row != guide
    assert f"{first.id} is in the registry, not in the guide's table" in naming_problems(without_row)
    unknown = guide + "\n``CSEC-GOSSIP-99`` is not a control.\n"
    assert "CSEC-GOSSIP-99 is named in the guide, not in the registry" in naming_problems(unknown)
