"""Run the slow tests (each integration test file, each Molecule scenario) in parallel lanes.

Each lane takes the longest job still waiting, so that the lanes end together instead of one
waiting on the other. Only one Molecule scenario runs at a time (they share Docker and its
networks); local agents of different lanes get different loopback prefixes (lane 1
127.0.1.x, lane 2 127.0.2.x, ...), so two test files never ask for the same address.

Every job's output goes to <out>/<job>.log, each line stamped with the time of day. At the
end: each job's lane, start and time, each lane's time, the slowest tests (pytest's JUnit
reports and the Molecule scenarios), and the end of each failed job's log. The exit status
is 1 when a job failed.

    python tests/testbed/lanes.py --out DIR [--lanes 2] [--no-docker] [job ...]
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Minutes each job took in a whole run on 2 busy cores (scripts/test prints the figures of
# its run at the end): the longest is started first. A file not listed counts as 1 minute.
MINUTES = {
    "molecule-tls": 31, "test_playbook_tls": 23, "molecule-gossip": 12, "test_playbook_acl": 9,
    "test_playbook_harden": 6, "test_tls_guide_trap": 4, "molecule-downstream": 3,
    "test_playbook_rotate_key": 2, "test_acl_modules": 2, "test_audit_flaws": 2,
    "test_consul_wait": 2, "test_consul_restart": 1.5, "test_consul_audit": 1.5,
    "test_playbook_cluster_state": 1.5,
}


@dataclass
class Job:
    name: str
    command: list[str]
    cwd: Path = ROOT
    docker: bool = False
    junit: Path | None = None
    lane: int = 0
    start: float = 0.0
    seconds: float = 0.0
    # CPU seconds of the job's process tree as it reaped it (pytest or molecule, Ansible and
    # its workers, local modules, docker exec; not the detached agents nor the containers)
    cpu: float = 0.0
    status: int | None = None
    log: Path = field(default_factory=Path)

    @property
    def minutes(self) -> float:
        return MINUTES.get(self.name, 1.0)


def jobs(out: Path, basetemp: Path, docker: bool, only: list[str]) -> list[Job]:
    found = []
    for test in sorted((ROOT / "tests" / "integration").glob("test_*.py")):
        junit = out / f"{test.stem}.xml"
        found.append(Job(test.stem, [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                                     f"--basetemp={basetemp / test.stem}", f"--junitxml={junit}",
                                     "-o", "junit_family=xunit2", str(test.relative_to(ROOT))], junit=junit))
    if docker:
        for scenario in ("gossip", "tls"):
            found.append(Job(f"molecule-{scenario}", ["molecule", "test", "-s", scenario], docker=True))
        # a team's own role around the collection's roles, tested as the team would
        found.append(Job("molecule-downstream", ["molecule", "test"], docker=True,
                         cwd=ROOT / "tests" / "downstream" / "roles" / "site_consul"))
    if only:
        unknown = set(only) - {job.name for job in found}
        if unknown:
            sys.exit(f"no such job: {', '.join(sorted(unknown))}")
        found = [job for job in found if job.name in only]
    return sorted(found, key=lambda job: -job.minutes)


class Lanes:
    def __init__(self, pending: list[Job], lanes: int, out: Path) -> None:
        self.pending = pending
        self.lanes = lanes
        self.out = out
        self.lock = threading.Condition()
        self.docker_busy = False
        self.running: dict[int, subprocess.Popen] = {}
        self.done: list[Job] = []
        self.t0 = time.monotonic()

    def take(self) -> Job | None:
        """The longest waiting job this lane may start now; None when none is left."""
        with self.lock:
            while self.pending:
                for job in self.pending:
                    if not (job.docker and self.docker_busy):
                        self.pending.remove(job)
                        self.docker_busy |= job.docker
                        return job
                self.lock.wait()
            return None

    def run_lane(self, lane: int) -> None:
        while (job := self.take()) is not None:
            job.lane, job.start = lane, time.monotonic() - self.t0
            job.log = self.out / f"{job.name}.log"
            env = dict(os.environ, CONSULSEC_LOCAL_PREFIX=f"127.0.{lane}.")
            with job.log.open("w") as log:
                log.write(f"# {' '.join(job.command)} (lane {lane})\n")
                log.flush()
                process = subprocess.Popen(job.command, cwd=job.cwd, env=env, stdout=subprocess.PIPE,  # noqa: S603
                                           stderr=subprocess.STDOUT, text=True, start_new_session=True)
                self.running[lane] = process
                print(f"{stamp()} lane {lane}: {job.name} started", flush=True)
                for line in process.stdout or []:
                    log.write(f"{stamp()} {line}")
                # wait4: the exit status and the CPU time of the job's whole process tree
                _pid, status, usage = os.wait4(process.pid, 0)
                job.status = process.returncode = os.waitstatus_to_exitcode(status)
                job.cpu = usage.ru_utime + usage.ru_stime
            del self.running[lane]
            job.seconds = time.monotonic() - self.t0 - job.start
            print(f"{stamp()} lane {lane}: {job.name} {'passed' if job.status == 0 else 'FAILED'}"
                  f" after {job.seconds:.0f}s", flush=True)
            with self.lock:
                self.done.append(job)
                if job.docker:
                    self.docker_busy = False
                self.lock.notify_all()

    def stop(self, *_args: object) -> None:
        """Ends the jobs this script started (each in its own process group), then exits."""
        for process in list(self.running.values()):
            try:
                os.killpg(process.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        sys.exit(130)


def stamp() -> str:
    return time.strftime("%H:%M:%S")


def slowest_tests(done: list[Job], count: int = 10) -> list[tuple[float, str]]:
    """(seconds, name) of the slowest tests: each pytest test (setup, call and teardown
    together) from the JUnit reports, each Molecule scenario as a whole."""
    found = []
    for job in done:
        if job.junit and job.junit.exists():
            for case in ET.parse(job.junit).getroot().iter("testcase"):
                found.append((float(case.get("time", 0)), f"{job.name}::{case.get('name')}"))
        elif job.docker:
            found.append((job.seconds, f"{job.name} (the whole scenario)"))
    return sorted(found, reverse=True)[:count]


def report(lanes: Lanes, wall: float) -> bool:
    done = sorted(lanes.done, key=lambda job: job.start)
    print("\n==> Jobs (lane, start, time, CPU time of its own processes, result)")
    for job in done:
        print(f"  lane {job.lane}  +{job.start:5.0f}s  {job.seconds:5.0f}s  {job.cpu:5.0f} CPU-s  "
              f"{'passed' if job.status == 0 else 'FAILED'}  {job.name}")
    print("\n==> The ten slowest tests")
    for seconds, name in slowest_tests(done):
        print(f"  {seconds:7.1f}s  {name}")
    print("\n==> Each lane's time")
    for lane in range(1, lanes.lanes + 1):
        busy = sum(job.seconds for job in done if job.lane == lane)
        last = max((job.start + job.seconds for job in done if job.lane == lane), default=0)
        print(f"  lane {lane}: busy {busy:.0f}s, ended at {last:.0f}s")
    print(f"  all lanes: {wall:.0f}s; the jobs' own processes used {sum(j.cpu for j in done):.0f} CPU-s")
    failed = [job for job in done if job.status != 0]
    for job in failed:
        lines = job.log.read_text(errors="replace").splitlines()
        print(f"\n==> FAILED: {job.name} (exit {job.status}); the end of {job.log}:")
        print("\n".join(lines[-150:]))
    return not failed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--out", type=Path, required=True, help="where the logs and reports go")
    parser.add_argument("--lanes", type=int, default=2)
    parser.add_argument("--no-docker", action="store_true", help="leave out the Molecule scenarios")
    parser.add_argument("only", nargs="*", help="run these jobs only (names as in the report)")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    # the tests' own files (agents' logs, playbook output), outside the checkout: the
    # collection's build must not take them in; kept when a job failed
    basetemp = Path(tempfile.mkdtemp(prefix="consulsec-lanes-"))
    lanes = Lanes(jobs(args.out, basetemp, not args.no_docker, args.only), args.lanes, args.out)
    signal.signal(signal.SIGTERM, lanes.stop)
    signal.signal(signal.SIGINT, lanes.stop)
    threads = [threading.Thread(target=lanes.run_lane, args=(lane,), daemon=True)
               for lane in range(1, args.lanes + 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    passed = report(lanes, time.monotonic() - lanes.t0)
    if passed:
        shutil.rmtree(basetemp, ignore_errors=True)
    else:
        print(f"\nThe failed tests' own files (agents' logs, playbook output) are under {basetemp}")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
