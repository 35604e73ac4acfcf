"""What running the engine's batches in order costs Ansible itself. Reports figures; not a test.

The rolling-restart engine runs a phase's batches one after the other in one play over every
agent. Three ways to do that, each with the same batch (15 tasks, as many as the engine's),
on plays of 5 and 23 local hosts (no agent: the tasks only print), one batch per host:

  every host    every host runs every batch's tasks, skipping those not its own (the
                engine before 0.1.0)
  own batch     each host includes its own batch only (0.1.0): cheaper, but Ansible runs
                the included files in the order of the hosts' results, not the plan's
  slot          every host includes every batch in the plan's order, and there only the
                batch's hosts include its tasks (the engine now)

It prints each way's time per batch and the order the batches ran in (planned: the hosts in
reverse inventory order). The three run one after the other in each round, so that their
figures stand beside each other.

  . scripts/lib.sh && python benchmarks/batch_include.py --hosts 5,23 --rounds 3
  python benchmarks/batch_include.py --hosts 23 --rounds 1 --ways "own batch,slot"
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TASKS = 15
BATCH = "\n".join(f"- name: Task {n}\n  ansible.builtin.debug:\n    msg: step {n}\n  changed_when: false\n"
                  for n in range(TASKS - 1)) + (
    "- name: Record the batch\n"
    "  ansible.builtin.lineinfile:\n"
    "    path: \"{{ order_file }}\"\n"
    "    line: \"{{ inventory_hostname }}\"\n"
    "    create: true\n"
    "    mode: \"0600\"\n"
    "  delegate_to: localhost\n")
WAYS = {
    "every host": """
    - name: Every batch on every host
      ansible.builtin.include_tasks: every.yml
      loop: "{{ batches }}"
      loop_control: {loop_var: batch}
""",
    "own batch": """
    - name: Each host its own batch
      ansible.builtin.include_tasks: batch.yml
      when: inventory_hostname in batch
      loop: "{{ batches }}"
      loop_control: {loop_var: batch}
""",
    "slot": """
    - name: Every batch's slot on every host
      ansible.builtin.include_tasks: slot.yml
      loop: "{{ range(batches | length) | list }}"
      loop_control: {loop_var: index}
""",
}


def write(work: Path, hosts: int) -> None:
    names = [f"h{n:02d}" for n in range(hosts)]
    (work / "inventory.json").write_text(json.dumps({"all": {
        "hosts": dict.fromkeys(names, {}),
        "vars": {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}}}))
    (work / "batch.yml").write_text("---\n" + BATCH)
    (work / "every.yml").write_text(
        "---\n- name: The batch, skipped by other hosts\n  when: inventory_hostname in batch\n  block:\n"
        + "".join("    " + line + "\n" if line else "\n" for line in BATCH.splitlines()))
    (work / "slot.yml").write_text(
        "---\n- name: The batch's hosts take its tasks\n  ansible.builtin.include_tasks: batch.yml\n"
        "  when: inventory_hostname in batch\n  vars:\n    batch: \"{{ batches[index] }}\"\n")
    batches = [[name] for name in reversed(names)]
    for way, tasks in WAYS.items():
        (work / f"way_{way.replace(' ', '_')}.yml").write_text(
            f"---\n- name: Batches, {way}\n  hosts: all\n  gather_facts: false\n"
            f"  vars:\n    batches: {json.dumps(batches)}\n  tasks:{tasks}")


def run(work: Path, way: str) -> tuple[float, list[str]]:
    order = work / "order.txt"
    order.unlink(missing_ok=True)
    started = time.time()
    subprocess.run(["ansible-playbook", "-i", str(work / "inventory.json"),  # noqa: S603, S607
                    str(work / f"way_{way.replace(' ', '_')}.yml"), "-e", json.dumps({"order_file": str(order)})],
                   check=True, capture_output=True, text=True, timeout=3600)
    return time.time() - started, order.read_text().split()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", maxsplit=1)[0])
    parser.add_argument("--hosts", default="5,23", help="play sizes, comma separated")
    parser.add_argument("--rounds", type=int, default=3, help="runs of each way (the median is kept)")
    parser.add_argument("--ways", default=",".join(WAYS), help="comma separated, of: " + ", ".join(WAYS))
    args = parser.parse_args()
    ways = [way.strip() for way in args.ways.split(",")]
    print("| hosts | way | per batch (s, median of rounds) | batches ran in the planned order |")
    print("|---:|---|---:|---|")
    for hosts in (int(h) for h in args.hosts.split(",")):
        with tempfile.TemporaryDirectory(prefix="consulsec-batches-") as directory:
            work = Path(directory)
            write(work, hosts)
            planned = [f"h{n:02d}" for n in reversed(range(hosts))]
            seconds: dict[str, list[float]] = {way: [] for way in ways}
            in_order: dict[str, bool] = dict.fromkeys(ways, True)
            for _round in range(args.rounds):
                for way in ways:
                    took, order = run(work, way)
                    seconds[way].append(took / hosts)
                    in_order[way] = in_order[way] and order == planned
            for way in ways:
                print(f"| {hosts} | {way} | {statistics.median(seconds[way]):.2f} "
                      f"| {'yes' if in_order[way] else 'no'} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
