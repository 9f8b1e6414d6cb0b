"""A class archive for the engine's JVM, so it starts in about 8 s instead of 12.

Starting Spark with Delta loads and verifies tens of thousands of classes from jars, which is
most of the engine's start on a 2-core machine. The JDK's Class Data Sharing keeps classes
already parsed and verified in an archive file that later JVMs map at start (JDK 17: a
"dynamic archive", written with ``-XX:ArchiveClassesAtExit`` by one JVM at its exit and
loaded with ``-XX:SharedArchiveFile``; Oracle's JDK guide, "Class Data Sharing").

The archive only fits the JDK and the jars it was made with, so its name carries a hash of
both; a JVM that finds it does not fit ignores it and starts as without it (``-Xshare:auto``,
the default). It is made by ``python -m localspace jars`` (``make jars``, CI), in a JVM of its
own that starts the engine's session, runs the warm-up and a MERGE, and exits; the file is
written under a temporary name and renamed when complete, so a concurrent or killed build
never leaves a half archive where the engine looks. Without it the engine starts as before.
"""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Optional

from .jvm import cache_dir, jdk_tool, spark_jars_dir

KEEP = 3  # archives kept in the cache, the newest
_QUIET = "-Xlog:cds=off -Xlog:cds+dynamic=off"


def archive_path(jars: list[str]) -> Path:
    """Where the archive for this JDK, this Spark and these jars lives."""
    digest = hashlib.sha256()
    java = jdk_tool("java")
    entries = [Path(os.path.realpath(java)) if java else Path("java"),
               *sorted(spark_jars_dir().glob("*.jar")), *map(Path, jars)]
    for entry in entries:
        stat = entry.stat() if entry.exists() else None
        digest.update(f"{entry}\0{stat.st_size if stat else 0}\0{stat.st_mtime_ns if stat else 0}\n".encode())
    return cache_dir() / f"classes-{digest.hexdigest()[:16]}.jsa"


def java_options(jars: list[str], dump_to: Optional[Path] = None) -> str:
    """The JVM options that load the archive (or, with ``dump_to``, write one there). The
    JVM's own CDS lines stay off the user's terminal: an archive that does not fit is simply
    not used."""
    if dump_to is not None:
        return f"-XX:ArchiveClassesAtExit={dump_to} {_QUIET}"
    archive = archive_path(jars)
    return f"-XX:SharedArchiveFile={archive} {_QUIET}" if archive.exists() else ""


_TRAINING = """
import sys, tempfile
from pathlib import Path
from localspace.paths import Paths
from localspace.engine.spark_session import start_session
paths = Paths(Path(tempfile.mkdtemp(prefix="localspace-classes-")) / "root")
session, _ = start_session(paths, dump_classes_to=Path(sys.argv[1]))
session.sql("CREATE TABLE main.default.t (k INT, v INT)")
session.sql("MERGE INTO main.default.t a USING (SELECT 1 k, 2 v) b ON a.k = b.k "
            "WHEN MATCHED THEN UPDATE SET * WHEN NOT MATCHED THEN INSERT *")
session.sql("SELECT count(*) FROM main.default.t").collect()
jvm = session.sparkContext._gateway.proc  # the JVM writes the archive as it exits:
session.stop()                             # on the end of its stdin (PythonGatewayServer)
jvm.stdin.close()
sys.exit(jvm.wait(timeout=300))
"""


def build(jars: list[str]) -> Optional[Path]:
    """Make the archive if it is missing; returns its path (None when the JVM made none)."""
    archive = archive_path(jars)
    if archive.exists():
        return archive
    partial = archive.with_name(f"{archive.stem}.{os.getpid()}.tmp")
    scripts = str(Path(__file__).resolve().parents[2])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [scripts, os.environ.get("PYTHONPATH")]))}
    with tempfile.TemporaryDirectory(prefix="localspace-classes-") as cwd:
        done = subprocess.run([sys.executable, "-c", _TRAINING, str(partial)], cwd=cwd, env=env,
                              capture_output=True, text=True, timeout=600)
    if done.returncode != 0 or not partial.exists() or partial.stat().st_size == 0:
        partial.unlink(missing_ok=True)
        return None
    os.replace(partial, archive)
    # Other checkouts (their own venv) and older jars have their own; ~180 MB each: keep a few.
    for old in sorted(cache_dir().glob("classes-*.jsa"), key=lambda p: p.stat().st_mtime)[:-KEEP]:
        old.unlink(missing_ok=True)
    return archive
