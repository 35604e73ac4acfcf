# Copyright: consulsec.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Keep one object as given (a policy, role, token, intention): the decision and result
shape the modules share; the module says how to compare, show, write and remove it.

Private module_utils: may change in any release.
"""

from __future__ import annotations

from typing import Any, Callable

Obj = dict[str, Any]


def keep(present: Obj | None, wanted: Obj | None, check_mode: bool,
         show: Callable[[Obj], Obj], compare: Callable[[Obj, Obj], list[str]],
         write: Callable[[Obj | None, Obj], Obj], remove: Callable[[Obj], None]) -> dict[str, Any]:
    """``wanted`` None means absent. Returns changed, changes, the object as shown after
    (``after``; None when absent) and the diff. Nothing is sent in check mode."""
    before = show(present) if present else {}
    if wanted is None:
        if present and not check_mode:
            remove(present)
        return {"changed": present is not None, "changes": ["removed"] if present else [],
                "after": None, "diff": {"before": before, "after": {}}}
    changes = compare(present, wanted) if present else ["created"]
    # unchanged: what the server holds (e.g. rules without the given trailing blanks)
    after = dict(present or {}, **wanted) if changes else present
    if changes and not check_mode:
        after = write(present, wanted)
    shown = show(after)
    return {"changed": bool(changes), "changes": changes, "after": shown,
            "diff": {"before": before, "after": shown}}


def module_result(kept: dict[str, Any], key: str) -> dict[str, Any]:
    """A module's result from ``keep``'s, the object shown under ``key``."""
    return {"changed": kept["changed"], "changes": kept["changes"], key: kept["after"],
            "diff": kept["diff"]}
