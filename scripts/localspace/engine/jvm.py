"""The JVM side of the spark engine: Delta Lake's jars and localspace's own Java classes.

A Databricks cluster is Apache Spark plus Delta Lake plus Databricks' own catalog and file
system. Here the same roles are played by

- Delta Lake's jars (``io.delta:delta-spark_<spark>_2.13``, the version of the pinned
  ``delta-spark`` package), fetched once from Maven Central with Spark's own resolver (Ivy,
  what ``delta.configure_spark_with_delta_pip`` uses) into a cache folder, and listed in a
  manifest so later starts load them from disk with no network at all;
- the classes in ``java/`` (the Unity Catalog plugin, the ``dbfs:`` file system, the
  Databricks-only SQL statements, Auto Loader), compiled once with the JDK's ``javac``
  against those jars into a jar named by the hash of their sources.

The cache is ``$LOCALSPACE_JARS`` or ``~/.cache/localspace/jars``. ``python -m localspace
jars`` fills it ahead of time (CI does); a machine with the cache and no network starts;
one with neither gets one line saying what is missing and how to get it.
"""
from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import zipfile
from importlib import metadata
from pathlib import Path
from typing import Optional

JAVA_SOURCES = Path(__file__).parent / "java"
# Spark ships these; Delta's pom pulls its own copies, which would shadow Spark's logging.
_PROVIDED = ("org.apache.logging.log4j:log4j-core", "org.apache.logging.log4j:log4j-api",
             "org.apache.logging.log4j:log4j-slf4j2-impl", "org.slf4j:slf4j-api")


class JarsUnavailable(RuntimeError):
    """The engine cannot get a jar it needs; the message says how to fix that."""


def cache_dir() -> Path:
    return Path(os.environ.get("LOCALSPACE_JARS") or Path.home() / ".cache" / "localspace" / "jars")


def delta_coordinate() -> str:
    """io.delta:delta-spark_4.1_2.13:4.4.0 for the installed pyspark and delta-spark."""
    import pyspark
    spark = ".".join(pyspark.__version__.split(".")[:2])
    return f"io.delta:delta-spark_{spark}_2.13:{metadata.version('delta-spark')}"


def spark_jars_dir() -> Path:
    import pyspark
    return Path(pyspark.__file__).parent / "jars"


def _manifest(coordinate: str) -> Path:
    return cache_dir() / (coordinate.replace(":", "_") + ".txt")


def delta_jars(fetch: bool = True) -> list[str]:
    """Local paths of Delta's jars, fetching them the first time."""
    manifest = _manifest(delta_coordinate())
    if manifest.exists():
        jars = manifest.read_text().split()
        if jars and all(Path(j).exists() for j in jars):
            return jars
    if not fetch:
        raise JarsUnavailable(f"Delta Lake jars ({delta_coordinate()}) are not in {cache_dir()}")
    return _fetch(manifest)


def _fetch(manifest: Path) -> list[str]:
    coordinate = delta_coordinate()
    ivy = cache_dir() / "ivy"
    print(f"localspace: fetching Delta Lake ({coordinate}) from Maven Central into {cache_dir()} "
          "(once)", file=sys.stderr, flush=True)
    # A short-lived JVM resolves the package; its Ivy log stays out of the user's way.
    script = ("import sys\nfrom pyspark.sql import SparkSession\n"
              "s = (SparkSession.builder.master('local[1]').config('spark.ui.enabled', 'false')"
              f".config('spark.jars.packages', {coordinate!r}).config('spark.jars.ivy', {str(ivy)!r})"
              f".config('spark.jars.excludes', {','.join(_PROVIDED)!r})"
              ".config('spark.driver.host', '127.0.0.1').config('spark.driver.bindAddress', '127.0.0.1')"
              ".getOrCreate())\n"
              "print(s.sparkContext.getConf().get('spark.jars'))\ns.stop()\n")
    env = {**os.environ, "SPARK_LOCAL_IP": "127.0.0.1"}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env,
                          timeout=900)
    urls = done.stdout.strip().splitlines()[-1] if done.returncode == 0 and done.stdout.strip() else ""
    jars = [u.removeprefix("file://") for u in urls.split(",") if u.endswith(".jar")]
    if not jars:
        reason = next((line.strip() for line in done.stderr.splitlines()
                       if "not found" in line or "UNRESOLVED" in line or "Exception" in line), "")
        raise JarsUnavailable(
            f"cannot fetch Delta Lake ({coordinate}) from Maven Central{': ' + reason if reason else ''}; "
            f"run `python -m localspace jars` on a machine that reaches Maven Central, or copy its "
            f"{cache_dir()} here (or start localspace with --engine python)")
    jars = [j for j in jars if _artifact(Path(j).name.split("_", 1)[-1]) not in _spark_artifacts()]
    manifest.parent.mkdir(parents=True, exist_ok=True)
    manifest.write_text("\n".join(jars) + "\n")
    return jars


def _artifact(jar_name: str) -> str:
    """jackson-core-2.13.5.jar -> jackson-core (Ivy names them org_artifact-version.jar)."""
    return re.sub(r"-\d[^-]*(?:-[A-Za-z0-9.]+)?\.jar$", "", jar_name)


def _spark_artifacts() -> set[str]:
    """Artifacts pyspark already ships: Spark's own copies are the ones that must load."""
    return {_artifact(p.name) for p in spark_jars_dir().glob("*.jar")}


def jdk_tool(name: str) -> Optional[str]:
    """A JDK program (java, javac): $JAVA_HOME/bin's when JAVA_HOME is set, else the PATH's."""
    home = os.environ.get("JAVA_HOME")
    return shutil.which(name, path=os.path.join(home, "bin")) if home else shutil.which(name)


def _sources() -> list[Path]:
    return sorted(p for p in JAVA_SOURCES.rglob("*") if p.is_file() and "__pycache__" not in p.parts)


def localspace_jar(classpath: list[str]) -> str:
    """localspace's own classes as a jar, compiled the first time its sources are seen."""
    digest = hashlib.sha256()
    for source in _sources():
        digest.update(str(source.relative_to(JAVA_SOURCES)).encode() + b"\0" + source.read_bytes())
    jar = cache_dir() / f"localspace-{digest.hexdigest()[:16]}.jar"
    if jar.exists():
        return str(jar)
    javac = jdk_tool("javac")
    if javac is None:
        raise JarsUnavailable("the spark engine compiles its Java classes once and needs a JDK's "
                              "javac (e.g. apt-get install openjdk-17-jdk-headless), or start "
                              "localspace with --engine python")
    build = cache_dir() / f"build-{os.getpid()}"
    shutil.rmtree(build, ignore_errors=True)
    build.mkdir(parents=True)
    cp = os.pathsep.join([str(spark_jars_dir() / "*"), *classpath])
    java_files = [str(s) for s in _sources() if s.suffix == ".java"]
    done = subprocess.run([javac, "-nowarn", "-proc:none", "-d", str(build), "-cp", cp, *java_files],
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise JarsUnavailable("localspace's Java classes do not compile:\n" + done.stderr)
    partial = jar.with_suffix(f".{os.getpid()}.tmp")
    with zipfile.ZipFile(partial, "w") as archive:
        for path in sorted(build.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(build))
        for path in _sources():
            if path.suffix != ".java":
                archive.write(path, path.relative_to(JAVA_SOURCES))  # META-INF/services
    os.replace(partial, jar)
    shutil.rmtree(build, ignore_errors=True)
    return str(jar)


def engine_jars(fetch: bool = True) -> list[str]:
    """Every jar the spark engine adds to Spark's own: Delta's, then localspace's."""
    delta = delta_jars(fetch)
    return [*delta, localspace_jar(delta)]
