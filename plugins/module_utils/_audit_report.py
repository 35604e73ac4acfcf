# Copyright: consulsec.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure functions: the audit's results -> reports a person or a CI system reads (Markdown,
JUnit XML, one self-contained HTML page). The results hold no secrets (see _audit), and
everything taken from them is escaped for the format it goes into.

Private module_utils: may change in any release.
"""

from __future__ import annotations

import html
import json
from typing import Any
from xml.sax.saxutils import quoteattr

from ._audit import SEVERITIES, summary

STATUS_ORDER = ("fail", "unknown", "pass", "not_applicable")


def _evidence(result: dict[str, Any]) -> str:
    return json.dumps(result["evidence"], sort_keys=True)


def _sorted(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Failures first, the worst first; then by control and agent."""
    return sorted(results, key=lambda r: (STATUS_ORDER.index(r["status"]), SEVERITIES.index(r["severity"]),
                                          r["id"], str(r["agent"])))


def _md(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def markdown(results: list[dict[str, Any]], title: str = "Consul security audit") -> str:
    counted = summary(results)
    lines = [f"# {title}", "",
             "| severity | " + " | ".join(SEVERITIES) + " |", "|---|" + "---:|" * len(SEVERITIES),
             "| failed | " + " | ".join(str(counted["failed_by_severity"][s]) for s in SEVERITIES) + " |", "",
             "| agent | failed |", "|---|---:|"]
    agents = sorted({str(r["agent"]) for r in results})
    lines += [f"| {_md(agent)} | {counted['failed_by_agent'].get(agent, 0)} |" for agent in agents]
    lines += ["", "| status | severity | control | agent | seen | fix |", "|---|---|---|---|---|---|"]
    for r in _sorted(results):
        lines.append(f"| {r['status']} | {r['severity']} | {_md(r['id'])} {_md(r['title'])} | "
                     f"{_md(r['agent'])} | {_md(r['why'])}: `{_md(_evidence(r))}` | {_md(r['fix'])} |")
    return "\n".join(lines) + "\n"


def junit(results: list[dict[str, Any]], name: str = "consul-audit") -> str:
    """One test case per control and agent; a failure for ``fail``, skipped otherwise when
    not applicable, an error when it could not be checked."""
    counted = summary(results)["by_status"]
    out = ['<?xml version="1.0" encoding="UTF-8"?>',
           f'<testsuite name={quoteattr(name)} tests="{len(results)}" failures="{counted.get("fail", 0)}" '
           f'errors="{counted.get("unknown", 0)}" skipped="{counted.get("not_applicable", 0)}">']
    for r in results:
        case = (f'  <testcase classname={quoteattr(str(r["agent"]))} '
                f'name={quoteattr(r["id"] + " " + r["title"])}')
        message = quoteattr(f"{r['why']}; seen {_evidence(r)}; fix: {r['fix']}")
        if r["status"] == "fail":
            out.append(f'{case}><failure type={quoteattr(r["severity"])} message={message}/></testcase>')
        elif r["status"] == "unknown":
            out.append(f'{case}><error message={message}/></testcase>')
        elif r["status"] == "not_applicable":
            out.append(f'{case}><skipped message={quoteattr(r["why"])}/></testcase>')
        else:
            out.append(f"{case}/>")
    out.append("</testsuite>")
    return "\n".join(out) + "\n"


STYLE = """body{font:14px/1.4 sans-serif;margin:2em;color:#222}table{border-collapse:collapse;margin:1em 0}
td,th{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}
.fail{background:#fdd}.unknown{background:#ffd}.pass{background:#dfd}.not_applicable{color:#888}
code{font-size:12px}"""


def html_page(results: list[dict[str, Any]], title: str = "Consul security audit") -> str:
    """One page, no external resources: summary by severity and by agent, then every
    judgement, failures first."""
    counted = summary(results)
    esc = html.escape
    rows = [f"<tr><th>{esc(s)}</th><td>{counted['failed_by_severity'][s]}</td></tr>" for s in SEVERITIES]
    agents = sorted({str(r["agent"]) for r in results})
    agent_rows = [f"<tr><th>{esc(a)}</th><td>{counted['failed_by_agent'].get(a, 0)}</td></tr>" for a in agents]
    detail = [f'<tr class="{esc(r["status"])}"><td>{esc(r["status"])}</td><td>{esc(r["severity"])}</td>'
              f'<td>{esc(r["id"])}<br>{esc(r["title"])}<br><small>{esc(r["source"])}</small></td>'
              f'<td>{esc(str(r["agent"]))}</td><td>{esc(r["why"])}<br><code>{esc(_evidence(r))}</code></td>'
              f'<td>{esc(r["fix"])}</td></tr>' for r in _sorted(results)]
    return "\n".join([
        "<!DOCTYPE html>", f"<html><head><meta charset=\"utf-8\"><title>{esc(title)}</title>",
        f"<style>{STYLE}</style></head><body>", f"<h1>{esc(title)}</h1>",
        "<h2>Failed, by severity</h2><table>", *rows, "</table>",
        "<h2>Failed, by agent</h2><table>", *agent_rows, "</table>",
        "<h2>Every control on every agent</h2><table>",
        "<tr><th>status</th><th>severity</th><th>control</th><th>agent</th><th>seen</th><th>fix</th></tr>",
        *detail, "</table></body></html>", ""])


def _failed_agents(results: list[dict[str, Any]]) -> dict[str, list[str]]:
    failed: dict[str, list[str]] = {}
    for r in results:
        if r["status"] == "fail":
            failed.setdefault(r["id"], []).append(str(r["agent"]))
    return failed


def before_after(before: list[dict[str, Any]], after: list[dict[str, Any]],
                 title: str = "Consul security audit, before and after") -> str:
    """Markdown: failures by severity before and after, then each control that failed on
    either side, with the agents it failed on and whether it was fixed."""
    controls = {r["id"]: r for r in [*before, *after]}
    was, now = _failed_agents(before), _failed_agents(after)
    counted = {"before": summary(before)["failed_by_severity"], "after": summary(after)["failed_by_severity"]}
    lines = [f"# {title}", "", "| failed | " + " | ".join(SEVERITIES) + " |", "|---|" + "---:|" * len(SEVERITIES)]
    lines += [f"| {side} | " + " | ".join(str(counted[side][s]) for s in SEVERITIES) + " |" for side in counted]
    lines += ["", "| control | severity | failed before on | failed after on | |", "|---|---|---|---|---|"]
    ids = sorted(set(was) | set(now), key=lambda i: (SEVERITIES.index(controls[i]["severity"]), i))
    for control in ids:
        verdict = "fixed" if control not in now else ("new" if control not in was else "still failing")
        lines.append(f"| {_md(control)} {_md(controls[control]['title'])} | {controls[control]['severity']} | "
                     f"{_md(', '.join(sorted(was.get(control, []))) or '-')} | "
                     f"{_md(', '.join(sorted(now.get(control, []))) or '-')} | {verdict} |")
    return "\n".join(lines) + "\n"
