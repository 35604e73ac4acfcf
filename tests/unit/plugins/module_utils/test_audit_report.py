"""The audit's reports, from judgements of agents recorded from real Consul 1.8.7 agents."""

from __future__ import annotations

import copy
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

from ansible_collections.consulsec.hardening.plugins.module_utils import _agent_state as state
from ansible_collections.consulsec.hardening.plugins.module_utils import _audit as audit
from ansible_collections.consulsec.hardening.plugins.module_utils import _audit_report as report
from tests.unit.conftest import load


def results() -> list[dict]:
    baseline = state.agent_record(load("plain/leader-self"), None, "")
    tls_client = state.agent_record(load("tls/client-self"), None, "")
    return audit.audit_agent(baseline) + audit.audit_agent(tls_client)


def test_junit_has_one_case_per_control_and_agent_and_counts_failures():
    judged = results()
    suite = ET.fromstring(report.junit(judged))
    assert int(suite.get("tests")) == len(judged) == 2 * len(audit.CONTROLS)
    failures = suite.findall("testcase/failure")
    assert int(suite.get("failures")) == len(failures) == sum(r["status"] == "fail" for r in judged)
    first = suite.find("testcase[@name='CSEC-ACL-02 ACLs deny by default']")
    assert first.get("classname") == "server1"
    assert first.find("failure").get("type") == "critical"
    assert "role consulsec.hardening.acl" in first.find("failure").get("message")
    assert len(suite.findall("testcase/skipped")) == int(suite.get("skipped"))


def test_markdown_sums_up_by_severity_and_agent_then_lists_failures_first():
    text = report.markdown(results())
    assert "| failed | 7 | 6 | 4 | 3 |" in text  # both agents
    lines = text.splitlines()
    assert lines[0] == "# Consul security audit"
    assert "| server1 | 11 |" in lines
    detail = [line for line in lines if line.startswith("| fail ") or line.startswith("| pass ")]
    assert detail[0].startswith("| fail | critical |")
    assert detail[-1].startswith("| pass ")


class Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)

    def handle_data(self, data):
        self.text.append(data)


def test_the_html_page_is_self_contained_and_escapes_what_it_shows():
    judged = results()
    planted = copy.deepcopy(judged[0])
    planted.update(agent="<script>alert(1)</script>", why="a & b")
    page = report.html_page(judged + [planted])
    parsed = Collect()
    parsed.feed(page)
    assert "script" not in parsed.tags and "link" not in parsed.tags and "img" not in parsed.tags
    assert "<script>alert(1)</script>" in "".join(parsed.text)  # shown as text
    assert page.count('<tr class="fail">') == sum(r["status"] == "fail" for r in judged + [planted])


def test_before_and_after_says_what_was_fixed_what_still_fails_and_what_is_new():
    before = audit.audit_agent(state.agent_record(load("plain/leader-self"), None, ""))
    after = audit.audit_agent(state.agent_record(load("tls/leader-self"), None, ""))
    page = report.before_after(before, after)
    assert page.startswith("# Consul security audit, before and after\n")
    rows = {line.split(" | ")[0][2:].split(" ")[0]: line.rsplit(" | ", 1)[1].rstrip(" |")
            for line in page.splitlines() if line.startswith("| CSEC-")}
    assert rows["CSEC-TLS-01"] == "fixed" and rows["CSEC-ACL-01"] == "still failing"
    assert "| before | " in page and "| after | " in page
