# Copyright: consulsec.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""audit_report: consul_audit results -> a report (documented in audit_report.yml)."""

from __future__ import annotations

import json
from typing import Any

from ansible.errors import AnsibleFilterError

from ansible_collections.consulsec.hardening.plugins.module_utils._audit import summary
from ansible_collections.consulsec.hardening.plugins.module_utils._audit_report import (
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


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {"audit_report": audit_report}
