#!/usr/bin/python
# Copyright: consulsec.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: consul_restart
short_description: One verified restart of a Consul agent - check, write, leave, restart, wait
version_added: 0.5.0
description:
  - The step of a rolling restart for one agent, in one module run on its host. In order,
    stopping at the first step that fails and saying which,
  - (1) checks that the cluster is whole and can lose this agent (O(before), the conditions of
    M(consulsec.hardening.consul_wait), no settle period);
  - (2) writes the phase's configuration fragment (O(fragment)) once C(consul validate)
    accepts the configuration directory with it, as M(consulsec.hardening.consul_fragment)
    does;
  - (3) when the agent was the leader in step 1 and the cluster has more than one voter, has
    it leave the cluster gracefully (O(leader_leave));
  - (4) restarts it (O(restart_command), or its service O(service_name));
  - (5) waits until it is back in the phase's state and the cluster is whole (O(after),
    reached through O(after_connection) where the phase changes how the agent answers, e.g.
    HTTPS once plain HTTP is closed);
  - (6) checks what its host must show then (O(host_expect)).
  - The role C(consulsec.hardening.rolling_restart) runs it on each agent of a batch, in the
    order its planner decided. It is one task instead of about a dozen, for the same checks.
author:
  - consulsec.hardening developers (@consulsec)
extends_documentation_fragment:
  - consulsec.hardening.connection
attributes:
  check_mode:
    support: full
    description: Checks the cluster once (no waiting, no failure), says whether the fragment
      would change, and leaves, restarts and writes nothing. Reports a change, as the run
      would restart the agent.
  diff_mode:
    support: none
    description: The fragment may hold secrets and never goes into a diff.
  idempotent:
    support: none
    description: It restarts the agent each time it runs. The planner of
      C(consulsec.hardening.rolling_restart) runs it only on agents not yet in their phase.
options:
  before:
    description:
      - What must hold before the agent goes, as the options of
        M(consulsec.hardening.consul_wait) (e.g. C(cluster_members_alive), C(leader),
        C(autopilot_healthy), C(voters), C(min_failure_tolerance)); asked of the agent through
        the connection options.
    type: dict
    required: true
  before_timeout:
    description: Seconds to wait for O(before) before failing.
    type: float
    default: 60
  fragment:
    description: The configuration fragment to put in place before the restart.
    type: dict
    required: true
    suboptions:
      config_dir:
        description: The agent's configuration directory.
        type: path
        required: true
      name:
        description: The fragment's file name, with the extension Consul reads it by.
        type: str
        required: true
      content:
        description: The fragment's text, written as given. May hold secrets; never shown.
        type: str
        required: true
      owner:
        description: The file's owner.
        type: str
      group:
        description: The file's group.
        type: str
      mode:
        description: The file's mode, as octal digits in a string.
        type: str
        default: "0640"
      consul_binary:
        description: The C(consul) binary that validates.
        type: path
        default: consul
  leader_leave:
    description:
      - Have the agent leave the cluster gracefully (C(PUT /v1/agent/leave)) before its
        restart when step 1 saw it lead and O(before) asks for more than one voter. A leave
        that ends in an error is reported as a warning and the restart follows (measured on
        Consul 1.8.7, over HTTPS, the agent can shut down before its reply arrives); the
        wait after judges the cluster.
    type: bool
    default: true
  restart_command:
    description:
      - The command that restarts the agent, run without a shell. Empty to restart the
        service O(service_name) with C(systemctl restart) where systemd runs, else with
        C(service <name> restart).
    type: str
    default: ""
  service_name:
    description: The agent's service, when O(restart_command) is empty.
    type: str
    default: consul
  after:
    description:
      - What must hold, for O(settle) seconds in a row, once the agent is restarted, as the
        options of M(consulsec.hardening.consul_wait) (O(before)'s and C(security),
        C(catalog_in_sync)).
    type: dict
    required: true
  after_connection:
    description:
      - How the agent answers once it runs the new fragment, where that differs from the
        connection options (e.g. HTTPS once plain HTTP is closed). Each key given replaces
        the connection option of the same name for the wait after the restart.
    type: dict
    default: {}
    suboptions:
      http_addr:
        description: The agent's API address.
        type: str
        aliases: [consul_http_addr]
      cacert:
        description: The CA bundle to verify the agent's HTTPS certificate with.
        type: str
        aliases: [consul_cacert]
      client_cert:
        description: The client certificate to present (empty for none).
        type: str
        aliases: [consul_client_cert]
      client_key:
        description: The client certificate's key (empty for none).
        type: str
        aliases: [consul_client_key]
      tls_server_name:
        description: The name to check the agent's certificate against.
        type: str
        aliases: [consul_tls_server_name]
  timeout:
    description: Seconds to wait for O(after) in all before failing (and for the leave).
    type: float
    default: 180
  poll_interval:
    description: Seconds between two polls of the agent.
    type: float
    default: 1
  settle:
    description: Seconds every condition of O(after) must hold without interruption.
    type: float
    default: 2
  host_expect:
    description:
      - What the agent's host must show once it is back, by the keys of
        RV(consulsec.hardening.consul_host_info#module:security) (e.g. C(agent_user)).
    type: dict
    default: {}
notes:
  - Run it with the rights to restart the agent and write its configuration (become).
  - A failure names the step (RV(step)) and what was expected and seen; the agent is left as
    that step found or made it. Steps 2 to 5 are safe to repeat, so a run again resumes.
seealso:
  - module: consulsec.hardening.consul_wait
  - module: consulsec.hardening.consul_fragment
  - module: consulsec.hardening.consul_rolling_plan
"""

EXAMPLES = r"""
- name: Restart this agent into the phase's state, verified
  consulsec.hardening.consul_restart:
    before: "{{ plan.conditions[inventory_hostname].before }}"
    fragment:
      config_dir: /etc/consul.d
      name: 50-consulsec-gossip.json
      content: "{{ {'encrypt': gossip_key} | to_nice_json }}\n"
      owner: consul
      group: consul
    after: "{{ plan.conditions[inventory_hostname].after }}"
    restart_command: systemctl restart consul
"""

RETURN = r"""
step:
  description: The step that failed (V(null) on success).
  returned: always
  type: str
  sample: Wait until the agent is back in the phase's state and the cluster is whole
seconds:
  description: Seconds each step took - C(before), C(write), C(leave), C(restart),
    C(until_met) (from the restart until O(after) first held for good) and C(settle).
  returned: always
  type: dict
before:
  description: The check before the restart, as M(consulsec.hardening.consul_wait) returns
    its wait (C(met), C(elapsed), C(held), C(polls), C(conditions), C(history), C(agent)).
  returned: always
  type: dict
fragment:
  description: The fragment's C(path), C(content_changed) and C(validated).
  returned: when the check before passed
  type: dict
left:
  description: Whether the agent was asked to leave the cluster and said it did.
  returned: always
  type: bool
after:
  description: The wait after the restart, as RV(before).
  returned: when the agent was restarted
  type: dict
host:
  description: What the host showed after the restart, by the keys of O(host_expect).
  returned: when O(host_expect) is given and the agent was restarted
  type: dict
"""

import dataclasses
import os
import shlex
import time
from typing import Any

from ansible_collections.consulsec.hardening.plugins.module_utils._client import ConsulClient
from ansible_collections.consulsec.hardening.plugins.module_utils._connection import connection_options
from ansible_collections.consulsec.hardening.plugins.module_utils._errors import ConsulError, ConsulInputError
from ansible_collections.consulsec.hardening.plugins.module_utils._fragment import FRAGMENT_ARGSPEC, write_fragment
from ansible_collections.consulsec.hardening.plugins.module_utils._host_facts import agent_process, host_security
from ansible_collections.consulsec.hardening.plugins.module_utils._module import ConsulModule
from ansible_collections.consulsec.hardening.plugins.module_utils._wait import validate_conditions
from ansible_collections.consulsec.hardening.plugins.module_utils._wait_agent import (
    not_in_state,
    outcome_fields,
    wait_on_agent,
)

STEPS = {
    "before": "Check that the cluster is whole and can lose this agent",
    "write": "Write the phase's fragment once consul validate accepts it",
    "restart": "Restart the agent",
    "after": "Wait until the agent is back in the phase's state and the cluster is whole",
    "host": "Check that the agent's host is in the phase's state",
}
CONNECTION_KEYS = ("http_addr", "cacert", "client_cert", "client_key", "tls_server_name")


class StepFailed(Exception):
    def __init__(self, step: str, msg: str) -> None:
        super().__init__(msg)
        self.step = step


def restart_argv(module: ConsulModule) -> list[str]:
    """The restart command as given, or the service manager's restart of the service."""
    command = module.params["restart_command"].strip()
    if command:
        return shlex.split(command)
    service = module.params["service_name"]
    systemctl = module.get_bin_path("systemctl")
    if systemctl and os.path.isdir("/run/systemd/system"):
        return [systemctl, "restart", service]
    tool = module.get_bin_path("service")
    if tool:
        return [tool, service, "restart"]
    raise ConsulInputError("this host has neither systemd nor a service command: set "
                           "consul_restart_command to the command that restarts the agent")


def after_client(module: ConsulModule) -> ConsulClient:
    """A client for the agent as the new fragment makes it answer."""
    params = dict(module.params)
    params.update({k: v for k, v in (module.params["after_connection"] or {}).items() if v is not None})
    return ConsulClient(connection_options(params))


def leave(client: ConsulClient, timeout: float) -> str | None:
    """Ask the agent to leave gracefully; the error, or None when it said it left."""
    leaving = ConsulClient(dataclasses.replace(client.options, request_timeout=max(timeout, 1.0)))
    try:
        leaving.request("put", "/v1/agent/leave")
    except ConsulError as exc:
        return str(exc)
    return None


def cycle(module: ConsulModule, result: dict[str, Any]) -> None:
    """The six steps, filling ``result`` as they go; StepFailed at the first that fails."""
    params, check = module.params, module.check_mode
    before = validate_conditions(params["before"])
    after = validate_conditions(params["after"])
    client = module.client()
    # refused before anything changes; not in check mode, where the files the new
    # connection needs may not have been written (a check run writes nothing)
    argv, client_after = ([], client) if check else (restart_argv(module), after_client(module))
    seconds = result["seconds"]

    start = time.monotonic()
    outcome = wait_on_agent(client, before, 0.0 if check else params["before_timeout"],
                            params["poll_interval"], 0.0)
    seconds["before"] = round(time.monotonic() - start, 2)
    result["before"] = outcome_fields(outcome)
    if not outcome.met and not check:
        raise StepFailed("before", not_in_state(client.address, outcome, 0.0))

    start = time.monotonic()
    try:
        result["fragment"] = write_fragment(module, params["fragment"], check)
    except (ConsulInputError, OSError) as exc:
        raise StepFailed("write", str(exc)) from None
    seconds["write"] = round(time.monotonic() - start, 2)
    result["changed"] = True
    if check:
        return

    record = outcome.record or {}
    if params["leader_leave"] and record.get("is_leader") and int(before.get("voters", 0)) > 1:
        start = time.monotonic()
        error = leave(client, params["timeout"])
        seconds["leave"] = round(time.monotonic() - start, 2)
        result["left"] = error is None
        if error:
            module.warn(f"the leave of the leader {client.address} ended in an error ({error}); "
                        "restarting it all the same")

    start = time.monotonic()
    rc, out, err = module.run_command(argv)
    seconds["restart"] = round(time.monotonic() - start, 2)
    if rc != 0:
        raise StepFailed("restart", f"{' '.join(argv)} ended with {rc}: {(err + ' ' + out).strip()}")

    outcome = wait_on_agent(client_after, after, params["timeout"], params["poll_interval"], params["settle"])
    result["after"] = outcome_fields(outcome)
    seconds["until_met"] = round(outcome.elapsed - outcome.held_for, 2)
    seconds["settle"] = round(outcome.held_for, 2)
    if not outcome.met:
        raise StepFailed("after", not_in_state(client_after.address, outcome, params["settle"]))

    expect = params["host_expect"] or {}
    if expect:
        security = host_security(agent_process(params["fragment"]["config_dir"]))
        seen = {key: security.get(key) for key in expect}
        result["host"] = seen
        if seen != expect:
            raise StepFailed("host", f"expected {expect} on the host, seen {seen}")


def run(module: ConsulModule) -> dict[str, Any]:
    result: dict[str, Any] = {"changed": False, "step": None, "left": False, "seconds": {}}
    try:
        cycle(module, result)
    except StepFailed as exc:
        result["step"] = STEPS[exc.step]
        module.fail_json(msg=str(exc), **result)
    return result


def main() -> None:
    connection: dict[str, dict[str, Any]] = {key: {"type": "str", "aliases": [f"consul_{key}"]} for key in CONNECTION_KEYS}
    connection["client_key"]["no_log"] = False  # a path, not the key
    module = ConsulModule(
        argument_spec={
            "before": {"type": "dict", "required": True},
            "before_timeout": {"type": "float", "default": 60.0},
            "fragment": {"type": "dict", "required": True, "options": dict(FRAGMENT_ARGSPEC)},
            "leader_leave": {"type": "bool", "default": True},
            "restart_command": {"type": "str", "default": ""},
            "service_name": {"type": "str", "default": "consul"},
            "after": {"type": "dict", "required": True},
            "after_connection": {"type": "dict", "default": {}, "options": connection},
            "timeout": {"type": "float", "default": 180.0},
            "poll_interval": {"type": "float", "default": 1.0},
            "settle": {"type": "float", "default": 2.0},
            "host_expect": {"type": "dict", "default": {}},
        },
        supports_check_mode=True,
    )
    module.run(run)


if __name__ == "__main__":
    main()
