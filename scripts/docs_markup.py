"""Ansible's documentation markup as Markdown, shared by scripts/role_docs.py and
scripts/plugin_docs.py."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any, Callable

NAMESPACE = "consulsec.hardening"
MARKUP = [
    (re.compile(r"L\(([^,)]+),\s*([^)]+)\)"), r"[\1](\2)"),
    (re.compile(r"U\(([^)]+)\)"), r"<\1>"),
    (re.compile(r"[BI]\(([^)]+)\)"), r"**\1**"),
    # an option or return value of another plugin or role: O(fqcn#module:name),
    # RV(fqcn#module:name), O(fqcn#role:entry_point:name)
    (re.compile(r"(?:O|RV)\(([^)#]+)#[^):]+:(?:[^):]+:)?([^)=]+)(=[^)]*)?\)"), r"`\2\3` of `\1`"),
    (re.compile(r"(?:C|O|V|RV|E|M)\(([^)]+)\)"), r"`\1`"),
    (re.compile(r"HORIZONTALLINE"), ""),
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
    if "default" not in option or option["default"] is None:
        return "required" if option.get("required") else ""
    value = option["default"]
    shown = value if isinstance(value, str) else json.dumps(value)
    return f"`{shown}`" if shown != "" else '`""`'


def type_of(option: dict[str, Any]) -> str:
    kind = option.get("type", "str")
    if kind == "list" and option.get("elements"):
        kind += f" of {option['elements']}"
    if option.get("choices"):
        choices = option["choices"]
        kind += ": " + ", ".join(f"`{c}`" for c in (choices if isinstance(choices, list) else choices.keys()))
    return kind


def stale(made: dict[Any, str], write: bool) -> list[Any]:
    """The paths whose text is not what was made; rewritten unless only checked."""
    out = []
    for path, text in made.items():
        if path.exists() and path.read_text() == text:
            continue
        out.append(path)
        if write:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
    return out


def write_or_check(make: Callable[[], dict[Path, str]], argv: list[str], root: Path, source: str,
                   script: str) -> int:
    """A generator's main: write what ``make`` makes, or with --check write nothing and fail
    naming each file that is not what ``source`` makes."""
    try:
        found = stale(make(), write="--check" not in argv)
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 1
    if found and "--check" in argv:
        print(f"not what {source} make (run {script}): "
              + ", ".join(str(p.relative_to(root)) for p in found), file=sys.stderr)
        return 1
    return 0
