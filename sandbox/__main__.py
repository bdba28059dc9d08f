"""`python -m sandbox serve` and `python -m sandbox generate`; see docs/sandbox.md."""

from __future__ import annotations

import argparse
import shlex
import signal
import sys
import threading
from pathlib import Path

from sandbox.data import DataError, write_data
from sandbox.faults import parse_fault
from sandbox.generate import generate


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sandbox", description="Local Jira, GitHub and Google Sheets APIs for okrsync.")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="serve the three APIs on 127.0.0.1 until interrupted")
    serve.add_argument("--data", type=Path, help="data file (YAML or JSON); default: the built-in seed")
    serve.add_argument("--jira-deployment", choices=("Cloud", "Server"), help="answer as Jira Cloud or Data Center")
    serve.add_argument("--latency-ms", type=int, default=0, help="add this latency to every answer")
    serve.add_argument("--port-base", type=int, help="Jira on N, GitHub on N+1, Sheets on N+2 (default: free ports)")
    serve.add_argument("--fault", action="append", default=[], metavar="SPEC", help="KIND[@SERVICE[:ROUTE]][,key=value...]; repeatable")
    serve.add_argument("--workdir", type=Path, help="where to write the service-account file (default: a temporary folder)")

    gen = commands.add_parser("generate", help="write a large, realistic data file")
    gen.add_argument("--issues", type=int, default=5000, help="Jira issues (default 5000)")
    gen.add_argument("--prs", type=int, default=2000, help="GitHub pull requests (default 2000; plus a quarter as many issues)")
    gen.add_argument("--rows", type=int, default=500, help="daily KPI rows in the spreadsheet (default 500)")
    gen.add_argument("--seed", type=int, default=7, help="random seed (default 7): same seed, same data")
    gen.add_argument("--quarter", default="2026-Q4", help="the quarter the dates fall in (default 2026-Q4)")
    gen.add_argument("-o", "--output", type=Path, required=True, help="output file: .json, else YAML")

    args = parser.parse_args(argv)
    if args.command == "generate":
        data = generate(args.issues, args.prs, args.rows, args.seed, args.quarter)
        path = write_data(data, args.output)
        print(f"wrote {path}: {args.issues} Jira issues, {args.prs} pull requests, {args.rows} KPI rows (seed {args.seed})")
        return 0
    return _serve(args)


def _serve(args: argparse.Namespace) -> int:
    from sandbox.server import Sandbox  # the web stack loads only to serve

    try:
        faults = [parse_fault(spec) for spec in args.fault]
        sandbox = Sandbox(args.data, jira_deployment=args.jira_deployment, latency_ms=args.latency_ms, port_base=args.port_base, faults=faults, workdir=args.workdir)
    except (DataError, ValueError, TypeError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    with sandbox:
        print(f"okrsync sandbox: Jira ({sandbox.jira_deployment}) {sandbox.jira_url}  GitHub {sandbox.github_url}  Sheets {sandbox.sheets_url}")
        print("\n# okrsync.yaml")
        print(sandbox.config_fragment())
        print("# environment")
        for name, value in sandbox.env().items():
            print(f"export {name}={shlex.quote(value)}")
        print(f"\n# admin: {sandbox.jira_url}/_admin/requests, /_admin/faults, /_admin/advance (same on every port). Ctrl-C stops.", flush=True)
        stop.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
