"""Writes each role's README.md from its meta/argument_specs.yml (the one place a role's
variables are described); with --check, writes nothing and fails when a README is not
what its argument spec makes (the test command runs that check).

    python scripts/role_docs.py [--check]
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
NAMESPACE = "consulsec.hardening"

# Ansible's documentation markup, as Markdown
MARKUP = [
    (re.compile(r"L\(([^,)]+),\s*([^)]+)\)"), r"[\1](\2)"),
    (re.compile(r"U\(([^)]+)\)"), r"<\1>"),
    (re.compile(r"[BI]\(([^)]+)\)"), r"**\1**"),
    (re.compile(r"(?:C|O|V|RV|E|M)\(([^)]+)\)"), r"`\1`"),
]


def markdown(text: str) -> str:
    for pattern, replacement in MARKUP:
        text = pattern.sub(replacement, text)
    return " ".join(text.split())


def paragraphs(description: str | list[str] | None) -> list[str]:
    if not description:
        return []
    return [markdown(p) for p in ([description] if isinstance(description, str) else description)]


def cell(text: str) -> str:
    return text.replace("|", "\\|")


def default_of(option: dict[str, Any]) -> str:
    if "default" not in option:
        return "required" if option.get("required") else ""
    value = option["default"]
    shown = value if isinstance(value, str) else json.dumps(value)
    return f"`{shown}`" if shown != "" else '`""`'


def type_of(option: dict[str, Any]) -> str:
    kind = option.get("type", "str")
    if kind == "list" and option.get("elements"):
        kind += f" of {option['elements']}"
    if option.get("choices"):
        kind += ": " + ", ".join(f"`{c}`" for c in option["choices"])
    return kind


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
        tasks_from = "" if name == "main" else f"\n      tasks_from: {name}.yml"
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
    stale = []
    for path, text in readmes().items():
        if path.exists() and path.read_text() == text:
            continue
        stale.append(path.relative_to(ROOT))
        if "--check" not in argv:
            path.write_text(text)
    if stale and "--check" in argv:
        print("not what the argument specs make (run scripts/role_docs.py): "
              + ", ".join(map(str, stale)), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
