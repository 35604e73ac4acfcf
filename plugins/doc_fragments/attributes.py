# Copyright: consulsec.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    # Every module: member of the action group
    DOCUMENTATION = r"""
options: {}
attributes:
  action_group:
    description: Use C(group/consulsec.hardening.consul) in C(module_defaults) to set the
      connection options once.
    support: full
    membership:
      - consulsec.hardening.consul
"""

    # Modules that only read
    READ_ONLY = r"""
options: {}
attributes:
  check_mode:
    support: full
    description: Reads only; runs the same in check mode.
  diff_mode:
    support: none
    description: Reads only; nothing to diff.
  idempotent:
    support: full
    description: Never changes anything.
"""

    # Modules that keep one object (a policy, role, token, intention) as given
    KEEPS_OBJECT = r"""
options: {}
attributes:
  check_mode:
    support: full
    description: Reports what would change; sends no write.
  diff_mode:
    support: full
    description: Shows the object before and after, never a secret.
  idempotent:
    support: full
    description: An object as given is left alone.
"""
