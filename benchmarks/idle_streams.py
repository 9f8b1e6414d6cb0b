"""How much CPU idle streams cost the spark engine, by spark.sql.streaming.pollingDelay
(not a test). Six idle streams (three Delta table streams, three Auto Loader streams on
empty folders) run for 10 s per setting, the settings alternating, two rounds; the figure is
the JVM's CPU time over wall time (cores), read from /proc.

    .venv/bin/python benchmarks/idle_streams.py
"""
from __future__ import annotations

import os
import statistics
import sys
import tempfile
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))

from localspace.engine.spark_session import start_session, stop_session  # noqa: E402
from localspace.paths import Paths  # noqa: E402

DELAYS = ("10ms", "500ms")  # Spark's default; localspace's (spark_session.py)
SECONDS = 10.0


def jvm_cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def idle_streams(session, tag: str) -> list:
    queries = []
    for i in range(3):
        queries.append(session.readStream.table(f"dev.bench.t{i}").writeStream.format("noop")
                       .option("checkpointLocation", f"/Volumes/dev/bench/files/ck/{tag}/t{i}").start())
        queries.append(session.readStream.format("cloudFiles").option("cloudFiles.format", "json")
                       .schema("id INT").load(f"/Volumes/dev/bench/files/in{i}").writeStream.format("noop")
                       .option("checkpointLocation", f"/Volumes/dev/bench/files/ck/{tag}/f{i}").start())
    return queries


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        paths = Paths(Path(folder) / "root")
        (paths.volumes_root / "dev" / "bench" / "files").mkdir(parents=True)
        session, _ = start_session(paths)
        pid = int(session.sparkContext._jvm.ProcessHandle.current().pid())
        pause = threading.Event()
        for i in range(3):
            session.sql(f"CREATE TABLE dev.bench.t{i} (id INT)")
        cores: dict[str, list[float]] = {d: [] for d in DELAYS}
        for round_ in range(2):
            for delay in DELAYS:
                session.conf.set("spark.sql.streaming.pollingDelay", delay)
                queries = idle_streams(session, f"{delay}-{round_}")
                pause.wait(5)  # past the first (empty) batches
                before = jvm_cpu_seconds(pid)
                pause.wait(SECONDS)
                cores[delay].append((jvm_cpu_seconds(pid) - before) / SECONDS)
                for query in queries:
                    query.stop()
        stop_session(session)
    for delay, figures in cores.items():
        print(f"pollingDelay {delay:>5}: median {statistics.median(figures):.2f} cores of JVM CPU "
              f"with 6 idle streams (rounds: {', '.join(f'{c:.2f}' for c in figures)})")


if __name__ == "__main__":
    main()
