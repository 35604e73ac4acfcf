# Copyright: consulsec.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""audit_report: consul_audit results -> a report; audit_compare: two audits -> what
changed (documented in audit_report.yml and audit_compare.yml)."""

from __future__ import annotations

import json
from typing import Any

from ansible.errors import AnsibleFilterError

from ansible_collections.consulsec.hardening.plugins.module_utils._audit import summary
from ansible_collections.consulsec.hardening.plugins.module_utils._audit_report import (
    before_after,
    html_page,
    junit,
    markdown,
)


def audit_report(results: list[dict[str, Any]], report_format: str = "markdown",
                 title: str = "Consul security audit") -> str:
    results = list(results or [])
    if report_format == "markdown":
        return markdown(results, title)
    if report_format == "html":
        return html_page(results, title)
    if report_format == "junit":
        return junit(results, title)
    if report_format == "json":
        return json.dumps({"title": title, "summary": summary(results), "results": results},
                          indent=1, sort_keys=True) + "\n"
    raise AnsibleFilterError(f"audit_report: unknown format {report_format!r}; "
                             "use markdown, html, junit or json")


def audit_compare(before: list[dict[str, Any]], after: list[dict[str, Any]],
                  title: str = "Consul security audit, before and after") -> str:
    return before_after(list(before or []), list(after or []), title)


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {"audit_report": audit_report, "audit_compare": audit_compare}
