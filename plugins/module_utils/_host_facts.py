# Copyright: consulsec.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read, on the agent's host, what the audit's host controls judge: the modes and owners of
the config and data directories and of the files in them that hold secrets. A file's
contents are read only to tell whether it holds a secret; nothing of them is returned.

Private module_utils: may change in any release.
"""

from __future__ import annotations

import grp
import json
import os
import pwd
import re
import stat
from typing import Any

# config keys whose values are secrets: the gossip key, ACL tokens
SECRET_KEYS = frozenset(("encrypt", "token", "tokens", "agent_master", "master", "agent_recovery",
                         "initial_management", "replication"))
HCL_SECRET = re.compile(r"^\s*(" + "|".join(sorted(SECRET_KEYS)) + r")\s*[={]", re.MULTILINE)
# files of the data dir that hold secrets: tokens set through the API, the gossip keyrings
DATA_SECRETS = ("acl-tokens.json", "serf/local.keyring", "serf/remote.keyring")


def _json_has_secret(data: Any) -> bool:
    if isinstance(data, dict):
        return any(k in SECRET_KEYS or _json_has_secret(v) for k, v in data.items())
    if isinstance(data, list):
        return any(_json_has_secret(v) for v in data)
    return False


def holds_secret(name: str, text: str) -> bool:
    """Whether a config file's text sets a secret (the value is not kept)."""
    if name.endswith(".json"):
        try:
            return _json_has_secret(json.loads(text))
        except ValueError:
            return False
    return bool(HCL_SECRET.search(text))


def _entry(path: str) -> dict[str, Any] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return {"path": path, "mode": f"{stat.S_IMODE(st.st_mode):04o}", "uid": st.st_uid, "gid": st.st_gid}


def _config_files(config_dir: str) -> list[dict[str, Any]]:
    files = []
    for root, _dirs, names in os.walk(config_dir):
        for name in sorted(names):
            path = os.path.join(root, name)
            entry = _entry(path)
            if entry is None or not stat.S_ISREG(os.stat(path).st_mode):
                continue
            if name.endswith((".json", ".hcl")):
                try:
                    with open(path, encoding="utf-8", errors="replace") as handle:
                        entry["secret"] = holds_secret(name, handle.read())
                except OSError:
                    entry["secret"] = None
            else:
                entry["secret"] = name.endswith(("-key.pem", ".key"))
            files.append(entry)
    return files


def _config_dirs(argv: list[str]) -> list[str]:
    """The -config-dir / -config-file arguments of a consul command line, normalized."""
    found = []
    for index, arg in enumerate(argv):
        for flag in ("-config-dir", "--config-dir", "-config-file", "--config-file"):
            if arg.startswith(flag + "="):
                found.append(arg.split("=", 1)[1])
            elif arg == flag and index + 1 < len(argv):
                found.append(argv[index + 1])
    return [os.path.normpath(f) for f in found]


def agent_process(config_dir: str, proc: str = "/proc") -> dict[str, Any] | None:
    """The running ``consul agent`` that reads ``config_dir``: its pid and real and
    effective user ids (from /proc). The only agent process when none names the dir;
    None when there is none, or several and none names it."""
    agents = []
    for pid in (p for p in os.listdir(proc) if p.isdigit()):
        try:
            with open(os.path.join(proc, pid, "cmdline"), "rb") as handle:
                argv = [a.decode(errors="replace") for a in handle.read().split(b"\0") if a]
            with open(os.path.join(proc, pid, "status"), encoding="utf-8") as handle:
                uids = next(line.split()[1:3] for line in handle if line.startswith("Uid:"))
        except (OSError, StopIteration):
            continue
        if len(argv) > 1 and os.path.basename(argv[0]) == "consul" and argv[1] == "agent":
            agents.append({"pid": int(pid), "uid": int(uids[0]), "euid": int(uids[1]),
                           "config_dirs": _config_dirs(argv)})
    named = [a for a in agents if os.path.normpath(config_dir) in a["config_dirs"]]
    chosen = named or (agents if len(agents) == 1 else [])
    return chosen[0] if len(chosen) == 1 else None


def name_of(lookup: Any, ident: int | None) -> str | None:
    """A user's or group's name (pwd.getpwuid, grp.getgrgid); the number when it has none."""
    try:
        return lookup(ident)[0] if ident is not None else None
    except KeyError:
        return str(ident)


def host_security(process: dict[str, Any] | None) -> dict[str, Any]:
    """The host's part of the agent's security state (the keys a phase's host_expect
    names): the user its process runs as, from agent_process's record."""
    return {"agent_user": name_of(pwd.getpwuid, process["euid"]) if process else None}


def host_facts(config_dir: str, data_dir: str) -> dict[str, Any]:
    """Modes (octal strings) and owners of the two directories, of every config file
    (``secret`` when it sets a gossip key or token, or is a private key) and of the data
    dir's secret files that exist; the agent's process and its user."""
    data_files = [e for e in (_entry(os.path.join(data_dir, p)) for p in DATA_SECRETS) if e]
    for entry in data_files:
        entry["secret"] = True
    return {"config_dir": _entry(config_dir), "data_dir": _entry(data_dir),
            "files": _config_files(config_dir) + data_files, "process": agent_process(config_dir)}


def permits(entry: dict[str, Any], uid: int, gids: set[int] | frozenset[int], need: int) -> bool:
    """Whether a user (``uid``, group ids ``gids``) has the permission bits ``need`` (4 read,
    2 write, 1 search) on a file ``entry`` (``mode`` an octal string, ``uid``, ``gid``),
    by its owner, group or others bits, as the kernel decides. Root may do anything."""
    if uid == 0:
        return True
    mode = int(entry["mode"], 8)
    if entry["uid"] == uid:
        bits = mode >> 6
    elif entry["gid"] in gids:
        bits = mode >> 3
    else:
        bits = mode
    return bits & need == need


def unreadable(entries: list[tuple[dict[str, Any], int]], uid: int,
               gids: set[int] | frozenset[int]) -> list[str]:
    """The paths of ``entries`` (each with the permission bits it needs) the user lacks."""
    return [entry["path"] for entry, need in entries if not permits(entry, uid, gids, need)]


def _ancestors(path: str) -> list[str]:
    """The directories above ``path``, from the root down."""
    parents = []
    path = os.path.abspath(path)
    while os.path.dirname(path) != path:
        path = os.path.dirname(path)
        parents.insert(0, path)
    return parents


def needed_by_agent(config_dir: str, read_paths: list[str]) -> list[tuple[dict[str, Any], int]]:
    """What the agent must be able to do: search every directory above the configuration
    and the extra paths, list and search the configuration's directories, read each of
    their files and each extra path."""
    wanted: dict[str, int] = {}
    for path in [config_dir, *read_paths]:
        for parent in _ancestors(path):
            wanted.setdefault(parent, 1)
    for root, _dirs, names in os.walk(config_dir):
        wanted[root] = 5
        wanted.update((os.path.join(root, n), 4) for n in names)
    wanted.update((path, 4) for path in read_paths)
    missing = {"mode": "0000", "uid": -1, "gid": -1}
    return [(_entry(path) or {"path": path, **missing}, need) for path, need in wanted.items()]


def account(name: str, group: str | None) -> dict[str, Any]:
    """A user's name, whether it exists, its uid and its groups' ids (with ``group``)."""
    try:
        account = pwd.getpwnam(name)
    except KeyError:
        return {"name": name, "exists": False, "uid": None, "gids": []}
    gids = {account.pw_gid} | {g.gr_gid for g in grp.getgrall() if name in g.gr_mem}
    if group:
        try:
            gids.add(grp.getgrnam(group).gr_gid)
        except KeyError:
            pass
    return {"name": name, "exists": True, "uid": account.pw_uid, "gids": sorted(gids)}
