"""The coverage table (docs/security-model-coverage.md) speaks of the registry: every control
of CONTROLS judges at least one of its rows, it names no control the registry lacks, and
every row's "Judged by" cell names a control or says "Not judged:" and why."""

from __future__ import annotations

import re
from pathlib import Path

from ansible_collections.consulsec.hardening.plugins.module_utils._audit import CONTROLS

ROOT = Path(__file__).resolve().parents[2]
COVERAGE = ROOT / "docs" / "security-model-coverage.md"
CONTROL_ID = re.compile(r"\bCSEC-[A-Z]+-\d+\b")
ROW = re.compile(r"^\| *(SM|CORE|CONN|ENC|MBP)-\d+ *\|")
JUDGED = 3  # the cells of a row: Row, Heading, Asks for, Judged by, Set by


def rows(text: str) -> list[list[str]]:
    """The table's rows (not its header), each as its cells."""
    return [[cell.strip() for cell in line.strip().strip("|").split("|")]
            for line in text.splitlines() if ROW.match(line)]


def problems(text: str) -> list[str]:
    """Why the table is out of step with the registry; empty when it is not."""
    table = rows(text)
    found = [f"{cells[0]}: the judgement cell is empty" for cells in table if not cells[JUDGED]]
    found += [f"{cells[0]}: names no control and does not say 'Not judged:' and why" for cells in table
              if cells[JUDGED] and not CONTROL_ID.search(cells[JUDGED])
              and not re.match(r"Not judged: \S", cells[JUDGED])]
    ids = {control.id for control in CONTROLS}
    judging = {i for cells in table for i in CONTROL_ID.findall(cells[JUDGED])}
    found += [f"{i} is in the registry and judges no row" for i in sorted(ids - judging)]
    found += [f"{i} is named in the table, not in the registry" for i in sorted(set(CONTROL_ID.findall(text)) - ids)]
    return found if table else ["the table has no rows"]


def test_the_table_names_every_control_and_no_other_and_judges_every_row():
    assert problems(COVERAGE.read_text()) == []


def test_a_table_out_of_step_with_the_registry_is_caught():
    """The check above on scratch copies: a control renamed, a row's judgement emptied."""
    text = COVERAGE.read_text()
    first = CONTROLS[0].id
    renamed = text.replace(first, "CSEC-GOSSIP-99")
    assert f"{first} is in the registry and judges no row" in problems(renamed)
    assert "CSEC-GOSSIP-99 is named in the table, not in the registry" in problems(renamed)
    line = next(line for line in text.splitlines() if ROW.match(line))
    cells = line.split("|")
    cells[JUDGED + 1] = " "
    emptied = text.replace(line, "|".join(cells), 1)
    assert f"{rows(line)[0][0]}: the judgement cell is empty" in problems(emptied)
