# Copyright: consulsec.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The audit's host controls: pure judgements of what _host_facts read on the agent's host
(modes as octal strings, never file contents).

Private module_utils: may change in any release.
"""

from __future__ import annotations

from typing import Any

from ._audit_agent import Judgement

NOT_GATHERED = "the host was not read (give config_dir and data_dir)"


def _mode(entry: dict[str, Any]) -> int:
    return int(entry["mode"], 8)


def data_dir_closed(agent: dict[str, Any]) -> Judgement:
    host = agent.get("host")
    if not host:
        return "unknown", {}, NOT_GATHERED
    entry = host.get("data_dir")
    if entry is None:
        return "unknown", {}, "the data directory does not exist"
    evidence = {entry["path"]: entry["mode"]}
    if _mode(entry) & 0o007:
        return "fail", evidence, "others may enter or read the data directory"
    return "pass", evidence, "only its owner and group may enter the data directory"


def config_not_writable_by_others(agent: dict[str, Any]) -> Judgement:
    host = agent.get("host")
    if not host:
        return "unknown", {}, NOT_GATHERED
    entries = [e for e in [host.get("config_dir"), *host.get("files", [])] if e]
    writable = {e["path"]: e["mode"] for e in entries if _mode(e) & 0o002}
    if writable:
        return "fail", writable, "others may change the agent's configuration"
    return "pass", {"checked": len(entries)}, "no one but owner and group may change the configuration"


def secrets_not_readable_by_others(agent: dict[str, Any]) -> Judgement:
    host = agent.get("host")
    if not host:
        return "unknown", {}, NOT_GATHERED
    secret = [e for e in host.get("files", []) if e.get("secret")]
    readable = {e["path"]: e["mode"] for e in secret if _mode(e) & 0o004}
    if readable:
        return "fail", readable, "others may read files that hold a gossip key, a token or a private key"
    return "pass", {"secret_files": len(secret)}, "files with secrets are closed to others"


def agent_not_root(agent: dict[str, Any]) -> Judgement:
    host = agent.get("host")
    if not host:
        return "unknown", {}, NOT_GATHERED
    process = host.get("process")
    if process is None:
        return "unknown", {}, ("no consul agent process found on the host for this config dir "
                               "(or the module may not read /proc)")
    evidence = {"pid": process["pid"], "uid": process["uid"], "euid": process["euid"]}
    if 0 in (process["uid"], process["euid"]):
        return "fail", evidence, "the agent runs as root"
    return "pass", evidence, "the agent runs as its own user, not root"
