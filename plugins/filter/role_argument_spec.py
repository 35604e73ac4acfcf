# Copyright: consulsec.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter role_argument_spec: the options one of this collection's roles declares."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from ansible.errors import AnsibleFilterError

ROLES = Path(__file__).resolve().parents[2] / "roles"


def role_argument_spec(role: str, entry_point: str = "main") -> dict[str, Any]:
    spec = ROLES / str(role) / "meta" / "argument_specs.yml"
    try:
        return yaml.safe_load(spec.read_text())["argument_specs"][entry_point]["options"]
    except (OSError, KeyError, TypeError, yaml.YAMLError) as exc:
        raise AnsibleFilterError(f"consulsec.hardening has no argument spec for role {role!r}, "
                                 f"entry point {entry_point!r}: {exc}") from None


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {"role_argument_spec": role_argument_spec}
