"""``make demo``: a real streaming integration test on this machine, no workspace needed.

Starts localspace with the Spark engine on a free loopback port, runs ``streamtest run`` on
the SBIT stream plan (examples/sbit/streamtest.yml) against it with live progress, writes
streamtest-junit.xml and streamtest-summary.md here, and stops the emulator whatever
happened. Exits with the runner's exit code (2 when Java is missing).

The emulator runs in its own session, so Ctrl-C reaches only the runner: the runner cancels
the streaming job and deletes what it created, and only then is the emulator stopped.
"""
from __future__ import annotations

import os
import secrets
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PLAN = "examples/sbit/streamtest.yml"
JUNIT = "streamtest-junit.xml"
SUMMARY = "streamtest-summary.md"
EMULATOR_START = 180.0   # seconds for the JVM and the first SparkSession on a slow machine
EMULATOR_STOP = 30.0     # seconds for the emulator to cancel runs and stop Spark
RUNNER_CLEANUP = 120.0   # seconds the runner may take to clean up after Ctrl-C
# The plan's notebook checks run on compute.cluster_id (${env.DATABRICKS_CLUSTER_ID}), as on a
# workspace with an all-purpose cluster up: localspace starts runs on an existing cluster at
# once (its engine is that cluster); the pipeline's own job cluster still takes --pending.
CLUSTER_ID = "localspace-all-purpose"   # localspace's default all-purpose cluster
# The plan's catalog (var env, scratch.catalog): on Databricks it exists before the run makes
# its scratch schema in it; localspace has only `main` unless told otherwise.
CATALOG = "dev"
# The job cluster's simulated start (serve's --pending, 2 s by default): long enough that the
# run is seen PENDING before RUNNING, as on a workspace, without the demo waiting on a cluster
# that does not exist.
PENDING = "0.5s"


def say(message: str) -> None:
    print(f"demo: {message}", file=sys.stderr, flush=True)


def start_emulator(root: Path, env: dict, log) -> tuple[subprocess.Popen, str]:
    """Start ``localspace serve`` and return it with the URL it prints once it listens."""
    emulator = subprocess.Popen(
        [sys.executable, "-m", "localspace", "serve", "--engine", "spark", "--port", "0",
         "--root", str(root), "--catalog", CATALOG, "--pending", PENDING],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=log, text=True,
        start_new_session=True)
    try:
        with selectors.DefaultSelector() as selector:
            selector.register(emulator.stdout, selectors.EVENT_READ)
            deadline = time.monotonic() + EMULATOR_START
            while time.monotonic() < deadline:
                if selector.select(timeout=deadline - time.monotonic()):
                    url = emulator.stdout.readline().strip()
                    if url.startswith("http://"):
                        return emulator, url
                    break  # end of output: the emulator exited without a URL
        raise RuntimeError("localspace did not start")
    except BaseException:
        stop_emulator(emulator)
        raise


def stop_emulator(emulator: subprocess.Popen) -> None:
    """SIGTERM (serve cancels every run and stops Spark), a deadline, then SIGKILL.

    Ctrl-C is ignored meanwhile: the emulator is in its own session, so an interrupted stop
    would leave it running."""
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        if emulator.poll() is None:
            emulator.send_signal(signal.SIGTERM)
            try:
                emulator.wait(EMULATOR_STOP)
            except subprocess.TimeoutExpired:
                emulator.kill()
                emulator.wait()
    finally:
        signal.signal(signal.SIGINT, previous)


def run_streamtest(env: dict) -> int:
    """The runner in the foreground, its progress straight to this terminal."""
    runner = subprocess.Popen(
        [sys.executable, "-m", "streamtest", "run", "-c", PLAN, "--junit", JUNIT,
         "--summary", SUMMARY], cwd=REPO, env=env)
    try:
        return runner.wait()
    except KeyboardInterrupt:
        # The runner got the same Ctrl-C and is cleaning up: let it finish.
        say("interrupted; waiting for streamtest to cancel the job and clean up")
        try:
            return runner.wait(RUNNER_CLEANUP)
        except (KeyboardInterrupt, subprocess.TimeoutExpired):
            runner.kill()
            return runner.wait()


def main() -> int:
    if shutil.which("java") is None:
        print("demo: Java not found: install Java 17 (e.g. `sudo apt-get install "
              "openjdk-17-jre-headless`, or `brew install openjdk@17`) and run `make demo` again",
              file=sys.stderr)
        return 2
    started = time.monotonic()
    token = "dapi-demo-" + secrets.token_hex(16)
    base_env = {k: v for k, v in os.environ.items()
                if not k.startswith(("DATABRICKS_", "GITHUB_"))}
    base_env["PYTHONPATH"] = os.pathsep.join(
        [str(REPO / "scripts")] + ([os.environ["PYTHONPATH"]] if os.environ.get("PYTHONPATH") else []))
    with tempfile.TemporaryDirectory(prefix="localspace-demo-") as tmp:
        root = Path(tmp) / "root"
        log_path = Path(tmp) / "localspace.log"
        say("starting localspace with the Spark engine (the JVM takes a few seconds)")
        with open(log_path, "w") as log:
            try:
                emulator, url = start_emulator(root, {**base_env, "LOCALSPACE_TOKEN": token}, log)
            except (RuntimeError, KeyboardInterrupt) as error:
                say(f"{error or 'interrupted'}; its log:")
                sys.stderr.write(log_path.read_text()[-4000:])
                return 3
            try:
                say(f"localspace at {url} after {time.monotonic() - started:.1f}s; "
                    f"running streamtest on {PLAN}")
                code = run_streamtest({**base_env, "DATABRICKS_HOST": url, "DATABRICKS_TOKEN": token,
                                       "DATABRICKS_CLUSTER_ID": CLUSTER_ID})
            finally:
                stop_emulator(emulator)
    say(f"streamtest exited {code}; reports in {JUNIT} and {SUMMARY}; "
        f"demo took {time.monotonic() - started:.0f}s")
    return code


if __name__ == "__main__":
    sys.exit(main())
