"""Writes the table of the audit's controls into docs/docsite/rst/guide_audit.rst, between
its two markers, from the registry (CONTROLS in plugins/module_utils/_audit.py, the one
place a control is described); with --check, writes nothing and fails when the guide's
table is not what the registry makes (the unit tests run that check).

    python scripts/audit_docs.py [--check]
"""

from __future__ import annotations

import importlib
import re
import sys
from collections.abc import Iterable
from importlib.machinery import ModuleSpec
from importlib.util import module_from_spec
from pathlib import Path
from typing import Any

from docs_markup import NAMESPACE, write_or_check

ROOT = Path(__file__).resolve().parents[1]
GUIDE = ROOT / "docs" / "docsite" / "rst" / "guide_audit.rst"
BEGIN = (".. begin of the controls, made by scripts/audit_docs.py from CONTROLS in "
         "plugins/module_utils/_audit.py: edit the registry, then run the script")
END = ".. end of the controls"
HEADERS = ("ID", "Control", "Severity", "Scope", "Source", "Fixed by")
WIDTHS = (15, 25, 9, 8, 24, 19)
# what starts inline markup in RST: escaped, so the registry's text shows as it is
INLINE = re.compile(r"[\\*`|]|_(?=\W|$)")
FIXER = re.compile(rf"(role|playbook) {re.escape(NAMESPACE)}\.(\w+)")


def registry() -> tuple[Any, ...]:
    """CONTROLS of this checkout. The module utilities import one another relatively, so
    their folder is loaded as a package of its own: no installed copy of the collection
    is read."""
    package = "consulsec_audit_registry"
    if package not in sys.modules:
        spec = ModuleSpec(package, None, is_package=True)
        spec.submodule_search_locations = [str(ROOT / "plugins" / "module_utils")]
        sys.modules[package] = module_from_spec(spec)
    return importlib.import_module(f"{package}._audit").CONTROLS


def text(value: str) -> str:
    return INLINE.sub(lambda found: "\\" + found.group(0), value)


def fix(value: str) -> str:
    """What fixes a control, the collection's role linked to its page."""
    found = FIXER.match(value)
    if not found:
        return text(value)
    kind, name = found.groups()
    target = (f":ref:`{NAMESPACE}.{name} <ansible_collections.{NAMESPACE}.{name}_role>`" if kind == "role"
              else f"``{NAMESPACE}.{name}``")
    return f"{kind} {target}{text(value[found.end():])}"


def table(controls: Iterable[Any]) -> str:
    """The RST list-table of the controls, in registry order."""
    lines = [".. list-table::", "   :header-rows: 1", "   :widths: " + " ".join(map(str, WIDTHS)), ""]
    rows = [list(HEADERS)]
    rows += [[c.id, text(c.title), c.severity, c.scope, text(c.source), fix(c.fix)] for c in controls]
    for first, *cells in rows:
        lines += [f"   * - {first}", *(f"     - {cell}" for cell in cells)]
    return "\n".join(lines) + "\n"


def bounds(guide: str) -> tuple[int, int]:
    """Where the table goes: after the begin marker's line, up to the end marker's."""
    start, end = guide.find(BEGIN + "\n"), guide.find("\n" + END + "\n")
    if start < 0 or end < start:
        raise ValueError(f"{GUIDE.relative_to(ROOT)} lacks the lines {BEGIN!r} and {END!r}, in that order")
    return start + len(BEGIN) + 1, end + 1


def with_table(guide: str, made: str) -> str:
    """The guide's text with ``made`` between its markers, a blank line either side."""
    start, end = bounds(guide)
    return guide[:start] + "\n" + made + "\n" + guide[end:]


def current_table(guide: str) -> str:
    """What stands between the guide's markers now."""
    start, end = bounds(guide)
    return guide[start:end]


def made() -> dict[Path, str]:
    """The guide's path and its text with the table the registry makes."""
    return {GUIDE: with_table(GUIDE.read_text(), table(registry()))}


def main(argv: list[str]) -> int:
    return write_or_check(made, argv, ROOT, "the registry's controls", "scripts/audit_docs.py")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
