"""playbooks/tls.yml on real local agents (detached processes, restarted by Ansible through
tests/testbed/agentctl.sh): the staged roll to full TLS with HTTP closed, checked with
plain urllib and the standard ssl module; a second run that changes and restarts nothing;
material that would break the roll refused before any change.

One roll covers both kinds of client: client1 with a certificate the role issued, client2
with tls_auto_encrypt (the servers sign its certificate with the Connect CA; it gets the
agent CA only). secure_cluster then runs on that cluster twice: the first run finds gossip
and TLS done and rolls ACLs and the hardening, the second, as AWX runs a job template
(ansible-runner, survey answers as strings), changes nothing."""

from __future__ import annotations

import base64
import datetime
import json
import os
import re
import socket
import ssl
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import ansible_runner
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization

from conftest import LEADER_STOPS, announced_batches, assert_restarted_as_announced, leader_of, run_playbook
from local_cluster import DetachedCluster
from restart_order import announced_phases

SERVERS = ["server1", "server2", "server3"]
ALL = [*SERVERS, "client1", "client2"]
# the servers allow auto_encrypt; client2 takes it, client1 keeps an issued certificate
AUTO_ENCRYPT = {"server1": True, "server2": True, "server3": True, "client2": True}
ISSUED = ["server1", "server2", "server3", "client1"]


def inventory(cluster: DetachedCluster, path, **extra) -> str:
    return cluster.write_inventory(path, **extra, **LEADER_STOPS)


def leader_first(cluster: DetachedCluster, leader: str) -> list[str]:
    """The agents with the leader first: the order the engine must not follow."""
    return sorted(cluster.agents, key=lambda name: name != leader)


def run_tls(inventory_path: str, **extra) -> subprocess.CompletedProcess:
    return run_playbook("tls", inventory_path, **extra)


def https_self(cluster: DetachedCluster, name: str, pki, token: str | None = None) -> dict:
    """The agent's running config over HTTPS, with the CA and a client certificate."""
    agent = cluster.agents[name]
    context = ssl.create_default_context(cafile=str(pki / "consul-agent-ca.pem"))
    context.load_cert_chain(str(pki / "client1.pem"), str(pki / "client1-key.pem"))
    request = urllib.request.Request(f"https://{agent.address}:8501/v1/agent/self",
                                     headers={"X-Consul-Token": token} if token else {})
    with urllib.request.urlopen(request, context=context, timeout=5) as reply:  # noqa: S310
        return json.loads(reply.read())


# the cluster encrypts gossip from its first start (the gossip migration itself is
# Molecule's, scenario gossip): secure_cluster finds that stage done, as it finds TLS and ACLs
GOSSIP_KEY = base64.b64encode(bytes(range(100, 132))).decode()


@pytest.fixture(scope="module")
def rolled(tmp_path_factory):
    base = tmp_path_factory.mktemp("tls-roll")
    cluster = DetachedCluster(base / "cluster")
    cluster.prepare()
    for name in cluster.agents:
        cluster.write_fragment(name, "05-gossip.json", {"encrypt": GOSSIP_KEY})
    (base / "gossip.key").write_text(GOSSIP_KEY + "\n")  # where secure_cluster keeps it
    (base / "gossip.key").chmod(0o600)
    cluster.start(timeout=90)
    pki = base / "pki"
    pki.mkdir()
    # the leader first in the inventory, where the plan puts it last
    inv = inventory(cluster, base / "inventory.json", order=leader_first(cluster, leader_of(cluster)),
                    per_host={n: {"tls_auto_encrypt": on} for n, on in AUTO_ENCRYPT.items()})
    since = time.time()
    first = run_tls(inv, tls_pki_dir=str(pki))
    (base / "first.log").write_text(first.stdout + first.stderr)
    pids = {n: a.pidfile.read_text() for n, a in cluster.agents.items()}
    second = run_tls(inv, tls_pki_dir=str(pki))
    (base / "second.log").write_text(second.stdout + second.stderr)
    yield cluster, pki, first, second, pids, since
    cluster.stop()


def test_the_roll_ends_in_full_tls_with_http_closed(rolled):
    cluster, pki, first, _second, _pids, _since = rolled
    assert first.returncode == 0, first.stdout[-4000:] + first.stderr[-2000:]
    for name in ISSUED:
        config = https_self(cluster, name, pki)["DebugConfig"]
        assert (config["VerifyIncoming"], config["VerifyOutgoing"], config["VerifyServerHostname"]) \
            == (True, True, True), name
        assert config["HTTPPort"] == -1, name
        assert config["AutoEncryptAllowTLS"] is (name in SERVERS), name
    for name in ALL:
        with pytest.raises((urllib.error.URLError, OSError)):
            urllib.request.urlopen(cluster.agents[name].http_addr + "/v1/agent/self", timeout=3)  # noqa: S310
    members = https_self(cluster, "server1", pki)["Stats"]["serf_lan"]["members"]
    assert members == "5"
    assert "PRIVATE KEY" not in first.stdout + first.stderr


def test_the_agents_restarted_in_the_announced_order(rolled):
    """Each phase's batches, read from the agents' starts: the clients, then the servers
    with the leader last, whatever the inventory's order (the leader first there)."""
    cluster, _pki, first, _second, _pids, since = rolled
    assert first.returncode == 0, first.stdout[-4000:] + first.stderr[-2000:]
    assert_restarted_as_announced(cluster, first.stdout, since)
    # and the log names each batch as it starts, as announced
    named = re.findall(r"TASK \[[^\]]*: Restart batch \d+ of \d+ \([^)]*\): ([^\]]*)\]", first.stdout)
    assert [batch.split(" + ") for batch in named] == announced_batches(first.stdout)


def test_each_stage_restarted_the_server_leading_then_last(rolled):
    """The leader changes with every stage (its restart hands the leadership on), and the
    engine, which reads the agents only before the first stage, must still restart the one
    leading now last. Read from outside: which server led just before the last server of
    each stage was stopped, from the servers' own logs ("cluster leadership acquired").
    Without a leave (LEADER_STOPS), the leadership passes on only at that stop."""
    cluster, _pki, first, _second, _pids, since = rolled
    assert first.returncode == 0, first.stdout[-4000:] + first.stderr[-2000:]
    stops = [(at, name) for at, name in cluster.recorded("stops", since) if name in SERVERS]
    lasts = [[b[0] for b in phase if b[0] in SERVERS][-1] for phase in announced_phases(first.stdout)]
    assert len(stops) >= len(lasts) * len(SERVERS) and len(lasts) == 4, (stops, lasts)
    for stage, last in enumerate(lasts):
        at, name = stops[(stage + 1) * len(SERVERS) - 1]
        assert (name, cluster.leader_at(at - 0.05)) == (last, last), f"stage {stage + 1}: {stops}"


def test_the_leader_restarted_without_a_leave_as_the_inventory_said(rolled):
    """tls_leader_leave false (LEADER_STOPS): the leader of each stage restarted like the
    other servers; no server left the cluster, read from the servers' own logs."""
    cluster, _pki, first, _second, _pids, _since = rolled
    assert first.returncode == 0, first.stdout[-4000:] + first.stderr[-2000:]
    for name in SERVERS:
        assert "server starting leave" not in cluster.agents[name].log_path.read_text(), name


def test_a_second_run_changes_and_restarts_nothing(rolled):
    cluster, _pki, _first, second, pids, _since = rolled
    assert second.returncode == 0, second.stdout[-4000:]
    recap = second.stdout[second.stdout.rfind("PLAY RECAP"):]
    assert "changed=0" in recap and "changed=1" not in recap, recap
    assert {n: a.pidfile.read_text() for n, a in cluster.agents.items()} == pids
    # every agent in the last stage: the first stage's plan says so, the others are not planned
    assert second.stdout.count("TASK [consulsec.hardening.rolling_restart : Plan the phase") == 1, second.stdout[-4000:]
    assert "nothing to do, every agent is in it and in every later phase up to 4" in second.stdout


def https(cluster: DetachedCluster, name: str, path: str, cafile: str, cert: tuple[str, str] | None,
          method: str = "GET", body: dict | None = None) -> object:
    context = ssl.create_default_context(cafile=cafile)
    if cert:
        context.load_cert_chain(*cert)
    request = urllib.request.Request(f"https://{cluster.agents[name].address}:8501{path}", method=method,
                                     data=json.dumps(body).encode() if body is not None else None)
    with urllib.request.urlopen(request, context=context, timeout=5) as reply:  # noqa: S310
        text = reply.read()
    return json.loads(text) if text.strip() else None


def served_certificate(address: str) -> x509.Certificate:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with socket.create_connection((address, 8501), timeout=5) as raw, \
            context.wrap_socket(raw) as wrapped:
        return x509.load_der_x509_certificate(wrapped.getpeercert(binary_form=True))


def test_an_auto_encrypt_client_gets_the_ca_only_and_its_certificate_from_the_servers(rolled):
    cluster, pki, first, _second, _pids, _since = rolled
    assert first.returncode == 0, first.stdout[-4000:] + first.stderr[-2000:]
    tls_dir = cluster.agents["client2"].config_dir / "tls"
    # the CA and the bundle only: no certificate or key was issued or put there
    assert sorted(p.name for p in tls_dir.iterdir()) == ["api-ca-bundle.pem", "consul-agent-ca.pem"]
    assert not (pki / "client2.pem").exists()
    config = https(cluster, "client2", "/v1/agent/self", str(tls_dir / "api-ca-bundle.pem"), None)["DebugConfig"]
    # incoming verification for RPC only: on HTTPS every caller would need an agent-CA certificate
    assert (config["AutoEncryptTLS"], config["CertFile"], config["VerifyOutgoing"],
            config["VerifyServerHostname"], config["VerifyIncomingRPC"],
            config["VerifyIncomingHTTPS"], config["HTTPPort"]) == (True, "", True, True, True, False, -1)


def test_an_auto_encrypt_client_serves_a_connect_ca_certificate_with_its_address(rolled):
    cluster, pki, _first, _second, _pids, _since = rolled
    agent = cluster.agents["client2"]
    served = served_certificate(agent.address)
    ca = x509.load_pem_x509_certificate((pki / "consul-agent-ca.pem").read_bytes())
    assert served.issuer != ca.subject
    names = served.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert agent.address in [str(ip) for ip in names.get_values_for_type(x509.IPAddress)]
    # the agent CA alone does not verify it: that is what the bundle is for
    with pytest.raises(urllib.error.URLError, match="CERTIFICATE_VERIFY_FAILED"):
        https(cluster, "client2", "/v1/agent/self", str(pki / "consul-agent-ca.pem"), None)


def test_an_auto_encrypt_client_reaches_the_servers_with_its_signed_certificate(rolled):
    """The servers refuse RPC without a certificate they trust (verify_incoming): a service
    registered on the client reaches the catalog only through the one they signed."""
    cluster, pki, _first, _second, _pids, _since = rolled
    bundle = str(cluster.agents["client2"].config_dir / "tls" / "api-ca-bundle.pem")
    https(cluster, "client2", "/v1/agent/service/register", bundle, None, method="PUT",
          body={"Name": "auto-encrypt-probe", "Port": 9999})
    client_cert = (str(pki / "client1.pem"), str(pki / "client1-key.pem"))
    deadline = time.monotonic() + 30
    while not (found := https(cluster, "server1", "/v1/catalog/service/auto-encrypt-probe",
                              str(pki / "consul-agent-ca.pem"), client_cert)):
        assert time.monotonic() < deadline, "the client's service never reached the catalog"
        time.sleep(0.5)
    assert found[0]["Node"] == "client2"


def agent_tls(cluster: DetachedCluster) -> dict[str, dict[str, str]]:
    """How each agent is reached once HTTP is closed: its HTTPS address, the CA (the bundle
    for the auto_encrypt client) and, but for that client, its own certificate."""
    per_host = {}
    for name, agent in cluster.agents.items():
        tls_dir = agent.config_dir / "tls"
        per_host[name] = {"consul_http_addr": f"https://{agent.address}:8501",
                          "consul_cacert": str(tls_dir / "consul-agent-ca.pem")}
        if AUTO_ENCRYPT.get(name) and name not in SERVERS:
            per_host[name]["consul_cacert"] = str(tls_dir / "api-ca-bundle.pem")
        else:
            per_host[name].update(consul_client_cert=str(tls_dir / "agent.pem"),
                                  consul_client_key=str(tls_dir / "agent-key.pem"))
    return per_host


@pytest.fixture(scope="module")
def secured(rolled):
    """secure_cluster.yml in a new run on the cluster the TLS roll left (HTTPS only, gossip
    encrypted from the start, ACLs still off), with plain HTTP addresses in the inventory
    (it finds each agent's API itself), the current leader first there, both clients in one
    ACL batch; then a second run as AWX runs a job template."""
    cluster, pki, _first, _second, _pids, _since = rolled
    base = pki.parent  # holds gossip.key and pki/, as secure_cluster_dir does
    client_cert = (str(pki / "client1.pem"), str(pki / "client1-key.pem"))
    leader = https(cluster, "server1", "/v1/status/leader", str(pki / "consul-agent-ca.pem"), client_cert)
    order = leader_first(cluster, [n for n, a in cluster.agents.items() if leader == f"{a.address}:8300"][0])
    inventory = cluster.write_inventory(base / "secure-inventory.json", order=order,
                                        per_host={n: {"tls_auto_encrypt": on} for n, on in AUTO_ENCRYPT.items()},
                                        **LEADER_STOPS)
    since = time.time()
    first = run_playbook("secure_cluster", inventory, 1800, secure_cluster_dir=str(base),
                         acl_intentions_default_deny=True, acl_client_batch_size=2)
    (base / "secure.log").write_text(first.stdout + first.stderr)
    assert first.returncode == 0, first.stdout[-5000:] + first.stderr[-2000:]
    # what the first run changed (the second run writes its own reports over these)
    changes = (base / "reports" / "before-after.md").read_text()
    pids = {n: a.pidfile.read_text() for n, a in cluster.agents.items()}
    # the second run as AWX runs a job template: ansible-runner, a project that imports the
    # playbook, the answers of a survey (strings, "false" included)
    survey = {"secure_cluster_dir": str(base), "acl_intentions_default_deny": "true",
              "gossip_encryption_new_cluster": "false", "tls_new_cluster": "false",
              "harden_disable_remote_exec": "true", "harden_timeout": "180", "secure_cluster_fail_on": "high"}
    again = run_like_awx(base / "awx", inventory, survey)
    yield cluster, pki, first, since, pids, again, changes


def test_secure_cluster_rolls_acls_and_hardening_in_the_announced_order(secured):
    """The ACL phases (the default-deny one servers first) and the harden roll, read from
    the agents' starts, with the leader first in the inventory; the clients in one ACL batch."""
    cluster, _pki, first, since, _pids, _again, _changes = secured
    assert_restarted_as_announced(cluster, first.stdout, since)
    assert ["client1", "client2"] in announced_batches(first.stdout)


def test_secure_cluster_leaves_acls_denying_by_default_on_the_tls_cluster(secured):
    """Every agent over HTTPS (client certificates required; client2 on auto_encrypt, with
    the CA bundle and no certificate), with the recovery token secure_cluster kept."""
    cluster, pki, _first, _since, _pids, _again, _changes = secured
    per_host = agent_tls(cluster)
    recovery = (pki.parent / "acl" / "agent-recovery.token").read_text().strip()
    for name in ALL:
        context = ssl.create_default_context(cafile=per_host[name]["consul_cacert"])
        if "consul_client_cert" in per_host[name]:
            context.load_cert_chain(per_host[name]["consul_client_cert"], per_host[name]["consul_client_key"])
        request = urllib.request.Request(per_host[name]["consul_http_addr"] + "/v1/agent/self",
                                         headers={"X-Consul-Token": recovery})
        with urllib.request.urlopen(request, context=context, timeout=5) as reply:  # noqa: S310
            config = json.loads(reply.read())["DebugConfig"]
        # servers verify all incoming connections, the auto_encrypt client RPC only
        assert (config["ACLsEnabled"], config["ACLDefaultPolicy"],
                config["VerifyIncoming"] or config["VerifyIncomingRPC"]) == (True, "deny", True), name


def test_secure_cluster_finds_the_secured_stages_and_completes_it(secured):
    """It finds gossip and TLS done, rolls ACLs and the hardening, and the last audit fails
    nothing at high or worse."""
    cluster, pki, _first, _since, _pids, _again, changes = secured
    base = pki.parent
    assert "| CSEC-REC-02 Security headers on HTTP responses | low | client1, client2, server1, server2, server3 | - | fixed |" \
        in changes, changes
    assert "CSEC-GOSSIP-01" not in changes, changes  # passed before and after
    recovery = (base / "acl" / "agent-recovery.token").read_text().strip()
    # client2 serves a certificate of the Connect CA (auto_encrypt): the servers and client1
    for name in ("server1", "server2", "server3", "client1"):
        agent = https_self(cluster, name, pki, recovery)
        assert agent["Stats"]["serf_lan"]["encrypted"] == "true", name
        assert agent["DebugConfig"]["EnableAgentTLSForChecks"] is True, name


def test_a_second_run_as_awx_runs_it_changes_nothing_and_shows_no_secret(secured):
    cluster, pki, _first, _since, pids, again, _changes = secured
    base = pki.parent
    assert (again.status, again.rc) == ("successful", 0), (base / "awx" / "artifacts").as_posix()
    # only the reports on the controller change (the first audit now finds a secured cluster)
    changed = {e["event_data"]["task"] for e in again.events
               if e["event"] == "runner_on_ok" and e["event_data"].get("res", {}).get("changed")}
    assert changed <= {"Make the report directory", "Write each report", "Write what changed"}, changed
    assert {n: a.pidfile.read_text() for n, a in cluster.agents.items()} == pids
    # no secret in any event or artifact AWX would keep and show
    secrets = [(base / "gossip.key").read_text().strip()]
    secrets += [p.read_text().strip() for p in (base / "acl").glob("*.token")]
    secrets += [p.read_text().splitlines()[1] for p in pki.glob("*-key.pem")]
    artifacts = "".join(p.read_text(errors="replace") for p in (base / "awx" / "artifacts").rglob("*") if p.is_file())
    events = json.dumps(list(again.events))
    assert len(secrets) > 5 and not [s for s in secrets if s in events or s in artifacts]
    assert (base / "reports" / "after" / "audit.html").exists()


def run_like_awx(private: Path, inventory_path: str, extravars: dict) -> ansible_runner.Runner:
    """secure_cluster through ansible-runner (the library AWX runs jobs with): a private data
    dir with a project whose playbook imports the collection's, the inventory, and extra
    variables as a job template passes them."""
    (private / "project").mkdir(parents=True, exist_ok=True)
    (private / "project" / "secure.yml").write_text(
        "---\n- name: Secure the cluster with the collection\n"
        "  ansible.builtin.import_playbook: consulsec.hardening.secure_cluster\n")
    return ansible_runner.run(private_data_dir=str(private), playbook="secure.yml", inventory=inventory_path,
                              extravars=extravars, quiet=True, timeout=1500,
                              envvars={"ANSIBLE_COLLECTIONS_PATH": os.environ["ANSIBLE_COLLECTIONS_PATH"]})


def module(name: str, args: dict) -> None:
    subprocess.run(["ansible", "localhost", "-m", f"consulsec.hardening.{name}",  # noqa: S603,S607
                    "-a", json.dumps(args)], check=True, capture_output=True)


def expire(cert_path, ca_cert_path, ca_key_path) -> None:
    """Replace a certificate with the same one (names, key), expired yesterday."""
    cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    ca = x509.load_pem_x509_certificate(ca_cert_path.read_bytes())
    ca_key = serialization.load_pem_private_key(ca_key_path.read_bytes(), password=None)
    now = datetime.datetime.now(datetime.timezone.utc)
    builder = (x509.CertificateBuilder().subject_name(cert.subject).issuer_name(ca.subject)
               .public_key(cert.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now - datetime.timedelta(days=10))
               .not_valid_after(now - datetime.timedelta(days=1)))
    for extension in cert.extensions:
        if extension.oid != x509.oid.ExtensionOID.AUTHORITY_KEY_IDENTIFIER:
            builder = builder.add_extension(extension.value, extension.critical)
    cert_path.write_bytes(builder.sign(ca_key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM))


def test_own_material_that_would_break_the_roll_is_refused_before_any_change(tmp_path):
    """tls_issue=false: the operator's files on the agents, each wrong in its own way:
    server1 a client certificate, client1 an expired one, client2 a key of another
    certificate, client3 a certificate of another CA. One run names all four."""
    # its own addresses: the rolled cluster above may still run (HTTP closed, 8301 busy)
    cluster = DetachedCluster(tmp_path / "cluster", servers=1, clients=3, first_host=41)
    cluster.start(timeout=60)
    try:
        for ca in ("ca", "other-ca"):
            module("consul_tls_ca", {"cert_path": str(tmp_path / f"{ca}.pem"),
                                     "key_path": str(tmp_path / f"{ca}-key.pem")})
        for agent in cluster.agents.values():
            tls_dir = agent.config_dir / "tls"
            tls_dir.mkdir()
            (tls_dir / "consul-agent-ca.pem").write_bytes((tmp_path / "ca.pem").read_bytes())
            ca = "other-ca" if agent.name == "client3" else "ca"
            module("consul_tls_cert", {"ca_cert_path": str(tmp_path / f"{ca}.pem"),
                                       "ca_key_path": str(tmp_path / f"{ca}-key.pem"),
                                       "cert_path": str(tls_dir / "agent.pem"),
                                       "key_path": str(tls_dir / "agent-key.pem"),
                                       "role": "client", "ip_addresses": [agent.address]})
        expire(cluster.agents["client1"].config_dir / "tls" / "agent.pem", tmp_path / "ca.pem",
               tmp_path / "ca-key.pem")
        (cluster.agents["client2"].config_dir / "tls" / "agent-key.pem").write_bytes(
            (cluster.agents["server1"].config_dir / "tls" / "agent-key.pem").read_bytes())
        pids = {n: a.pidfile.read_text() for n, a in cluster.agents.items()}
        refused = run_tls(inventory(cluster, tmp_path / "inventory.json"), tls_issue=False)
        output = refused.stdout + refused.stderr
        (tmp_path / "run.log").write_text(output)
        assert refused.returncode != 0
        for name, problem in (("server1", "does not name server.dc1.consul"), ("client1", "expired on"),
                              ("client2", "agent-key.pem does not belong to"),
                              ("client3", "issued by another CA of the same name")):
            assert f"{name}: " in output and problem in output, (name, [line for line in output.splitlines() if "would break" in line])
        assert "nothing was changed" in output
        # own material is judged on the names Consul checks and the API host, not tls_dns_names
        assert "does not name client1" not in output
        assert {n: a.pidfile.read_text() for n, a in cluster.agents.items()} == pids
        assert not any((a.config_dir / "60-consulsec-tls.json").exists() for a in cluster.agents.values())
        # a client that would take auto_encrypt from a server that does not allow it
        mixed = run_tls(inventory(cluster, tmp_path / "mixed.json", per_host={"client3": {"tls_auto_encrypt": True}}),
                        tls_issue=False)
        assert mixed.returncode != 0
        assert "tls_auto_encrypt is on for client3, but off for server1, which would not sign" \
            in mixed.stdout, mixed.stdout[-3000:]
        assert {n: a.pidfile.read_text() for n, a in cluster.agents.items()} == pids
    finally:
        cluster.stop()
