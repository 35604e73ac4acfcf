"""The docs speak of what the code has: the README names every playbook and every module
(the audit guide's table of controls is tested in test_audit_guide.py); each role's README is what its
argument spec makes; each module's and filter's page in docs/plugins is what ansible-doc
reads from the code; every module's EXAMPLES use only the options its DOCUMENTATION gives
(which ansible-test's validate-modules holds to the argument spec), and its RETURN parses."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
import yaml

from tests.unit.conftest import load_script

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()


def test_every_playbook_and_module_is_named():
    for playbook in (ROOT / "playbooks").glob("*.yml"):
        assert f"consulsec.hardening.{playbook.stem}" in README, playbook.name
    for module in (ROOT / "plugins" / "modules").glob("consul_*.py"):
        assert module.stem in README, module.name


def test_each_role_readme_is_what_its_argument_spec_makes():
    role_docs = load_script("role_docs")
    stale = [str(path.relative_to(ROOT)) for path in load_script("docs_markup").stale(role_docs.readmes(), write=False)]
    assert stale == [], "run scripts/role_docs.py"


def test_each_plugin_page_is_what_ansible_doc_reads_from_the_code():
    plugin_docs = load_script("plugin_docs")
    made = plugin_docs.pages()
    stale = [str(path.relative_to(ROOT)) for path in plugin_docs.stale(made, write=False)]
    unmade = [str(path.relative_to(ROOT)) for path in plugin_docs.unmade(made)]
    assert (stale, unmade) == ([], []), "run scripts/plugin_docs.py"
    modules = sorted(p.stem for p in (ROOT / "plugins" / "modules").glob("consul_*.py"))
    assert sorted(p.name.removesuffix("_module.md") for p in made if p.name.endswith("_module.md")) == modules


def doc_strings(path: Path) -> dict[str, str]:
    tree = ast.parse(path.read_text())
    return {node.targets[0].id: node.value.value for node in tree.body
            if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name)
            and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)}


def fragment_options(name: str) -> set[str]:
    """The options of a doc fragment of the collection (consulsec.hardening.file[.VAR])."""
    module, _dot, var = name.removeprefix("consulsec.hardening.").partition(".")
    strings = {}
    tree = ast.parse((ROOT / "plugins" / "doc_fragments" / f"{module}.py").read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name) and isinstance(node.value, ast.Constant):
            strings[node.targets[0].id] = node.value.value
    return set((yaml.safe_load(strings[var or "DOCUMENTATION"]).get("options") or {}))


@pytest.mark.parametrize("module", sorted(p.stem for p in (ROOT / "plugins" / "modules").glob("consul_*.py")))
def test_module_examples_use_only_documented_options(module):
    docs = doc_strings(ROOT / "plugins" / "modules" / f"{module}.py")
    documentation = yaml.safe_load(docs["DOCUMENTATION"])
    options = set(documentation.get("options") or {})
    for spec in (documentation.get("options") or {}).values():
        options.update(spec.get("aliases") or [])
    for fragment in documentation.get("extends_documentation_fragment") or []:
        options |= fragment_options(fragment)
    assert isinstance(yaml.safe_load(docs["RETURN"]), dict)
    tasks = yaml.safe_load(docs["EXAMPLES"])
    used = [task[f"consulsec.hardening.{module}"] for task in tasks if f"consulsec.hardening.{module}" in task]
    assert used, f"{module}: no example uses it"
    for args in used:
        assert set(args or {}) <= options, (module, set(args or {}) - options)


def test_every_module_that_talks_to_an_agent_is_in_the_action_group():
    """module_defaults: {group/consulsec.hardening.consul: ...} is how the roles give every
    such module its connection; a module outside the group would talk to the default address."""
    group = set(yaml.safe_load((ROOT / "meta" / "runtime.yml").read_text())["action_groups"]["consul"])
    talking = set()
    for path in (ROOT / "plugins" / "modules").glob("consul_*.py"):
        documentation = yaml.safe_load(doc_strings(path)["DOCUMENTATION"])
        if "consulsec.hardening.connection" in (documentation.get("extends_documentation_fragment") or []):
            talking.add(path.stem)
    assert talking == group
