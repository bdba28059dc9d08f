"""`python -m bench [--quick] [--latency-ms N] [--jira-deployment Cloud|Server] [--no-profile] [--limit SOURCE.KEY=VALUE]`.

Measures an okrsync sync against the sandbox and the naive script a user would write instead; prints
one table and writes bench/results/<timestamp>.json and bench/results/latest.json. docs/benchmark.md
explains what is measured and how.
"""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description="okrsync benchmark against the local sandbox.")
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: a small data set and 4 objectives (under a minute); results go to bench/.cache/results")
    parser.add_argument("--latency-ms", type=int, default=50, help="latency the sandbox adds to every request (default 50)")
    parser.add_argument("--jira-deployment", choices=("Cloud", "Server"), help="answer as Jira Cloud (the data set's default) or Data Center")
    parser.add_argument("--no-profile", dest="profile", action="store_false", help="do not sample the first sync's stacks")
    parser.add_argument("--limit", action="append", default=[], metavar="SOURCE.KEY=VALUE",
                        help="experiment: set a source's limits in the configuration, e.g. gh.per_second=10 (sources: jira, gh, sheet)")
    args = parser.parse_args(argv)
    limits: dict[str, dict[str, float]] = {}
    for spec in args.limit:
        try:
            where, value = spec.split("=", 1)
            source, key = where.split(".", 1)
            if source not in ("jira", "gh", "sheet") or key not in ("concurrency", "per_second"):
                raise ValueError
            limits.setdefault(source, {})[key] = int(value) if key == "concurrency" else float(value)
        except ValueError:
            parser.error(f"--limit {spec!r}: write SOURCE.concurrency=N or SOURCE.per_second=X, SOURCE one of jira, gh, sheet")

    from bench import run as bench_run  # sets nothing yet; Prefect is imported later, after the environment

    bench_run.prepare_environment()
    from rich.console import Console

    from bench import report

    console = Console(width=200)
    options = bench_run.Options(quick=args.quick, latency_ms=args.latency_ms, jira_deployment=args.jira_deployment, profile=args.profile,
                                limits=limits)
    result = bench_run.run(options, say=lambda text: console.print(text, highlight=False))
    experiment = bool(limits) or args.latency_ms != 50 or args.jira_deployment == "Server"
    paths = bench_run.save(result, args.quick, experiment)
    report.show(result, console)
    console.print(f"\nwritten: {', '.join(str(p.relative_to(bench_run.ROOT)) for p in paths)} · whole run {result['total_seconds']:.0f} s", highlight=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
