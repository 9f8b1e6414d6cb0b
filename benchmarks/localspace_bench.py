"""How fast localspace answers: runs/get under concurrent clients, and cancel -> TERMINATED.

Not a test (timings never go in assertions); run it to see the figures:

    .venv/bin/python benchmarks/localspace_bench.py [--clients 20] [--seconds 5] [--cancels 10]

Prints one table: requests/second and p50/p99 latency of GET jobs/runs/get with N clients
(each on its own keep-alive connection, as the SDK keeps one), and the time from the
runs/cancel call to the first runs/get that shows TERMINATED, for runs of a notebook that
loops forever. The emulator runs as its own process (``python -m localspace serve``), as
users run it, so the clients' Python does not share its interpreter lock; the clients use
http.client so that the figure is the server's, not the client library's.
"""
from __future__ import annotations

import argparse
import base64
import http.client
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import requests

SCRIPTS = str(Path(__file__).resolve().parents[1] / "scripts")

TOKEN = "dapi-bench"
LOOP = "# Databricks notebook source\nimport time\nwhile True:\n    time.sleep(0.05)\n"


def session() -> requests.Session:
    s = requests.Session()
    s.headers["Authorization"] = f"Bearer {TOKEN}"
    return s


def wait_for(check, timeout: float = 30.0, interval: float = 0.005):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(interval)
    raise TimeoutError("condition not met")


def start_looping_run(s: requests.Session, url: str) -> int:
    run_id = s.post(f"{url}/api/2.2/jobs/runs/submit", json={"run_name": "bench", "tasks": [
        {"task_key": "loop", "notebook_task": {"notebook_path": "/Shared/bench/loop"}}]}).json()["run_id"]
    wait_for(lambda: life(s, url, run_id) == "RUNNING")
    return run_id


def life(s: requests.Session, url: str, run_id: int) -> str:
    return s.get(f"{url}/api/2.2/jobs/runs/get", params={"run_id": run_id}).json()["state"]["life_cycle_state"]


def load(url: str, run_id: int, clients: int, seconds: float) -> tuple[int, list[float], int]:
    latencies: list[list[float]] = [[] for _ in range(clients)]
    errors = [0] * clients
    stop_at = time.monotonic() + seconds
    barrier = threading.Barrier(clients)

    where = urlsplit(url)
    headers = {"Authorization": f"Bearer {TOKEN}"}

    def worker(i: int) -> None:
        connection = http.client.HTTPConnection(where.hostname, where.port)
        barrier.wait()
        while time.monotonic() < stop_at:
            t0 = time.perf_counter()
            connection.request("GET", f"/api/2.2/jobs/runs/get?run_id={run_id}", headers=headers)
            response = connection.getresponse()
            response.read()
            latencies[i].append(time.perf_counter() - t0)
            errors[i] += response.status != 200
        connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - t0
    flat = [x for per in latencies for x in per]
    return int(len(flat) / elapsed), flat, sum(errors)


def cancel_times(s: requests.Session, url: str, count: int) -> list[float]:
    times = []
    for _ in range(count):
        run_id = start_looping_run(s, url)
        t0 = time.perf_counter()
        s.post(f"{url}/api/2.2/jobs/runs/cancel", json={"run_id": run_id})
        wait_for(lambda: life(s, url, run_id) == "TERMINATED", interval=0.002)
        times.append(time.perf_counter() - t0)
    return times


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--cancels", type=int, default=10)
    parser.add_argument("--engine", default="python")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as root:
        server = subprocess.Popen(
            [sys.executable, "-m", "localspace", "serve", "--root", root, "--engine", args.engine,
             "--token", TOKEN, "--pending", "0"], stdout=subprocess.PIPE, text=True,
            env={**os.environ, "PYTHONPATH": SCRIPTS})
        try:
            url = server.stdout.readline().strip()
            s = session()
            s.post(f"{url}/api/2.0/workspace/mkdirs", json={"path": "/Shared/bench"})
            s.post(f"{url}/api/2.0/workspace/import", json={
                "path": "/Shared/bench/loop", "format": "SOURCE", "language": "PYTHON",
                "content": base64.b64encode(LOOP.encode()).decode()})
            run_id = start_looping_run(s, url)
            rps, latencies, errors = load(url, run_id, args.clients, args.seconds)
            s.post(f"{url}/api/2.2/jobs/runs/cancel", json={"run_id": run_id})
            cancels = cancel_times(s, url, args.cancels)
        finally:
            server.terminate()
            server.wait(30)
    rows = [
        ("machine", f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}"),
        ("engine", args.engine),
        (f"runs/get, {args.clients} clients, {args.seconds:g}s", f"{len(latencies)} requests, {errors} errors"),
        ("throughput", f"{rps} requests/s"),
        ("latency p50", f"{pct(latencies, 0.50) * 1000:.2f} ms"),
        ("latency p99", f"{pct(latencies, 0.99) * 1000:.2f} ms"),
        (f"cancel -> TERMINATED ({len(cancels)} runs) median", f"{statistics.median(cancels) * 1000:.0f} ms"),
        ("cancel -> TERMINATED max", f"{max(cancels) * 1000:.0f} ms"),
    ]
    width = max(len(k) for k, _ in rows)
    print(f"{'measure'.ljust(width)} | value")
    print(f"{'-' * width}-+-{'-' * 30}")
    for key, value in rows:
        print(f"{key.ljust(width)} | {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
