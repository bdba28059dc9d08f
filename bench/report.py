"""The one table the benchmark prints (rich), and the profile summary under it."""

from __future__ import annotations

import math
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from bench.run import SOURCE_TYPES, per_route_rows


def _req(part: dict[str, Any], source: str) -> str:
    c = part["requests"]["per_source"][source]
    bits = [f"{c.get(k, 0)} {k}" for k in ("discovery", "read", "publish") if c.get(k)]
    return f"{c.get('total', 0)}" + (f" ({', '.join(bits)})" if bits else "")


def _cost(part: dict[str, Any], resource: str) -> str:
    """Spent according to the request log, and the /rate_limit counter's delta as a cross-check."""
    spent = part["requests"]["github_rate_limit_cost"][resource]
    counter = part["github_rate_limit_counters"][resource]
    check = "window reset in between" if counter["rolled_over"] else f"{counter['used_delta']}"
    return f"{spent} ({check})"


def _waits(part: dict[str, Any]) -> str:
    searches = part["requests"]["github_rate_limit_cost"]["search"]
    minutes = max(0, math.ceil(searches / 30) - 1)
    return f">= {minutes} min" if minutes else "none"


def table(r: dict[str, Any]) -> Table:
    m, w, s1, s2, naive = r["machine"], r["workload"], r["sync1"], r["sync2"], r["naive"]
    title = (f"okrsync benchmark ({r['mode']}): {r['dataset']['issues']} Jira issues ({r['options']['jira_deployment']}), "
             f"{r['dataset']['prs']} GitHub PRs, {r['dataset']['rows']}-row sheet; {w['key_results']} KRs, "
             f"{w['source_metrics']} source metrics, {w['distinct_queries']} distinct queries; "
             f"{r['options']['latency_ms']} ms a request; {m['cpu_count']} CPUs, Python {m['python']}")
    t = Table(title=title, title_justify="left", show_lines=False)
    t.add_column("measure", no_wrap=True)
    t.add_column("okrsync sync 1 (full)", justify="right")
    t.add_column("okrsync sync 2 (no change)", justify="right")
    t.add_column("naive script", justify="right")

    for source in SOURCE_TYPES:
        t.add_row(f"{source} requests", _req(s1, source), _req(s2, source), _req(naive, source))
    t.add_row("total requests", str(s1["requests"]["total"]), str(s2["requests"]["total"]), str(naive["requests"]["total"]))
    t.add_row("GitHub answers 304 (no rate limit)", str(s1["requests"]["github_304"]), str(s2["requests"]["github_304"]), str(naive["requests"]["github_304"]))
    for resource in ("search", "core"):
        t.add_row(f"GitHub rate limit spent: {resource} (/rate_limit used delta)", _cost(s1, resource), _cost(s2, resource), _cost(naive, resource))
    t.add_row("  waits forced by GitHub's 30 searches/min", _waits(s1), _waits(s2),
              _waits(naive) + " (limit lifted for it)")
    for kind in ("count (keys only)", "sum/avg (with a field)"):
        t.add_row(f"jira searches: {kind}", *(str(part["requests"]["jira_searches"].get(kind, 0)) for part in (s1, s2, naive)))
    t.add_row("mean ms a request took in the sandbox (latency included)", *(
        ", ".join(f"{k} {v:.0f}" for k, v in part["requests"]["mean_ms_in_sandbox"].items()) for part in (s1, s2, naive)))
    t.add_row("wall time", f"{s1['wall_seconds']:.1f} s", f"{s2['wall_seconds']:.1f} s", f"{naive['wall_seconds']:.1f} s")
    t.add_row("  of which no request in flight", f"{s1['timeline']['seconds_without_requests']:.1f} s",
              f"{s2['timeline']['seconds_without_requests']:.1f} s", "")
    t.add_row("CPU time of the process (user + sys)", f"{s1['cpu_seconds']:.1f} s", f"{s2['cpu_seconds']:.1f} s", f"{naive['cpu_seconds']:.1f} s")
    t.add_row("peak RSS of the process (VmHWM)", f"{s1['peak_rss_mb']:.0f} MiB", f"{s2['peak_rss_mb']:.0f} MiB", f"{naive['peak_rss_mb']:.0f} MiB")
    t.add_row("  RSS before the sync (Python, Prefect, okrsync loaded)", f"{s1['rss_before_mb']:.0f} MiB", f"{s2['rss_before_mb']:.0f} MiB", "")
    ok1 = w["key_results"] - len(s1["failed_krs"])
    ok2 = w["key_results"] - len(s2["failed_krs"])
    agree = r["agreement"]
    t.add_row("KRs with a value", f"{ok1}/{w['key_results']} ({s1['status']})", f"{ok2}/{w['key_results']} ({s2['status']})",
              f"{w['key_results'] - len(naive['errors'])}/{w['key_results']}, {agree['same']} equal to okrsync's")
    published = ", ".join(f"{n} {a}" for a, n in s1["published"].items()) or "-"
    t.add_row("published", published, ", ".join(f"{n} {a}" for a, n in s2["published"].items()) or "-", "-")
    p = r["prefect"]
    t.add_row("Prefect (fixed, reported apart)", f"server start {p['server_start_seconds']:.1f} s", f"empty flow run {p['empty_flow_run_seconds']:.2f} s",
              f"import {p['import_seconds']:.1f} s (naive imports {naive['import_seconds']:.1f} s)")

    t.add_section()
    t.add_row("[bold]requests per route[/]", "", "", "")
    for key, a, b, c in per_route_rows(r):
        t.add_row(f"  {escape(key)}", str(a or ""), str(b or ""), str(c or ""))

    t.add_section()
    t.add_row("[bold]target[/]", "[bold]figure[/]", "[bold]bound[/]", "[bold]met?[/]")
    for target in r["targets"]:
        verdict = "[green]met[/]" if target["met"] else "[red]NOT met[/]"
        t.add_row(escape(target["target"]), escape(target["figure"]), escape(target["bound"]), verdict)
    return t


def profile_lines(r: dict[str, Any], top: int = 6) -> list[str]:
    profile = r["sync1"].get("profile")
    lines = []
    b = r["bounds"]["sync1"]
    parts = b["paced_parts"]
    lines.append(f"sync 1 wall {b['wall_seconds']:.1f} s; model: discovery {parts['discovery']:.2f} s + fetching {parts['fetching']:.2f} s "
                 f"+ publishing {parts['publishing']:.2f} s (issue model {b['issue_model_seconds']:.2f} s)")
    for s, f in parts["per_source_fetch"].items():
        lines.append(f"  {s}: {f['tasks']} fetch tasks, by concurrency {f['by_concurrency']:.2f} s, by pacing {f['by_pacing']:.2f} s, "
                     f"longest query {f['longest_query']:.2f} s")
    lines.append("sync 1 timeline (s from the flow call): " + "; ".join(
        f"{k} {v['from']:.1f}-{v['to']:.1f} ({v['requests']})" for k, v in r["sync1"]["timeline"]["spans"].items()))
    if profile:
        for group, data in profile["groups"].items():
            lines.append(f"profile, {group} thread(s): {data['thread_seconds']:.1f} thread-seconds sampled")
            for row in data["top"][:top]:
                lines.append(f"  {row['seconds']:6.2f} s  {row['okrsync_frame']}  <- innermost Python frame {row['waiting_in']}")
    return lines


def show(r: dict[str, Any], console: Console | None = None) -> None:
    console = console or Console(width=200)
    console.print(table(r))
    for line in profile_lines(r):
        console.print(escape(line), highlight=False)
