"""The link's own controls: two private network namespaces joined by a veth pair, with the
kernel's ``tbf`` rate limit on it and the link taken down and up (a blackhole). Used by
tests/test_guarantees_link.py and benchmarks/chaos.py through chaos_support.run_net.

Why two namespaces, and why everything still binds 127.0.0.1: servers here listen on
127.0.0.1 only, and the runner accepts plain http only for 127.0.0.1. So localspace runs in
one namespace the test makes (its loopback device left down) whose veth end carries
127.0.0.1; the runner runs in a second one whose veth end carries 127.0.0.2. With
``route_localnet`` on in those two namespaces only, the runner's http://127.0.0.1:PORT
crosses the veth, so a fault on the veth is on the runner's path. Neither namespace has any
other device or route: nothing outside the machine, nor anything on the machine's own
127.0.0.1, can reach the server, and the machine's own network settings are not touched.

Names carry the test process's pid and a counter (``stl<pid>n<k>s``/``r``, also the veth
ends' names, which live inside the namespaces), so parallel pytest workers never collide;
deleting the two namespaces deletes the veth pair with them. ``close()`` deletes them (a
fixture's teardown, a ``with`` block), an exit hook deletes any this process still has, and
one left by a process that died (SIGKILL runs neither) is deleted the next time a link is made.

The python engine's notebook processes talk to localspace over a socketpair, not the
network, so a link fault reaches only the runner's HTTP traffic, as a fault between a CI
runner and a workspace would.
"""
from __future__ import annotations

import atexit
import ctypes
import itertools
import os
import re
import shutil
import subprocess
import threading
from pathlib import Path
from typing import Optional

from guarantees_support import start_space
from localspace.server import LocalSpace

SBIN = "/usr/sbin:/sbin:/usr/bin:/bin"
CLONE_NEWNET = 0x40000000
NAME = re.compile(r"^stl(\d+)n\d+[sr]$")
_counter = itertools.count(1)
_counter_lock = threading.Lock()

# name -> (what, arguments, which end). tbf on both veth ends (each shapes what leaves it:
# replies and uploads). tc-tbf(8): exactly one of latency/limit; burst at least one MTU.
LINK_FAULTS = {
    "tbf-8kbit": ("tbf", ["rate", "8kbit", "burst", "1600", "latency", "30s"], "both"),       # 1 KB/s, queued
    "tbf-64kbit-drops": ("tbf", ["rate", "64kbit", "burst", "1600", "limit", "1600"], "both"),  # 1-packet queue
    "link-down": ("down", [], "server"),           # the far end gone: packets vanish, no error, until it is up
    "runner-link-down": ("down", [], "runner"),    # the runner's own device down: "network is unreachable" at once
}
LINK_LASTING = ("link-down",)


def tool(name: str) -> Optional[str]:
    return shutil.which(name, path=SBIN)


def unavailable() -> Optional[str]:
    """Why links cannot be made here (one line), or None."""
    if os.geteuid() != 0:
        return "network namespaces need root (ip netns)"
    if not tool("ip") or not tool("tc") or not tool("sysctl"):
        return "ip, tc (iproute2) or sysctl not installed"
    probe = f"stlprobe{os.getpid()}"
    made = subprocess.run([tool("ip"), "netns", "add", probe], capture_output=True, text=True)
    if made.returncode != 0:
        return f"ip netns unavailable: {made.stderr.strip()[:120]}"
    subprocess.run([tool("ip"), "netns", "del", probe], capture_output=True)
    return None


def _run(*args: str) -> None:
    done = subprocess.run(list(args), capture_output=True, text=True, timeout=20)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args)}: exit {done.returncode}: {done.stderr.strip()}")


def namespaces() -> list[str]:
    """Names of every namespace ``ip netns`` knows."""
    listed = subprocess.run([tool("ip"), "netns", "list"], capture_output=True, text=True, timeout=20).stdout
    return [line.split()[0] for line in listed.splitlines() if line.strip()]


def ours() -> list[str]:
    """The namespaces this process made and has not deleted."""
    return [n for n in namespaces() if (m := NAME.match(n)) and int(m.group(1)) == os.getpid()]


def delete_orphans() -> None:
    """Namespaces of a link whose process is gone (killed before its teardown)."""
    for name in namespaces():
        match = NAME.match(name)
        if match and not Path(f"/proc/{match.group(1)}").exists():
            subprocess.run([tool("ip"), "netns", "del", name], capture_output=True, timeout=20)


@atexit.register
def _delete_ours() -> None:
    """On the way out (also after Ctrl-C), whatever a teardown did not get to."""
    if tool("ip") and os.geteuid() == 0:
        for name in ours():
            subprocess.run([tool("ip"), "netns", "del", name], capture_output=True, timeout=20)


def _enter(namespace: str) -> None:
    """Move the calling thread (only it: setns(2) is per thread) into ``namespace``."""
    libc = ctypes.CDLL(None, use_errno=True)
    fd = os.open(f"/run/netns/{namespace}", os.O_RDONLY)
    try:
        if libc.setns(fd, CLONE_NEWNET) != 0:
            error = ctypes.get_errno()
            raise OSError(error, f"setns {namespace}: {os.strerror(error)}")
    finally:
        os.close(fd)


class Link:
    """The veth pair between a server namespace and a runner namespace, made on ``open()``
    and deleted, whatever happened, on ``close()`` (a ``with`` block or a fixture's teardown)."""

    def __init__(self):
        with _counter_lock:
            number = next(_counter) % 1000
        base = f"stl{os.getpid()}n{number}"
        self.server, self.runner = base + "s", base + "r"   # namespace = its veth end's name
        self.ip, self.tc = tool("ip"), tool("tc")
        self.wrap = [self.ip, "netns", "exec", self.runner]   # a command run in the runner's namespace
        self.faulted: Optional[str] = None

    def open(self) -> "Link":
        delete_orphans()
        try:
            for namespace in (self.server, self.runner):
                _run(self.ip, "netns", "add", namespace)
            _run(self.ip, "-n", self.server, "link", "add", self.server, "type", "veth",
                 "peer", "name", self.runner, "netns", self.runner)
            for namespace, address in ((self.server, "127.0.0.1/8"), (self.runner, "127.0.0.2/8")):
                for conf in ("all", namespace):   # 127/8 may cross this device (only in this namespace)
                    _run(self.ip, "netns", "exec", namespace, tool("sysctl"), "-qw",
                         f"net.ipv4.conf.{conf}.route_localnet=1")
                _run(self.ip, "-n", namespace, "addr", "add", address, "dev", namespace)
                _run(self.ip, "-n", namespace, "link", "set", namespace, "up")
        except BaseException:
            self.close()
            raise
        return self

    def close(self) -> None:
        for namespace in (self.server, self.runner):      # the veth pair goes with them
            subprocess.run([self.ip, "netns", "del", namespace], capture_output=True, timeout=20)

    def __enter__(self) -> "Link":
        return self.open()

    def __exit__(self, *exc) -> None:
        self.close()

    # -- what run_net drives -------------------------------------------------------------------------

    faults = LINK_FAULTS
    group = "link (netns)"
    prefix = "l_"

    def start_space(self, root: Path, **options) -> LocalSpace:
        """localspace on 127.0.0.1 in the server namespace: started by a thread that entered
        it, so its listening socket and every thread it starts (the HTTP server's, each
        request's, the engine's processes) are there; this thread stays where it was."""
        box: dict = {}

        def start() -> None:
            try:
                _enter(self.server)
                box["space"] = start_space(root, **options)
            except BaseException as exc:  # handed to the caller below
                box["error"] = exc

        thread = threading.Thread(target=start, name="netns-start")
        thread.start()
        thread.join()
        if "error" in box:
            raise box["error"]
        return box["space"]

    def connect(self, name: str, space: LocalSpace) -> str:
        return space.url            # the same 127.0.0.1:PORT, reached over the veth from the runner namespace

    def _ends(self, which: str) -> tuple[str, ...]:
        """The namespaces (= their veth ends) a fault is set on."""
        return {"both": (self.server, self.runner), "server": (self.server,), "runner": (self.runner,)}[which]

    def on(self, name: str, fault: str) -> None:
        what, arguments, which = LINK_FAULTS[fault]
        for end in self._ends(which):
            if what == "tbf":
                _run(self.tc, "-n", end, "qdisc", "add", "dev", end, "root", "tbf", *arguments)
            else:   # down: its routes go with it (the kernel puts them back when it is up again)
                _run(self.ip, "-n", end, "link", "set", end, "down")
        self.faulted = fault

    def off(self, name: str) -> None:
        if self.faulted is None:
            return
        what, _, which = LINK_FAULTS[self.faulted]
        for end in self._ends(which):
            if what == "tbf":
                _run(self.tc, "-n", end, "qdisc", "del", "dev", end, "root")
            else:
                _run(self.ip, "-n", end, "link", "set", end, "up")
        self.faulted = None

    def release(self, name: str) -> None:
        self.off(name)

    def qdisc(self, namespace: str) -> str:
        """``tc -s qdisc`` of one end: what the rate limit sent, dropped and held."""
        return subprocess.run([self.tc, "-s", "-n", namespace, "qdisc", "show", "dev", namespace],
                              capture_output=True, text=True, timeout=20).stdout
