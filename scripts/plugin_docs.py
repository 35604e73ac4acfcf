"""Writes docs/plugins/: one Markdown page per module and filter, made from what
`ansible-doc --json` reads from the code (DOCUMENTATION, EXAMPLES, RETURN and the doc
fragments), and an index. With --check, writes nothing and fails when a page is not what
the code makes (the unit tests run that check).

    python scripts/plugin_docs.py [--check]
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from docs_markup import NAMESPACE, cell, default_of, markdown, paragraphs, stale, type_of

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "plugins"
KINDS = {"module": "modules", "filter": "filter"}
HEADER = "<!-- Made by scripts/plugin_docs.py from the plugin's documentation: edit the plugin, then run the script. -->"


def plugin_names(kind: str) -> list[str]:
    folder = ROOT / "plugins" / KINDS[kind]
    if kind == "module":
        return sorted(f"{NAMESPACE}.{p.stem}" for p in folder.glob("*.py") if not p.stem.startswith("_"))
    return sorted(f"{NAMESPACE}.{p.stem}" for p in folder.glob("*.yml"))


def read_docs(kind: str, names: list[str]) -> dict[str, Any]:
    reply = subprocess.run(["ansible-doc", "--json", "-t", kind, *names],  # noqa: S603,S607
                           check=True, capture_output=True, text=True)
    return json.loads(reply.stdout)


def option_rows(options: dict[str, Any], prefix: str = "") -> list[str]:
    rows = []
    for name, option in sorted(options.items()):
        text = " ".join(paragraphs(option.get("description")))
        aliases = option.get("aliases")
        if aliases:
            text += " Aliases: " + ", ".join(f"`{a}`" for a in aliases) + "."
        default = default_of(option)
        if option.get("required") and default != "required":
            default = "required; " + default
        rows.append(f"| `{prefix}{name}` | {cell(type_of(option))} | {cell(default)} | {cell(text)} |")
        rows += option_rows(option.get("suboptions") or {}, f"{prefix}{name}.")
    return rows


def return_rows(values: dict[str, Any], prefix: str = "") -> list[str]:
    rows = []
    for name, value in sorted(values.items()):
        text = " ".join(paragraphs(value.get("description")))
        kind = value.get("type", "")
        if kind == "list" and value.get("elements"):
            kind += f" of {value['elements']}"
        rows.append(f"| `{prefix}{name}` | {cell(kind)} | {cell(markdown(str(value.get('returned', ''))))} | {cell(text)} |")
        rows += return_rows(value.get("contains") or {}, f"{prefix}{name}.")
    return rows


def render(kind: str, name: str, entry: dict[str, Any]) -> str:
    doc = entry["doc"]
    short = name.removeprefix(NAMESPACE + ".")
    lines = [f"# {name} ({kind})", "", HEADER, "", f"{markdown(doc.get('short_description', ''))}", ""]
    if doc.get("version_added"):
        lines += [f"Added in version {doc['version_added']} of the collection.", ""]
    for paragraph in paragraphs(doc.get("description")):
        lines += [paragraph, ""]
    if doc.get("requirements"):
        lines += ["## Requirements", ""] + [f"- {markdown(r)}" for r in doc["requirements"]] + [""]
    options = doc.get("options") or {}
    if options:
        lines += ["## Options" if kind == "module" else "## Input and options", "",
                  "| option | type | default | description |", "|---|---|---|---|",
                  *option_rows(options), ""]
    attributes = doc.get("attributes") or {}
    if attributes:
        lines += ["## Attributes", "", "| attribute | support | description |", "|---|---|---|"]
        for attr, value in sorted(attributes.items()):
            lines.append(f"| {attr} | {value.get('support', '')} | {cell(' '.join(paragraphs(value.get('description'))))} |")
        lines.append("")
    if doc.get("notes"):
        lines += ["## Notes", ""] + [f"- {markdown(n)}" for n in doc["notes"]] + [""]
    if doc.get("seealso"):
        lines += ["## See also", ""]
        for see in doc["seealso"]:
            target = see.get("module") or see.get("plugin") or see.get("name") or see.get("link", "")
            lines.append(f"- `{target}`" + (f": {markdown(see['description'])}" if see.get("description") else ""))
        lines.append("")
    if entry.get("examples"):
        lines += ["## Examples", "", "```yaml", entry["examples"].strip("\n"), "```", ""]
    returned = entry.get("return") or {}
    if returned:
        lines += ["## Return values", "", "| key | type | returned | description |", "|---|---|---|---|",
                  *return_rows(returned), ""]
    lines += [f"Source: `plugins/{KINDS[kind]}/{short}.py`" if kind == "module"
              else f"Source: `plugins/filter/{short}.yml` (documentation) and its Python file", ""]
    return "\n".join(lines).rstrip("\n") + "\n"


def pages() -> dict[Path, str]:
    """Each page's path and the text the code makes, with the index."""
    out: dict[Path, str] = {}
    index = [f"# {NAMESPACE}: modules and filters", "", HEADER, ""]
    for kind in KINDS:
        names = plugin_names(kind)
        docs = read_docs(kind, names)
        index += [f"## {KINDS[kind].capitalize() if kind == 'module' else 'Filters'}", "",
                  f"| {kind} | what it does |", "|---|---|"]
        for name in names:
            short = name.removeprefix(NAMESPACE + ".")
            out[OUT / f"{short}_{kind}.md"] = render(kind, name, docs[name])
            index.append(f"| [{short}]({short}_{kind}.md) | {cell(markdown(docs[name]['doc'].get('short_description', '')))} |")
        index.append("")
    out[OUT / "README.md"] = "\n".join(index).rstrip("\n") + "\n"
    return out


def unmade(made: dict[Path, str]) -> list[Path]:
    """Pages in docs/plugins that the code no longer makes."""
    return sorted(set(OUT.glob("*.md")) - set(made))


def main(argv: list[str]) -> int:
    made = pages()
    found = stale(made, write="--check" not in argv)
    extra = unmade(made)
    if "--check" in argv:
        if found or extra:
            print("not what the code makes (run scripts/plugin_docs.py): "
                  + ", ".join(str(p.relative_to(ROOT)) for p in [*found, *extra]), file=sys.stderr)
            return 1
        return 0
    for path in extra:
        path.unlink()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
