"""Make the collection importable as ansible_collections.consulsec.hardening."""

from __future__ import annotations

import functools
import importlib.util
import json
import sys
import tempfile
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "consul-1.8.7"


def _importable_collection() -> None:
    try:
        import ansible_collections.consulsec.hardening  # noqa: F401
        return
    except ImportError:
        pass
    if ROOT.parent.parent.name == "ansible_collections":  # already an installed layout
        sys.path.insert(0, str(ROOT.parents[2]))
        return
    link_root = Path(tempfile.mkdtemp(prefix="consulsec-unit-"))
    target = link_root / "ansible_collections" / "consulsec"
    target.mkdir(parents=True)
    (target / "hardening").symlink_to(ROOT)
    sys.path.insert(0, str(link_root))


_importable_collection()


def load_reply(name: str) -> dict[str, Any]:
    """A recorded reply: {"status": int, "json": ...} or {"status": int, "text": str}."""
    return json.loads((FIXTURES / f"{name}.json").read_text())


def load(name: str) -> Any:
    reply = load_reply(name)
    return reply["json"] if "json" in reply else reply["text"]


@pytest.fixture
def recorded():
    return load


@functools.cache
def load_script(name: str) -> ModuleType:
    """One of the repository's scripts (scripts/<name>.py), loaded once."""
    scripts = ROOT / "scripts"
    if str(scripts) not in sys.path:  # the scripts import their shared markup
        sys.path.insert(0, str(scripts))
    spec = importlib.util.spec_from_file_location(name, scripts / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
