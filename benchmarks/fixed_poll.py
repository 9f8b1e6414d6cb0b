"""``streamtest`` with a fixed poll interval: the peers' policy, for side-by-side benchmarks.

    python benchmarks/fixed_poll.py SECONDS run -c streamtest.yml ...

The only change from ``python -m streamtest`` is the poller the command builds: every wait
(RUNNING, ``within`` checks, statements, the stream watch between attempts, cleanup) polls
every SECONDS seconds instead of starting short and growing. Benchmarks only; not shipped.
"""
from __future__ import annotations

import functools
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))

from streamtest import cli  # noqa: E402
from streamtest.poll import Poller  # noqa: E402


def main() -> int:
    seconds = float(sys.argv[1])
    cli.Poller = functools.partial(Poller, first=seconds, factor=1.0, ceiling=seconds, eager_for=0)
    return cli.main(sys.argv[2:])


if __name__ == "__main__":
    sys.exit(main())
