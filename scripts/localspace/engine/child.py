"""The python engine's notebook process: ``python -m localspace.engine.child FD``.

The emulator starts one of these per run, in its own process group, and talks to it over a
socket (file descriptor FD): it sends the run's spec (program, parameters, root, secrets -
never through a file or the command line), and this process answers with the outcome. The
socket doubles as a lifeline: when the emulator dies its end closes, and this process kills
its whole group at once, so a notebook can never outlive the emulator.
"""
from __future__ import annotations

import builtins
import json
import os
import signal
import socket
import sys
import threading

from ..paths import Paths
from .dbutils import DBUtils
from .fileopen import mapped_import, mount, notebook_builtins
from .notebook import Program
from .context import NotebookContext, cluster_conf, context_from, runtime_environ
from .pyshim import LocalSpark, NotOnThisEngine
from .runner import display, run_program
from .sqlstore import SqlStore


def _read_spec(channel: socket.socket) -> dict:
    buffer = b""
    while not buffer.endswith(b"\n"):
        chunk = channel.recv(65536)
        if not chunk:  # the emulator went away before sending the spec
            os._exit(3)
        buffer += chunk
    return json.loads(buffer)


def _watch_lifeline(channel: socket.socket) -> None:
    """Block until the emulator's end closes, then end this process group."""
    try:
        while channel.recv(4096):
            pass
    except OSError:
        pass
    os.killpg(os.getpgrp(), signal.SIGKILL)


def main(fd: int) -> None:
    channel = socket.socket(fileno=fd)
    spec = _read_spec(channel)
    threading.Thread(target=_watch_lifeline, args=(channel,), daemon=True,
                     name="localspace-lifeline").start()

    paths = Paths(spec["root"])
    mount(paths)  # this process runs only the notebook: all of it sees volumes
    builtins.__import__ = mapped_import(paths, {})  # this process runs only the notebook
    session = SqlStore(paths).session()
    program = Program.from_json(spec["program"])
    run_context = context_from(spec.get("context"))
    dbutils = DBUtils(paths, spec["parameters"], spec["secrets"], spec["task_key"], spec["task_values"],
                      context=NotebookContext(program.path, run_context))
    namespace = {
        "__name__": "__main__",
        "spark": LocalSpark(session, cluster_conf(run_context, spec.get("spark_version", ""))),
        "sc": NotOnThisEngine("sc"),
        "sqlContext": NotOnThisEngine("sqlContext"),
        "dbutils": dbutils,
        "getArgument": dbutils.widgets.getArgument,
        "display": display,
        "displayHTML": print,
    }
    namespace["__builtins__"] = notebook_builtins(paths, program.path, {}, namespace,
                                                  runtime_environ(spec.get("spark_version", "")))
    outcome = run_program(program, namespace)
    sys.stdout.flush()
    sys.stderr.flush()
    answer = {**outcome.__dict__, "task_values": namespace["dbutils"].jobs.taskValues.own()}
    channel.sendall(json.dumps(answer).encode() + b"\n")
    channel.shutdown(socket.SHUT_WR)
    # Threads the notebook left behind must not keep the run alive.
    os._exit(0)


if __name__ == "__main__":
    main(int(sys.argv[1]))
