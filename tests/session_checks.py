"""Checks over the whole test session, run once at its end (tests/conftest.py), whatever tests
were selected and in whatever order: nothing of localspace is left running, and no secret
appears in anything the guarantee suite wrote."""
from __future__ import annotations

import os
import sys
import threading
from pathlib import Path

from waiting import wait_until


def child_processes() -> list[int]:
    me = str(os.getpid())
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[1] == me and fields[0] != "Z":
            children.append(int(stat.parent.name))
    return children


def describe(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()[:120]
    except OSError:
        return "?"


def localspace_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("localspace")]


def leftover_problems() -> list[str]:
    """Localspace's own children (python engine notebook processes, ``-m localspace...``), its
    threads, and any non-daemon thread still alive once every test and fixture has finished."""
    problems = []
    for what, condition in (
            ("localspace child processes", lambda: not [p for p in child_processes() if "localspace" in describe(p)]),
            ("localspace threads", lambda: not localspace_threads())):
        try:
            wait_until(condition, timeout=5, what=f"{what} to end")
        except AssertionError as exc:
            problems.append(str(exc))
    others = [t.name for t in threading.enumerate() if t is not threading.main_thread() and not t.daemon]
    if others:
        problems.append(f"non-daemon threads left: {others}")
    return problems


def secret_problems() -> list[str]:
    """A known secret or issued token in any report-like file of any guarantee case run in this
    session (none when no guarantee test ran)."""
    support = sys.modules.get("guarantees_support")
    if support is None:
        return []
    return support.scan_secrets(support.produced_dirs())
