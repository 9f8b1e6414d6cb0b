"""The guarantee suite (spec §5) as one printed table: is every promise kept, cell by cell?

    .venv/bin/python benchmarks/selftest.py [--only GROUP ...] [--skip-long] [--workers 6] [--keep DIR]

Runs the same cases as tests/test_guarantees_*.py, through the same code
(tests/guarantees_support.py): the fault matrix (every phase x every fault kind, transient
and lasting), cancellation in every phase (GitHub's SIGINT/SIGTERM/SIGKILL sequence, and
SIGKILL + the always() cleanup), ten parallel runs, the dead-man switch, hostile input, a
minute on 3-second OAuth tokens, and GitHub OIDC federation. Each case starts its own
localspace (python engine) on 127.0.0.1 and runs ``python -m streamtest`` as a subprocess.

Columns: cells run; verdicts right (exit code and message as the spec says); leftovers
found (jobs, active runs, active statements, workspace objects left in the emulator, summed);
secrets found (a token, client secret or OIDC token in any stdout, stderr, JUnit, summary,
GitHub output or state file); slowest cleanup (the run's own cleanup from its JUnit, or the
always() ``streamtest cleanup`` command where that is what cleaned). Exit status 0 only when
every cell is right with zero leftovers and zero secrets; the cells that are not are listed
under the table.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "tests"), str(REPO / "scripts")]

import guarantees_support as g  # noqa: E402

GROUPS = {
    "fault matrix": lambda base, workers: g.run_pool(
        [lambda cell=cell: g.run_cell(cell, base) for cell in g.matrix()], workers),
    "cancellation": lambda base, workers: g.run_pool(
        [lambda case=case: g.run_cancel(case, base) for case in g.cancel_cases()], min(workers, 4)),
    "parallel runs": lambda base, workers: g.run_parallel(base, runs=10),
    "dead-man": lambda base, workers: [g.run_dead_man(base)],
    "hostile input": lambda base, workers: g.run_pool(
        [lambda case=case: g.run_hostile(case, base) for case in g.hostile_cases()], workers),
    "long run (OAuth)": lambda base, workers: [g.run_long_oauth(base)],
    "secrets (OIDC)": lambda base, workers: [g.run_oidc(base)],
}


COLUMNS = ("group", "cells run", "verdicts right", "leftovers found", "secrets found", "slowest cleanup",
           "wall", "slowest cleanup in")
WIDTHS = (18, 9, 14, 15, 13, 15, 6, 0)


def line(cells: list) -> str:
    return "  ".join(str(c).ljust(w) if i in (0, 7) else str(c).rjust(w)
                     for i, (c, w) in enumerate(zip(cells, WIDTHS))).rstrip()


def table_row(name: str, results: list, seconds: float) -> list:
    right = sum(1 for r in results if r.verdict_right)
    slowest = max(results, key=lambda r: r.cleanup_seconds, default=None)
    return [name, len(results), f"{right}/{len(results)}", sum(r.left_behind for r in results),
            sum(len(r.secrets) for r in results), f"{slowest.cleanup_seconds:.1f}s" if slowest else "-",
            f"{seconds:.0f}s", slowest.name if slowest else ""]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", action="append", choices=list(GROUPS), help="run only these groups")
    parser.add_argument("--skip-long", action="store_true", help="leave out the one-minute OAuth run")
    parser.add_argument("--workers", type=int, default=6, help="cases run side by side (default 6)")
    parser.add_argument("--keep", type=Path, help="keep every case's files here (default: a temporary folder)")
    args = parser.parse_args()
    chosen = [name for name in GROUPS if (not args.only or name in args.only)
              and not (args.skip_long and name == "long run (OAuth)")]

    rows, everything, started = [], [], time.monotonic()
    with tempfile.TemporaryDirectory(prefix="streamtest-selftest-") as temp:
        root = args.keep or Path(temp)
        for index, name in enumerate(chosen):
            base = root / f"{index}-{name.split()[0]}"
            base.mkdir(parents=True, exist_ok=True)
            print(f"running {name} ...", file=sys.stderr, flush=True)
            group_started = time.monotonic()
            results = GROUPS[name](base, args.workers)
            rows.append(table_row(name, results, time.monotonic() - group_started))
            everything += results
        closing = g.closing_lines(everything)
    total = table_row("total", everything, time.monotonic() - started)

    print(line(COLUMNS))
    print(line(["-" * max(w, 1) if w else "-" * 18 for w in WIDTHS]))
    for cells in rows + [total]:
        print(line(cells))
    print("\n" + "\n".join(closing))
    return 0 if not any("NOT RIGHT" in text for text in closing) else 1


if __name__ == "__main__":
    sys.exit(main())
