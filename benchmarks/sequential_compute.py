"""``streamtest`` without starting compute ahead: the sequential order, for cold_start.py.

    python benchmarks/sequential_compute.py run -c streamtest.yml ...

The only change from ``python -m streamtest`` is that the plan's schedule has no "start
compute ahead" step, so the SQL warehouse starts only when the first statement reaches it,
after the job's cluster is up. Benchmarks only; not shipped.
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))

from streamtest import cli, schedule  # noqa: E402


def main() -> int:
    schedule.warm_targets = lambda plan: []
    return cli.main(sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())
