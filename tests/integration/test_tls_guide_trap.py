"""The trap in Consul's TLS guide, on real 1.8.7 agents: its second roll turns on
verify_incoming, verify_outgoing and verify_server_hostname together. The first server
restarted that way refuses the not-yet-restarted leader's plain RPC and drops out of Raft.

The same role and engine run the guide's two rolls here (by overriding the role's phases
with the guide's); the engine must stop at that first server, name it and the step, and
touch no agent after it. test_playbook_tls.py rolls the role's own stages (outgoing before
incoming) through to the end on the same kind of cluster.
"""

from __future__ import annotations

import json

from conftest import run_playbook
from local_cluster import DetachedCluster

# the guide: certificates with verification off, then all three verify flags in one roll
GUIDE_PHASES = "{{ [tls_stages[0], tls_stages[2]] }}"


def test_the_guides_single_verify_roll_stops_at_the_first_server(tmp_path):
    cluster = DetachedCluster(tmp_path / "cluster", servers=3, clients=1, first_host=61)
    cluster.start(timeout=90)
    try:
        inventory = cluster.write_inventory(tmp_path / "inventory.json")
        done = run_playbook("tls", inventory, tls_pki_dir=str(tmp_path / "pki"), tls_http="keep",
                            tls_phases=GUIDE_PHASES, tls_timeout=60)
        output = done.stdout + done.stderr
        (tmp_path / "run.log").write_text(output)
        assert done.returncode != 0, output[-3000:]
        marker = "TLS stopped in phase 2 (incoming verification on) on "
        assert marker in output, output[-4000:]
        first_server = output.split(marker, 1)[1].split(",", 1)[0].strip()
        assert first_server in ("server1", "server2", "server3"), first_server
        assert 'at the step "Wait until the agent is back' in output
        # it went out of Raft: the servers were never whole again
        assert "voters" in output or "autopilot_healthy" in output, output[-4000:]

        def verify_incoming(name: str) -> bool:
            fragment = cluster.agents[name].config_dir / "60-consulsec-tls.json"
            return json.loads(fragment.read_text())["verify_incoming"]

        # client1 and that server got phase 2; the other two servers were not touched
        assert verify_incoming("client1") and verify_incoming(first_server)
        assert [verify_incoming(n) for n in ("server1", "server2", "server3") if n != first_server] \
            == [False, False]
    finally:
        cluster.stop()
