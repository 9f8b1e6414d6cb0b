"""§5 on a real misbehaving network: Toxiproxy between the runner and localspace (both on
127.0.0.1), each toxic switched on as its phase begins and off 4 s later (chaos_support.py).

For each cell the verdict stays right (the plan passes under a transient fault; a lasting one,
on until the run exits, ends in exit 3 naming NETWORK_ERROR under a 3 s retry budget), nothing
is left after the always() step, jobs/create reached the workspace at most once, and the run
ends within its budget (NetCell.budget). A seeded sample here (every toxic once, plus the cut-off jobs/create reply
that once failed); benchmarks/chaos.py runs every toxic in every phase.
"""
from __future__ import annotations

import pytest
import requests

from chaos_support import NET_PHASES, TOXICS, NetCell, Toxiproxy, need_toxiproxy, net_cells, run_net, sample
from guarantees_support import TOKEN, start_space

REGRESSIONS = [NetCell("limit-data-200B", "create"),      # run-now's reply cut: was a KeyError traceback
               NetCell("blackhole", "create", lasting=True)]  # each call hung for the 70 s read timeout
CELLS = REGRESSIONS + [c for c in sample(net_cells(), len(TOXICS), seed=5) if c not in REGRESSIONS]


@pytest.fixture(scope="module")
def toxiproxy(tmp_path_factory):
    if not need_toxiproxy():
        pytest.skip("toxiproxy-server not installed (make toxiproxy)")
    with Toxiproxy(tmp_path_factory.mktemp("toxiproxy") / "toxiproxy.log") as proxy:
        yield proxy


def test_the_matrix_takes_every_toxic_in_every_phase():
    assert {(c.fault, c.phase) for c in net_cells()} == {(t, p) for t in TOXICS for p in NET_PHASES}
    assert {c.fault for c in CELLS} == set(TOXICS)


def test_a_toxic_really_reaches_the_wire(toxiproxy, tmp_path):
    """limit_data through the proxy cuts a reply that comes whole without it."""
    space = start_space(tmp_path / "space")
    try:
        url = toxiproxy.proxy("probe", space.url.removeprefix("http://"))
        headers = {"Authorization": f"Bearer {TOKEN}"}
        assert requests.get(f"{url}/api/2.2/jobs/list", headers=headers, timeout=5).status_code == 200
        toxiproxy.toxic_on("probe", "cut", "limit_data", {"bytes": 40}, "downstream")
        try:      # the status line gets through, then the connection closes mid-headers
            reply = requests.get(f"{url}/api/2.2/jobs/list", headers=headers, timeout=5)
            cut = "Content-Length" not in reply.headers and not reply.content
        except requests.ConnectionError:
            cut = True
        assert cut
    finally:
        toxiproxy.delete("probe")
        space.stop()


@pytest.mark.timeout(120)
@pytest.mark.parametrize("cell", CELLS, ids=lambda c: c.id)
def test_network_fault(cell, toxiproxy, tmp_path):
    result = run_net(cell, tmp_path, toxiproxy)
    assert not result.problems, result.report()
