"""consul_audit against real local agents as Consul's defaults leave them, and its reports
through the audit_report filter; checked against what the agents' own configuration says."""

from __future__ import annotations

import json
import os
import subprocess
import xml.etree.ElementTree as ET

from conftest import run_module, run_playbook

# what the insecure baseline fails: every requirement Consul's defaults leave off
BASELINE_FAILS = {"CSEC-GOSSIP-01", "CSEC-GOSSIP-02", "CSEC-GOSSIP-03", "CSEC-TLS-01", "CSEC-TLS-03",
                  "CSEC-TLS-04", "CSEC-TLS-05", "CSEC-ACL-01", "CSEC-ACL-02", "CSEC-REC-02",
                  "CSEC-REC-03"}
HOST_MODES = ("CSEC-HOST-01", "CSEC-HOST-02", "CSEC-HOST-03")
CONTROLS = 23  # the registry's size (plugins/module_utils/_audit.py)


def test_the_baseline_fails_what_consul_leaves_off(cluster):
    for name in ("server1", "client1"):
        audited = run_module("consul_audit", {"http_addr": cluster.agents[name].http_addr})
        failed = {r["id"] for r in audited["results"] if r["status"] == "fail"}
        # a client is also asked for an RPC rate limit, which the baseline has not either;
        # the leader for the cluster's default-deny intention
        assert failed - {"CSEC-MESH-01"} == BASELINE_FAILS | ({"CSEC-REC-04"} if name == "client1" else set()), name
        assert {r["agent"] for r in audited["results"]} == {name}
        assert audited["changed"] is False


def test_the_hosts_planted_flaws_and_only_those(cluster):
    """client2's data dir opened to others, and a world-readable fragment with a gossip key
    (a placeholder key, never loaded: the file is removed before any restart)."""
    agent = cluster.agents["client2"]
    args = {"http_addr": agent.http_addr, "config_dir": str(agent.config_dir), "data_dir": str(agent.data_dir)}
    clean = run_module("consul_audit", args)
    assert {r["id"]: r["status"] for r in clean["results"] if r["id"] in HOST_MODES} == dict.fromkeys(HOST_MODES, "pass")
    fragment = agent.config_dir / "50-planted.json"
    fragment.write_text(json.dumps({"encrypt": "cGxhbnRlZCBrZXksIG5vdCB1c2VkIGFueXdoZXJlIQ=="}))
    fragment.chmod(0o644)
    agent.data_dir.chmod(0o755)
    try:
        planted = run_module("consul_audit", args)
    finally:
        fragment.unlink()
        agent.data_dir.chmod(0o700)
    host = {r["id"]: r for r in planted["results"] if r["id"].startswith("CSEC-HOST")}
    assert host["CSEC-HOST-01"]["status"] == "fail" and host["CSEC-HOST-01"]["evidence"] == {str(agent.data_dir): "0755"}
    assert host["CSEC-HOST-02"]["status"] == "pass"
    # the local agents run as the test's user, root on the test machines (as consul in the
    # Molecule containers, where it passes)
    assert host["CSEC-HOST-04"]["status"] == ("fail" if os.getuid() == 0 else "pass")
    assert host["CSEC-HOST-04"]["evidence"]["pid"] == agent.process.pid
    assert host["CSEC-HOST-03"]["evidence"] == {str(fragment): "0644"}
    assert "cGxhbnRlZCBr" not in json.dumps(planted)


def test_fail_on_a_severity_names_each_failure_and_its_fix(cluster):
    refused = run_module("consul_audit", {"http_addr": cluster.agents["server1"].http_addr,
                                          "fail_on": "critical"})
    assert refused["failed"]
    assert refused["msg"].startswith("5 control(s) failed at critical or worse: ")
    assert "CSEC-ACL-02 ACLs deny by default (ACLs are off: nothing is denied; fix: role " \
           "consulsec.hardening.acl (acl_default_policy: deny))" in refused["msg"]
    assert len(refused["results"]) > 0
    checked = run_module("consul_audit", {"http_addr": cluster.agents["server1"].http_addr,
                                          "fail_on": "critical"}, check=True)
    assert checked["failed"]  # read-only: check mode judges the same


def test_the_reports_of_every_agent(cluster, tmp_path):
    inventory = cluster.write_inventory(tmp_path / "inventory.json")
    playbook = tmp_path / "audit.yml"
    playbook.write_text(json.dumps([
        {"name": "Audit", "hosts": "consul_servers:consul_clients", "gather_facts": False,
         "tasks": [{"name": "Audit the agent",
                    "consulsec.hardening.consul_audit": {"http_addr": "{{ consul_http_addr }}"},
                    "register": "audit"}]},
        {"name": "Reports", "hosts": "localhost", "gather_facts": False, "tasks": [
            {"name": f"Write the {fmt} report", "ansible.builtin.copy": {
                "content": "{{ groups['all'] | map('extract', hostvars, ['audit', 'results']) | flatten"
                           f" | consulsec.hardening.audit_report('{fmt}') }}}}",
                "dest": str(tmp_path / f"audit.{ext}"), "mode": "0644"}}
            for fmt, ext in (("html", "html"), ("junit", "xml"), ("markdown", "md"), ("json", "json"))]},
    ]))
    done = subprocess.run(["ansible-playbook", "-i", inventory, str(playbook)],  # noqa: S603,S607
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    suite = ET.fromstring((tmp_path / "audit.xml").read_text())
    # REC-04 on both clients, the default-deny intention once (on the leader)
    assert int(suite.get("failures")) == 5 * len(BASELINE_FAILS) + 2 + 1
    assert {c.get("classname") for c in suite.findall("testcase")} == set(cluster.agents)
    mesh = [c for c in suite.findall("testcase") if c.get("name").startswith("CSEC-MESH-01")]
    assert sum(c.find("failure") is not None for c in mesh) == 1
    report = json.loads((tmp_path / "audit.json").read_text())
    assert report["summary"]["failed_by_agent"]["client2"] == len(BASELINE_FAILS) + 1
    assert "| client1 | 12 |" in (tmp_path / "audit.md").read_text()
    assert (tmp_path / "audit.html").read_text().startswith("<!DOCTYPE html>")


def test_the_audit_playbook_writes_the_reports_and_fails_at_the_chosen_severity(cluster, tmp_path):
    inventory = cluster.write_inventory(tmp_path / "inventory.json")
    reports = tmp_path / "reports"
    done = run_playbook("audit", inventory, audit_report_dir=str(reports))
    assert done.returncode == 0, done.stdout[-3000:]
    output = " ".join(done.stdout.split())
    assert f"{len(cluster.agents) * CONTROLS} judgements" in output, output[-3000:]
    assert sorted(p.name for p in reports.iterdir()) == ["audit.html", "audit.json", "audit.md", "audit.xml"]
    # the formats as an AWX survey's text answer gives them (a string, not a list)
    survey = tmp_path / "survey"
    stopped = run_playbook("audit", inventory, audit_report_dir=str(survey), audit_fail_on="critical",
                           audit_report_formats="junit,json")
    assert stopped.returncode != 0
    output = " ".join(stopped.stdout.split())
    assert f"{5 * len(cluster.agents)} control(s) failed at critical or worse" in output, output[-3000:]
    assert "server1 CSEC-ACL-02 ACLs deny by default" in output
    # the reports were written before the play failed, in the formats asked for
    assert sorted(p.name for p in survey.iterdir()) == ["audit.json", "audit.xml"]
    assert ET.fromstring((survey / "audit.xml").read_text()).get("failures") == str(
        5 * len(BASELINE_FAILS) + 2 + 1 + (5 if os.getuid() == 0 else 0))  # REC-04, MESH-01, HOST-04
