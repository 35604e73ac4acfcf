# Copyright: consulsec.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Wait on a live agent: the polls of consul_wait and of consul_restart's checks before and
after a restart (the judgements themselves are _wait's pure functions).

Private module_utils: may change in any release.
"""

from __future__ import annotations

import time
from typing import Any

from ._agent_info import gather_agent
from ._client import ConsulClient
from ._errors import ConsulError
from ._wait import WaitOutcome, describe_unmet, needed_parts, wait_for


def wait_on_agent(client: ConsulClient, conditions: dict[str, Any], timeout: float,
                  poll_interval: float, settle: float) -> WaitOutcome:
    """Poll the agent until ``conditions`` (validated) held for ``settle`` seconds, or
    ``timeout`` passed; an agent that does not answer is an unmet state, not an error."""
    parts = needed_parts(conditions)

    def observe() -> tuple[dict[str, Any] | None, str | None]:
        try:
            return gather_agent(client, parts), None
        except ConsulError as exc:
            return None, str(exc)

    return wait_for(observe, conditions, timeout=timeout, poll_interval=poll_interval,
                    settle=settle, clock=time.monotonic, sleep=time.sleep)


def outcome_fields(outcome: WaitOutcome) -> dict[str, Any]:
    """A wait's outcome as the modules return it."""
    return {"met": outcome.met, "elapsed": round(outcome.elapsed, 2), "held": round(outcome.held_for, 2),
            "polls": outcome.polls, "conditions": outcome.results, "history": outcome.history,
            "agent": outcome.record}


def not_in_state(address: str, outcome: WaitOutcome, settle: float) -> str:
    """Why a wait failed: each condition not met with what was seen, and the way there."""
    unmet = describe_unmet(outcome.results)
    if unmet:
        unmet = f"Not met: {unmet}"
    else:
        unmet = (f"Every condition held, but only for {outcome.held_for:.1f}s of the "
                 f"{settle:g}s settle period")
    return (f"{address}: after {outcome.elapsed:.0f}s the agent is not in the state asked for. "
            f"{unmet}. Seen on the way: {' | '.join(outcome.history)}")
