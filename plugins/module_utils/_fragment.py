# Copyright: consulsec.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Write one configuration fragment into an agent's config dir, only once `consul validate`
accepts the dir together with it (consul_fragment, and consul_restart's write step).

Private module_utils: may change in any release.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from typing import Any

from ansible.module_utils.basic import AnsibleModule

from ._errors import ConsulInputError
from ._files import create_exclusive, file_mode, read_optional, write_atomic

FRAGMENT_ARGSPEC: dict[str, dict[str, Any]] = {
    "config_dir": {"type": "path", "required": True},
    "name": {"type": "str", "required": True},
    "content": {"type": "str", "required": True, "no_log": True},
    "owner": {"type": "str"},
    "group": {"type": "str"},
    "mode": {"type": "str", "default": "0640"},
    "consul_binary": {"type": "path", "default": "consul"},
}


def validate(module: AnsibleModule, binary: str, config_dir: str, name: str, data: bytes) -> None:
    """consul validate of the config dir together with the fragment, staged under its own
    name in a private temporary directory (consul validate skips a file without a .json or
    .hcl extension and still says it is valid); raises what consul said when it refuses."""
    stage = tempfile.mkdtemp(prefix="consulsec-")
    try:
        staged = os.path.join(stage, name)
        create_exclusive(staged, data)
        rc, out, err = module.run_command([binary, "validate", config_dir, staged])
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    if rc != 0:
        raise ConsulInputError(
            f"consul validate refused {config_dir} with the new {name} (exit {rc}): "
            f"{(err + ' ' + out).strip()}. Nothing was written; fix the input or the other "
            "files of the config dir")


def write_fragment(module: AnsibleModule, fragment: dict[str, Any], check_mode: bool) -> dict[str, Any]:
    """Put ``fragment`` (FRAGMENT_ARGSPEC's keys) in place when its contents, owner, group or
    mode differ; the contents are validated first and never returned."""
    mode = file_mode(fragment["mode"])
    config_dir = fragment["config_dir"]
    if not os.path.isdir(config_dir):
        raise ConsulInputError(f"the config dir {config_dir} does not exist")
    path = os.path.join(config_dir, fragment["name"])
    data = fragment["content"].encode()
    content_changed = read_optional(path) != data
    result = {"path": path, "content_changed": content_changed, "validated": False}
    if content_changed and not check_mode:
        validate(module, fragment["consul_binary"], config_dir, fragment["name"], data)
        result["validated"] = True
        write_atomic(path, data, mode)
    file_args = module.load_file_common_arguments(
        {"path": path, "owner": fragment["owner"], "group": fragment["group"], "mode": fragment["mode"]})
    # in check mode a file not written yet has none of them: the content change says it all
    attributes_changed = os.path.exists(path) and module.set_fs_attributes_if_different(file_args, False)
    result["changed"] = content_changed or attributes_changed
    return result
