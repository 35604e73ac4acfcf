"""Were the agents restarted in the order the rolling-restart engine announced? The
announcements come from a playbook's output ("restarting in this order: client1 + client2,
server2, server1"), the restarts from the agents themselves: the starts agentctl recorded
(local agents, DetachedCluster.starts) or the starts systemd logged in each container of the
Docker test bed (this script, which scripts/demo runs after securing its cluster).

  python tests/testbed/restart_order.py OUTPUT SINCE HOST...
    OUTPUT: a file with the playbook's output; SINCE: seconds since the epoch; HOST: the
    containers (the inventory's names). Exit 0 when every batch restarted as announced.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

STARTED = re.compile(r"^(\d+\.\d+) \S+ systemd\[1\]: Started consul\.service")


def announced_phases(output: str) -> list[list[list[str]]]:
    """Each phase's batches as the engine announced them in a playbook's output."""
    text = " ".join(output.split())
    return [[[name.strip() for name in batch.split(" + ")] for batch in order.strip().split(", ")]
            for order in re.findall(r"restarting in this order: ([^\\\"(]*)", text)]


def announced_batches(output: str) -> list[list[str]]:
    """The batches the engine announced in a playbook's output, phase after phase."""
    return [batch for phase in announced_phases(output) for batch in phase]


def mismatch(batches: list[list[str]], started: list[str]) -> str | None:
    """Why the starts (in order) are not the announced batches (a batch's agents restart
    together, in any order among themselves); None when they are."""
    if not batches or len(started) != sum(map(len, batches)):
        return f"announced {batches}, restarted {started}"
    rest = started
    for batch in batches:
        if sorted(rest[:len(batch)]) != sorted(batch):
            return f"announced {batches}, restarted {started}"
        rest = rest[len(batch):]
    return None


def container_starts(hosts: list[str], since: float) -> list[str]:
    """The containers' consul.service starts after ``since``, in the order systemd logged them."""
    found = []
    for host in hosts:
        journal = subprocess.run(["docker", "exec", host, "journalctl", "-u", "consul", "-o", "short-unix",  # noqa: S603,S607
                                  "--no-pager"], capture_output=True, text=True, check=True).stdout
        found += [(float(m.group(1)), host) for m in map(STARTED.match, journal.splitlines())
                  if m and float(m.group(1)) > since]
    return [host for _at, host in sorted(found)]


def main(argv: list[str]) -> int:
    output, since, hosts = Path(argv[0]).read_text(), float(argv[1]), argv[2:]
    batches, started = announced_batches(output), container_starts(hosts, since)
    problem = mismatch(batches, started)
    if problem:
        print(f"NOT as announced: {problem}")
        return 1
    print(f"Every restart as announced, read from the agents' starts ({len(started)} restarts in "
          f"{len(batches)} batches): {', '.join(' + '.join(b) for b in batches)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
