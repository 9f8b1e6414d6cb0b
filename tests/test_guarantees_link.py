"""§5 when the link itself misbehaves: the kernel's own controls on a veth pair between two
network namespaces the test makes (tests/netns_support.py: localspace in one, the runner in
the other, both on 127.0.0.1 and unreachable from anywhere else): a ``tbf`` rate limit
(1 KB/s queued; 8 KB/s with a one-packet queue, so bursts are dropped and TCP retransmits),
the far end of the link taken down (a blackhole) and the runner's own end (network
unreachable at once), each switched on as its phase begins and off 4 s
later, as the Toxiproxy cells are (chaos_support.run_net, the same judging and budgets), and
the link left down until the run exits (exit 3 naming NETWORK_ERROR under a 3 s budget).

A sample here (every fault, every phase); benchmarks/chaos.py runs every fault in every phase.
"""
from __future__ import annotations

import re
import subprocess
import sys

import pytest

from chaos_support import NET_PHASES, NetCell, net_cells, run_net, sample
from guarantees_support import TOKEN
from netns_support import LINK_FAULTS, LINK_LASTING, Link, ours, unavailable

CELLS = sample(net_cells(LINK_FAULTS, LINK_LASTING), None, seed=3) + [
    NetCell("link-down", "create", lasting=True)]     # a create that never answers: found, not repeated
PROBE = ("import sys, requests\n"
         "try:\n"
         "    reply = requests.get(sys.argv[1] + '/api/2.2/jobs/list', headers={'Authorization': 'Bearer ' + sys.argv[2]},"
         " timeout=float(sys.argv[3]))\n"
         "    print(reply.status_code, len(reply.content))\n"
         "except requests.RequestException as exc:\n"
         "    print(type(exc).__name__)\n")


@pytest.fixture
def link():
    why = unavailable()
    if why:
        pytest.skip(why)
    with Link() as made:       # the namespaces (and the veth pair in them) go even when the test fails
        yield made
    assert made.server not in ours() and made.runner not in ours()


def probe(link: Link, url: str, timeout: float = 5) -> str:
    """One request from the runner's namespace, as the runner makes it."""
    return subprocess.run([*link.wrap, sys.executable, "-c", PROBE, url, TOKEN, str(timeout)],
                          capture_output=True, text=True, timeout=timeout + 20).stdout.strip()


def test_the_sample_takes_every_fault_and_every_phase():
    assert {c.fault for c in CELLS} == set(LINK_FAULTS)
    assert {c.phase for c in CELLS} == set(NET_PHASES)


def test_the_link_is_the_only_way_in_and_its_faults_reach_the_wire(link, tmp_path):
    space = link.start_space(tmp_path / "space")
    try:
        assert space.url.startswith("http://127.0.0.1:")
        assert probe(link, space.url).startswith("200 ")                      # over the veth
        outside = subprocess.run([sys.executable, "-c", PROBE, space.url, TOKEN, "2"],
                                 capture_output=True, text=True, timeout=30).stdout.strip()
        assert not outside.startswith("200")                                  # this machine's 127.0.0.1: not there
        link.on("probe", "link-down")
        assert probe(link, space.url, timeout=1) in ("ConnectTimeout", "ReadTimeout")   # vanished, not refused
        link.off("probe")
        link.on("probe", "runner-link-down")
        assert probe(link, space.url, timeout=1) == "ConnectionError"                    # unreachable at once
        link.off("probe")
        assert probe(link, space.url).startswith("200 ")
        link.on("probe", "tbf-64kbit-drops")
        assert probe(link, space.url).startswith("200 ")
        shaped = link.qdisc(link.server)
        link.off("probe")
        sent = re.search(r"qdisc tbf .*\n Sent (\d+) bytes", shaped)
        assert sent and int(sent.group(1)) > 0, shaped                      # the reply went through the limit
    finally:
        space.stop()


@pytest.mark.timeout(150)
@pytest.mark.parametrize("cell", CELLS, ids=lambda c: c.id)
def test_link_fault(cell, link, tmp_path):
    result = run_net(cell, tmp_path, link)
    assert not result.problems, result.report()
