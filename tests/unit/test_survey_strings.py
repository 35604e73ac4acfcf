"""AWX hands survey answers to a job as strings ("false", "180", "html, json"), and a role's
argument spec checks a variable without converting it: the role itself must read every
bool and number variable through `| bool`, `| int` or `| float`, and every list of strings
through `| consulsec.hardening.string_list` (a comma-separated string split as the spec
check splits it), or hand it to an option that converts (a module's typed option, the
harden filter's switches). Scans every Jinja expression of every role for such variables
read bare."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
# the types a survey string must be converted to, each by the filter of its name
CONVERT = {"bool", "int", "float"}
EXPRESSION = re.compile(r"{{(.*?)}}|{%(.*?)%}", re.S)
# keys whose values are Jinja expressions without braces
CONDITIONS = {"when", "that", "failed_when", "changed_when", "until"}
# where a bare value is fine, and why
TYPED_SINKS = {
    ("acl_sync_settle", "roles/acl/vars/main.yml"): "consul_wait's settle (float)",
    ("harden_disable_remote_exec", "roles/harden/vars/main.yml"): "consul_harden_config reads survey strings",
    ("harden_agent_tls_for_checks", "roles/harden/vars/main.yml"): "consul_harden_config reads survey strings",
    ("tls_https_port", "roles/tls/vars/main.yml"): "a part of a URL",
}


def typed_variables() -> dict[str, str]:
    out = {}
    for spec in ROOT.glob("roles/*/meta/argument_specs.yml"):
        for entry in yaml.safe_load(spec.read_text())["argument_specs"].values():
            for name, option in (entry.get("options") or {}).items():
                if option.get("type") in CONVERT:
                    out[name] = option["type"]
                elif option.get("type") == "list" and option.get("elements") == "str":
                    out[name] = "string_list"
    return out


def conditions(node: object) -> list[str]:
    """The bare Jinja expressions of a YAML document (when, assert's that, ...)."""
    if isinstance(node, list):
        return [e for item in node for e in conditions(item)]
    if not isinstance(node, dict):
        return []
    out = []
    for key, value in node.items():
        if key in CONDITIONS:
            out += [v for v in (value if isinstance(value, list) else [value]) if isinstance(v, str)]
        else:
            out += conditions(value)
    return out


def bare_reads() -> list[tuple[str, str, str]]:
    variables = typed_variables()
    found = []
    files = [*ROOT.glob("roles/*/tasks/*.yml"), *ROOT.glob("roles/*/vars/*.yml"),
             *ROOT.glob("roles/*/templates/*"), *ROOT.glob("roles/*/meta/main.yml"), *ROOT.glob("playbooks/*.yml")]
    for path in files:
        text = path.read_text()
        expressions = [m.group(1) or m.group(2) for m in EXPRESSION.finditer(text)]
        if path.suffix == ".yml":
            expressions += conditions(yaml.safe_load(text))
        for expression in expressions:
            for name, kind in variables.items():
                for use in re.finditer(rf"(?<!['\"])\b{name}\b(?!['\"])((?:\s*\)\s*)*)(\s*\|\s*([\w.]+))?", expression):
                    if (use.group(3) or "").rsplit(".", 1)[-1] != kind:
                        found.append((name, str(path.relative_to(ROOT)), expression.strip()))
    return found


def test_every_bool_and_number_variable_is_converted_where_it_is_read():
    unconverted = [(name, path, expression) for name, path, expression in bare_reads()
                   if (name, path) not in TYPED_SINKS]
    assert unconverted == []


def test_the_scan_sees_what_it_allows():
    """The allowed sinks exist (the scan finds them), so the test above can fail."""
    assert {(found[0], found[1]) for found in bare_reads()} >= set(TYPED_SINKS)
