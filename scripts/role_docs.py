"""Writes each role's README.md from its meta/argument_specs.yml (the one place a role's
variables are described); with --check, writes nothing and fails when a README is not
what its argument spec makes (the test command runs that check).

    python scripts/role_docs.py [--check]
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import yaml
from docs_markup import NAMESPACE, cell, default_of, markdown, paragraphs, type_of, write_or_check

ROOT = Path(__file__).resolve().parents[1]


def render(role: str, specs: dict[str, Any]) -> str:
    entries = specs["argument_specs"]
    main = entries.get("main", next(iter(entries.values())))
    lines = [f"# {NAMESPACE}.{role}", "",
             "<!-- Made by scripts/role_docs.py from meta/argument_specs.yml: edit that file, then run the script. -->",
             "", markdown(main.get("short_description", "")), ""]
    for name, entry in entries.items():
        lines += [f"## Entry point `{name}`", ""]
        if name != "main":
            lines += [markdown(entry.get("short_description", "")), ""]
        for paragraph in paragraphs(entry.get("description")):
            lines += [f"{paragraph}", ""]
        tasks_from = "" if name == "main" else f"\n      tasks_from: {name}"
        usage = ("    - name: Run the role\n      ansible.builtin.include_role:\n"
                 f"        name: {NAMESPACE}.{role}" + tasks_from.replace("\n      ", "\n        "))
        lines += ["```yaml", "- name: Use it in a play", "  hosts: consul_servers:consul_clients",
                  "  gather_facts: false", "  tasks:", usage, "```", ""]
        options = entry.get("options") or {}
        if options:
            lines += ["| variable | type | default | description |", "|---|---|---|---|"]
            for option_name, option in sorted(options.items()):
                text = " ".join(paragraphs(option.get("description")))
                lines.append(f"| `{option_name}` | {cell(type_of(option))} | {cell(default_of(option))} | {cell(text)} |")
            lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


def readmes() -> dict[Path, str]:
    """Each role's README path and the text its argument spec makes."""
    out = {}
    for spec in sorted(ROOT.glob("roles/*/meta/argument_specs.yml")):
        role = spec.parent.parent
        out[role / "README.md"] = render(role.name, yaml.safe_load(spec.read_text()))
    return out


def main(argv: list[str]) -> int:
    return write_or_check(readmes, argv, ROOT, "the argument specs", "scripts/role_docs.py")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
