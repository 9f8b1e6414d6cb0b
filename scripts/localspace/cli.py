"""``python -m localspace serve``: start the emulator, print its URL, stop on a signal.

The URL is the only thing printed to stdout (one line, flushed once the socket accepts),
so a script can start it with ``$(...)`` or read one line from a pipe. The token comes
from ``--token``, else ``LOCALSPACE_TOKEN``, else ``dapi-localspace``.
"""
from __future__ import annotations

import argparse
import os
import re
import signal
import sys
import threading

from localspace.config import DEFAULT_CLUSTER, DEFAULT_WAREHOUSE
from localspace.faults import FaultConfigError, FaultPlan
from localspace.server import DEFAULT_TOKEN, LocalSpace
from localspace.unity import models as unity

_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600}


def duration(text: str) -> float:
    """``90s``, ``2m``, ``1h``, ``0.5`` (seconds)."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smh]?)\s*", str(text))
    if not match:
        raise argparse.ArgumentTypeError(f"not a duration: {text!r} (use e.g. 2s, 5m, 1h)")
    return float(match.group(1)) * _UNITS[match.group(2)]


def client(text: str) -> tuple[str, str]:
    client_id, sep, secret = text.partition(":")
    if not sep or not client_id or not secret:
        raise argparse.ArgumentTypeError("--client takes ID:SECRET")
    return client_id, secret


def catalog(text: str) -> str:
    if not unity.NAME.fullmatch(text):
        raise argparse.ArgumentTypeError(f"not a catalog name: {text!r} (letters, digits, _ and -)")
    return text.lower()


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="localspace", description="A local Databricks workspace.")
    commands = root.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="start the emulator and print its URL")
    serve.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: a free one)")
    serve.add_argument("--root", default=".localspace", help="folder for workspace, volumes, dbfs")
    serve.add_argument("--engine", choices=("auto", "spark", "python"), default="auto")
    serve.add_argument("--token", default=None, help="the PAT (default: $LOCALSPACE_TOKEN or dapi-localspace)")
    serve.add_argument("--faults", default=None, help="YAML file of fault rules")
    serve.add_argument("--pending", type=duration, default=2.0,
                       help="simulated start-up of job clusters, new clusters and serverless (2s)")
    serve.add_argument("--serverless", choices=("on", "off"), default="on",
                       help="serverless jobs compute: off refuses tasks without compute (on)")
    serve.add_argument("--cluster", action="append", default=None, metavar="ID",
                       help=f"an all-purpose cluster id (repeatable; default {DEFAULT_CLUSTER})")
    serve.add_argument("--cluster-start", type=duration, default=0.0, metavar="DURATION",
                       help="how long a terminated all-purpose cluster takes to be RUNNING (0s)")
    serve.add_argument("--warehouse", action="append", default=None, metavar="ID",
                       help=f"a SQL warehouse id (repeatable; default {DEFAULT_WAREHOUSE})")
    serve.add_argument("--warehouse-start", type=duration, default=0.0, metavar="DURATION",
                       help="how long a stopped SQL warehouse takes to be RUNNING (0s)")
    serve.add_argument("--catalog", type=catalog, action="append", default=[], metavar="NAME",
                       help="a Unity Catalog catalog that exists at start, besides main (repeatable)")
    serve.add_argument("--token-ttl", type=duration, default=3600.0, help="OAuth token lifetime (1h)")
    serve.add_argument("--client", type=client, action="append", default=[],
                       help="an OAuth M2M client ID:SECRET (repeatable)")
    serve.add_argument("--audience", action="append", default=None,
                       help="accepted aud of federated JWTs (default: this server's token endpoint)")
    commands.add_parser("jars", help="fetch Delta Lake's jars, build localspace's Java classes "
                                     "and the JVM's class archive now, into the cache the spark "
                                     "engine loads (once)")
    return root


def jars() -> int:
    from localspace.engine import class_sharing
    from localspace.engine.jvm import JarsUnavailable, engine_jars
    try:
        found = engine_jars()
    except JarsUnavailable as err:
        print(f"localspace: {err}", file=sys.stderr)
        return 1
    print("\n".join(found))
    archive = class_sharing.build(found)
    if archive is None:  # the engine still starts, only slower
        print("localspace: the JVM made no class archive; the spark engine starts without one",
              file=sys.stderr)
    else:
        print(archive)
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.command == "jars":
        return jars()
    token = args.token or os.environ.get("LOCALSPACE_TOKEN") or DEFAULT_TOKEN
    try:
        FaultPlan.load(args.faults)
    except FaultConfigError as err:
        print(f"localspace: {err}", file=sys.stderr)
        return 2
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    try:
        space = LocalSpace(args.root, engine=args.engine, token=token, pending=args.pending,
                           faults=args.faults, token_ttl=args.token_ttl, port=args.port,
                           oauth_clients=dict(args.client), oidc_audience=args.audience,
                           serverless=args.serverless == "on", clusters=args.cluster,
                           cluster_start=args.cluster_start, warehouses=args.warehouse,
                           warehouse_start=args.warehouse_start, catalogs=args.catalog).start()
    except (OSError, RuntimeError, ValueError) as err:
        print(f"localspace: cannot start: {err}", file=sys.stderr)
        return 1
    try:
        print(space.url, flush=True)
        while not stop.wait(3600):
            pass
    finally:
        space.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
