"""The benchmark run: data set -> sandbox (own process, 50 ms a request) -> okrsync.yaml (20 x 3 KRs) ->
Prefect warm-up -> okrsync full sync -> second sync (no change) -> the naive script -> figures, targets.

Environment variables (PREFECT_HOME, the quiet defaults) must be set before Prefect is imported:
`bench/__main__.py` calls `prepare_environment()` first and imports Prefect only through this module's
functions.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import platform
import resource
import shutil
import subprocess
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from bench import workload
from bench.sandbox_proc import SandboxProcess

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
CACHE = BENCH / ".cache"
RESULTS = BENCH / "results"
SEED = 7
SIZES = {"full": {"issues": 5000, "prs": 2000, "rows": 500}, "quick": {"issues": 600, "prs": 300, "rows": 100}}
SLACK = 1.3  # the issue's factor
SOURCE_TYPES = {"jira": "jira", "github": "github", "sheets": "google_sheets"}  # sandbox service -> okrsync source type
TOOLS = {"jira": "jira", "gh": "github", "sheet": "sheets"}  # config source name -> sandbox service


@dataclass(frozen=True)
class Options:
    quick: bool = False
    latency_ms: int = 50
    jira_deployment: str | None = None  # None: the data set's (Cloud)
    profile: bool = True
    limits: dict[str, dict[str, float]] = field(default_factory=dict)  # config source -> {concurrency, per_second}: an experiment


def prepare_environment() -> None:
    """Prefect's home in bench/.cache/prefect, quiet, its own temporary server; no store from outside."""
    os.environ["PREFECT_HOME"] = str(CACHE / "prefect")
    for name in ("PREFECT_API_URL", "PREFECT_PROFILE", "OKRSYNC_STORE"):
        os.environ.pop(name, None)
    from okrsync.prefect_env import quiet_prefect

    quiet_prefect()


# --- data --------------------------------------------------------------------------------------------


def dataset(quick: bool) -> tuple[Path, dict[str, int], float]:
    """The generated data file (cached in bench/.cache/data), its sizes, and the seconds it took."""
    sizes = SIZES["quick" if quick else "full"]
    path = CACHE / "data" / f"sandbox-{sizes['issues']}i-{sizes['prs']}p-{sizes['rows']}r-seed{SEED}.json"
    started = time.perf_counter()
    if not path.exists():
        from sandbox.data import write_data
        from sandbox.generate import generate

        write_data(generate(sizes["issues"], sizes["prs"], sizes["rows"], seed=SEED), path)
    return path, sizes, time.perf_counter() - started


# --- request log ---------------------------------------------------------------------------------------

DISCOVERY_ROUTES = ("/serverInfo", "/myself", "/field", "/rate_limit", "/token", "/v4/spreadsheets/{spreadsheet_id}")


def phase_of(method: str, route: str) -> str:
    """discovery | read | publish, from a logged route template."""
    if route.endswith(DISCOVERY_ROUTES):
        return "discovery"
    if "/comment" in route or method in ("PUT", "PATCH") or route.endswith("values:batchUpdate"):
        return "publish"
    return "read"


def summarize_log(log: dict[str, Any]) -> dict[str, Any]:
    """Requests per service and phase, per route, and GitHub answers by status."""
    per_service: dict[str, Counter[str]] = {s: Counter() for s in SOURCE_TYPES}
    routes: dict[str, int] = {}
    for key, n in log["counts"].items():
        service, method, route = key.split(" ", 2)
        per_service[service][phase_of(method, route)] += n
        per_service[service]["total"] += n
        routes[key] = n
    statuses = Counter(f"{r['service']} {r['status']}" for r in log["requests"])
    return {
        "total": log["total"],
        "per_source": {s: dict(c) for s, c in per_service.items()},
        "routes": routes,
        "github_304": statuses.get("github 304", 0),
        "github_rate_limit_cost": github_cost(log["requests"]),
        "mean_ms_in_sandbox": mean_ms(log["requests"]),
        "jira_searches": jira_searches(log["requests"]),
        "statuses": dict(sorted(statuses.items())),
    }


def mean_ms(entries: list[dict[str, Any]]) -> dict[str, float]:
    """Mean time the sandbox took per request, per service (the injected latency included)."""
    times: dict[str, list[float]] = defaultdict(list)
    for r in entries:
        times[r["service"]].append(r["ms"])
    return {s: round(sum(v) / len(v), 1) for s, v in sorted(times.items())}


def github_cost(entries: list[dict[str, Any]]) -> dict[str, int]:
    """What GitHub charges, as the sandbox does: one unit of `search` or `core` per answer other than
    304 (a conditional hit) and other than GET /rate_limit (free)."""
    cost = Counter({"search": 0, "core": 0})
    for r in entries:
        if r["service"] != "github" or r["status"] == 304 or r["route"] == "/rate_limit":
            continue
        cost["search" if (r["route"] or r["path"]).startswith("/search") else "core"] += 1
    return dict(cost)


def jira_searches(entries: list[dict[str, Any]]) -> dict[str, int]:
    """Jira search requests by what they ask for: keys only (a count) or a field's values (sum/avg)."""
    kinds: Counter[str] = Counter()
    for r in entries:
        route = r["route"] or r["path"]
        if r["service"] != "jira" or not (route.endswith(("/search/jql", "/search"))):
            continue
        asked = {f for value in parse_qs(r["query"]).get("fields", []) for f in value.split(",") if f}
        kinds["count (keys only)" if asked <= {"key", "id", "issuekey"} else "sum/avg (with a field)"] += 1
    return dict(sorted(kinds.items()))


def budget_delta(before: dict[str, dict[str, int]], after: dict[str, dict[str, int]]) -> dict[str, Any]:
    """/rate_limit's `used` after minus before, per resource; meaningless when the window rolled over
    in between (search windows last a minute), which `rolled_over` says."""
    return {r: {"used_delta": after[r]["used"] - before[r]["used"], "rolled_over": after[r]["reset"] != before[r]["reset"]}
            for r in ("core", "search")}


def timeline(log: dict[str, Any], t0: float, wall: float) -> dict[str, Any]:
    """When each service and phase had requests in flight, in seconds from the flow call; and how long
    no request at all was in flight (time spent outside HTTP: Prefect, the store, evaluation)."""
    spans: dict[str, list[float]] = {}
    intervals = []
    for r in log["requests"]:
        end = r["at"] - t0
        start = end - r["ms"] / 1000
        intervals.append((start, end))
        key = f"{r['service']} {phase_of(r['method'], r['route'] or r['path'])}"
        first, last, n = spans.get(key, [start, end, 0])
        spans[key] = [min(first, start), max(last, end), n + 1]
    busy, cursor = 0.0, -math.inf
    for start, end in sorted(intervals):
        start = max(start, cursor)
        if end > start:
            busy += end - start
            cursor = end
    return {
        "spans": {k: {"from": round(v[0], 2), "to": round(v[1], 2), "requests": int(v[2])} for k, v in sorted(spans.items(), key=lambda kv: kv[1][0])},
        "seconds_with_requests_in_flight": round(busy, 2),
        "seconds_without_requests": round(max(0.0, wall - busy), 2),
    }


# --- the okrsync side ------------------------------------------------------------------------------------


def plan_stats(config_path: Path) -> dict[str, Any]:
    """What the configuration asks for: KRs, source metrics, distinct queries per source and kind."""
    from mapping.loader import load_config
    from mapping.placeholders import cycle_window, render_github_query, render_jql
    from mapping.plan import plan_sync

    loaded = load_config(config_path, os.environ)
    config = loaded.config
    window = cycle_window(config.cycle)

    def render(source: str, text: str) -> str:
        kind = config.sources[source].type
        if kind == "jira":
            return render_jql(text, window, "UTC")  # the generated site's API user is in UTC
        return render_github_query(text, window) if kind == "github" else text

    plan = plan_sync(config, render)
    kinds = Counter(workload.kind_of(kr["metric"]) for o in workload_objectives(config_path) for kr in o["key_results"])
    metrics = sum(len(queries) for queries in plan.uses.values())
    distinct = Counter(TOOLS[q.source] for q in plan.queries)
    return {
        "objectives": len(config.objectives),
        "key_results": len(plan.krs),
        "kr_kinds": dict(sorted(kinds.items())),
        "source_metrics": metrics,
        "distinct_queries": len(plan.queries),
        "distinct_per_source": {s: distinct.get(s, 0) for s in SOURCE_TYPES},
        "distinct_per_kind": dict(sorted(Counter(f"{TOOLS[q.source]} {q.kind}" for q in plan.queries).items())),
        "queries": [{"source": TOOLS[q.source], "kind": q.kind, "query": q.query, "field": q.field, "repo": q.repo, "agg": q.agg} for q in plan.queries],
    }


def workload_objectives(config_path: Path) -> list[dict[str, Any]]:
    from ruamel.yaml import YAML

    return YAML(typ="safe").load(config_path.read_text())["objectives"]


def cost_model(plan: dict[str, Any], naive_reads: list[dict[str, Any]], deployment: str) -> dict[str, Any]:
    """The requests docs/connectors.md says each distinct query costs, given the records it matches
    (known from the naive script, which pages through all of them)."""
    records = {(r["kind"], r["query"], r.get("field") or r.get("repo") or r.get("agg")): r["records"] for r in naive_reads}
    cloud = deployment == "Cloud"
    expected: Counter[str] = Counter()
    detail = []
    fields_read: set[str] = set()  # sums and averages over one JQL share one read of its issues
    for q in plan["queries"]:
        if q["source"] == "sheets":
            continue
        n = records.get((q["kind"], q["query"], q["field"] or q["repo"] or q["agg"]))
        if q["source"] == "github" or (q["kind"] == "count" and not cloud):
            cost = 1
        elif q["kind"] in ("sum", "avg") and q["query"] in fields_read:
            cost = 0
        elif n is None:
            cost = None
        elif q["kind"] == "count":
            cost = max(1, math.ceil(n / 5000))
        else:
            cost = max(1, math.ceil(n / (100 if cloud else 1000)))
            fields_read.add(q["query"])
        if cost is not None:
            expected[q["source"]] += cost
        detail.append({**q, "records": n, "requests": cost})
    expected["sheets"] = 1 if plan["distinct_per_source"]["sheets"] else 0  # one batchGet per spreadsheet
    discovery = {"jira": 2 + any(q["kind"] in ("sum", "avg") for q in plan["queries"]), "github": 1, "sheets": 2}
    return {"reads": dict(expected), "discovery": discovery, "queries": detail}


def git_state() -> dict[str, Any]:
    """The commit measured, and the files that differ from it (the figures are of the working tree)."""
    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False)
        return done.stdout.rstrip("\n") if done.returncode == 0 else ""

    changed = [line[3:] for line in git("status", "--porcelain", "--untracked-files=no").splitlines()]
    return {"commit": git("rev-parse", "HEAD").strip() or None, "modified_files": changed}


def load_average() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def machine() -> dict[str, Any]:
    info: dict[str, Any] = {
        "cpu_count": os.cpu_count(), "platform": platform.platform(), "python": sys.version.split()[0],
        "implementation": platform.python_implementation(),
    }
    try:
        meminfo = Path("/proc/meminfo").read_text()
        total_kb = int(next(line.split()[1] for line in meminfo.splitlines() if line.startswith("MemTotal")))
        info["memory_gb"] = round(total_kb / 1024 / 1024, 1)
        cpu = Path("/proc/cpuinfo").read_text()
        info["cpu_model"] = next((line.split(":", 1)[1].strip() for line in cpu.splitlines() if line.startswith("model name")), platform.processor())
    except (OSError, StopIteration, ValueError):
        info["cpu_model"] = platform.processor()
    return info


def current_rss_mb() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return float("nan")


def reset_peak_rss() -> bool:
    """Reset this process' peak RSS to its current RSS (Linux: `5` into /proc/self/clear_refs), so the
    next `peak_rss_mb()` is the peak of what runs in between. False where that is not possible."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def peak_rss_mb() -> float:
    """Peak RSS of this process in MiB: VmHWM from /proc/self/status (Linux), else getrusage's
    ru_maxrss (which on Linux also survives exec: a child started from a big parent inherits its peak)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(peak / (1024 * 1024 if sys.platform == "darwin" else 1024), 1)


def run(options: Options, say: Any = print) -> dict[str, Any]:
    began = time.perf_counter()
    load_at_start = load_average()
    if load_at_start and load_at_start[0] > 0.5 * (os.cpu_count() or 1):
        say(f"[yellow]warning: the machine is busy (load average {load_at_start[0]} on {os.cpu_count()} CPUs): wall times will be inflated[/]")
    data_path, sizes, data_seconds = dataset(options.quick)
    say(f"data set: {data_path.relative_to(ROOT)} ({sizes['issues']} Jira issues, {sizes['prs']} PRs, {sizes['rows']} sheet rows)")
    work = CACHE / ("run-quick" if options.quick else "run")
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)

    t = time.perf_counter()
    with SandboxProcess(data_path, work, options.latency_ms, options.jira_deployment) as sandbox:
        sandbox_seconds = time.perf_counter() - t
        info = sandbox.info
        say(f"sandbox: pid {sandbox.pid}, Jira {info['deployment']} {sandbox.urls['jira']}, latency {options.latency_ms} ms a request")
        os.environ.update(info["env"])
        store = work / "store.db"
        config_path = work / "okrsync.yaml"
        objectives = workload.select(options.quick)
        config_path.write_text(workload.config_document(objectives, with_limits(info["fragment"], options.limits), f"sqlite:///{store}"))
        plan = plan_stats(config_path)
        say(f"workload: {plan['objectives']} objectives, {plan['key_results']} KRs, {plan['source_metrics']} source metrics, "
            f"{plan['distinct_queries']} distinct queries {plan['distinct_per_source']}")

        # --- Prefect: import, then its temporary server started by a trivial flow, then an empty run ---
        t = time.perf_counter()
        from prefect import flow

        from flows.sync import sync_flow
        from okr_store import db
        from okrsync.prefect_env import in_process_runs

        import_seconds = time.perf_counter() - t

        # Flows run as `okrsync sync` runs them (okrsync/prefect_env.py: no heartbeats on the temporary server).
        with in_process_runs():
            @flow(name="bench-warmup", log_prints=False)
            def warmup() -> int:
                return 1

            t = time.perf_counter()
            warmup()
            server_start = time.perf_counter() - t
            t = time.perf_counter()
            warmup()
            empty_run = time.perf_counter() - t
            say(f"prefect: import {import_seconds:.1f} s, temporary server start (first flow call) {server_start:.1f} s, an empty flow run {empty_run:.2f} s")

            t = time.perf_counter()
            engine = db.create_store_engine(f"sqlite:///{store}")
            db.ensure_current(engine)
            engine.dispose()
            migrate_seconds = time.perf_counter() - t

            def measured_sync(label: str, profile: bool) -> dict[str, Any]:
                budgets_before = sandbox.github_budgets()
                sandbox.reset_log()
                rss_before = current_rss_mb()
                peak_is_own = reset_peak_rss()
                sampler = None
                cpu_before = os.times()
                t0 = time.time()
                started = time.perf_counter()
                if profile:
                    from bench.sampler import Sampler

                    with Sampler(interval=0.01) as sampler:
                        document = sync_flow(config_path=str(config_path), trigger="benchmark")
                else:
                    document = sync_flow(config_path=str(config_path), trigger="benchmark")
                wall = time.perf_counter() - started
                cpu_after = os.times()
                peak = peak_rss_mb()
                log = sandbox.requests_log()
                budgets_after = sandbox.github_budgets()
                failed = [k for k in document["key_results"] if k["outcome"] != "ok"]
                result = {
                    "status": document["status"], "wall_seconds": round(wall, 2), "requests": summarize_log(log),
                    "cpu_seconds": round((cpu_after.user - cpu_before.user) + (cpu_after.system - cpu_before.system), 2),
                    "timeline": timeline(log, t0, wall),
                    "github_rate_limit_counters": budget_delta(budgets_before, budgets_after),
                    "okrsync_sources": document["sources"],
                    "published": Counter(p["action"] for p in document["published"]),
                    "failed_krs": [{"id": k["id"], "error": k["error_class"], "message": k["message"]} for k in failed],
                    "rss_before_mb": rss_before, "peak_rss_mb": peak, "peak_rss_of_this_sync": peak_is_own,
                    "publish_failures": [p for p in document["published"] if p["action"] == "failed"],
                    "values": {k["id"]: k["new_value"] for k in document["key_results"]},
                }
                if sampler is not None:
                    result["profile"] = sampler.summary()
                by_source = ", ".join(f"{s} {c.get('total', 0)}" for s, c in result["requests"]["per_source"].items())
                say(f"{label}: {document['status']} in {wall:.1f} s, {log['total']} requests ({by_source})"
                    + (f", {len(failed)} KRs failed" if failed else ""))
                return result

            first = measured_sync("sync 1 (full)", options.profile)
            second = measured_sync("sync 2 (no change)", False)

        # --- the naive script, in a process of its own (its own memory, its own imports) ---
        spec = {
            "jira": {"url": sandbox.urls["jira"], "email": info["env"].get("JIRA_EMAIL"), "token": info["env"]["JIRA_API_TOKEN"]},
            "github": {"url": sandbox.urls["github"], "token": info["env"]["GITHUB_TOKEN"]},
            "sheets": {"url": sandbox.urls["sheets"], "spreadsheet": info["spreadsheet"], "credentials": info["env"]["GOOGLE_APPLICATION_CREDENTIALS"]},
            "tools": TOOLS, "cycle": workload.CYCLE,
            "krs": [{"id": kr["id"], "metric": kr["metric"]} for o in objectives for kr in o["key_results"]],
        }
        spec_path, out_path = work / "naive-spec.json", work / "naive-result.json"
        spec_path.write_text(json.dumps(spec, indent=1))
        sandbox.set_rate_limit("search", 1_000_000)  # else GitHub's 30 searches a minute stop it (reported below)
        budgets_before = sandbox.github_budgets()
        sandbox.reset_log()
        t = time.perf_counter()
        completed = subprocess.run([sys.executable, "-m", "bench.naive", str(spec_path), str(out_path)], cwd=ROOT, check=False)
        naive_process = time.perf_counter() - t
        log = sandbox.requests_log()
        budgets_after = sandbox.github_budgets()
        if completed.returncode != 0:
            raise RuntimeError("the naive script failed (its traceback is above)")
        naive_out = json.loads(out_path.read_text())
        naive = {
            "wall_seconds": round(naive_out["wall_seconds"], 2), "process_seconds": round(naive_process, 2),
            "import_seconds": round(naive_out["import_seconds"], 2), "requests": summarize_log(log),
            "github_rate_limit_counters": budget_delta(budgets_before, budgets_after),
            "peak_rss_mb": round(naive_out["peak_rss_kb"] / 1024, 1), "errors": naive_out["errors"], "values": naive_out["values"],
            "reads": naive_out["reads"], "seconds_per_kr": naive_out["seconds_per_kr"], "cpu_seconds": round(naive_out["cpu_seconds"], 2),
        }
        say(f"naive script: {naive['wall_seconds']:.1f} s, {log['total']} requests"
            + (f", {len(naive['errors'])} KRs failed" if naive["errors"] else ""))

    prefect = {"import_seconds": round(import_seconds, 2), "server_start_seconds": round(server_start, 2),
               "empty_flow_run_seconds": round(empty_run, 2), "store_migration_seconds": round(migrate_seconds, 2)}
    model = cost_model(plan, naive["reads"], info["deployment"])
    lim = effective_limits(config_path)
    result = {
        "started_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "mode": "quick" if options.quick else "full",
        "machine": {**machine(), "load_average_at_start": load_at_start, "load_average_at_end": load_average()},
        "git": git_state(),
        "options": {"latency_ms": options.latency_ms, "jira_deployment": info["deployment"], "profile": options.profile, "seed": SEED,
                    "limits_override": options.limits},
        "dataset": {"file": str(data_path.relative_to(ROOT)), **sizes, "seconds": round(data_seconds, 2), "sandbox_now": info["now"]},
        "sandbox_start_seconds": round(sandbox_seconds, 2),
        "workload": {k: v for k, v in plan.items() if k != "queries"},
        "limits": lim,
        "prefect": prefect,
        "sync1": first, "sync2": second, "naive": naive,
        "cost_model": model,
        "agreement": agreement(first["values"], naive["values"]),
    }
    result["bounds"] = {"sync1": bounds(first, plan, model, lim, options.latency_ms, empty_run),
                        "sync2": bounds(second, plan, model, lim, options.latency_ms, empty_run)}
    result["targets"] = targets(result)
    result["total_seconds"] = round(time.perf_counter() - began, 1)
    return result


# --- analysis --------------------------------------------------------------------------------------


def with_limits(fragment: str, limits: dict[str, dict[str, float]]) -> str:
    """The sandbox's `sources:` fragment with `limits:` added to the named sources (an experiment;
    the benchmark's own figures use the defaults)."""
    lines = fragment.splitlines()
    out = []
    for line in lines:
        out.append(line)
        name = line.strip().rstrip(":")
        if line.startswith("  ") and not line.startswith("    ") and name in limits:
            out.append("    limits: {" + ", ".join(f"{k}: {v}" for k, v in limits[name].items()) + "}")
    return "\n".join(out) + "\n"


def effective_limits(config_path: Path) -> dict[str, dict[str, float]]:
    """Per sandbox service, the limits the sync applies: flows.connect.source_limits (DEFAULT_LIMITS
    unless the configuration sets `limits:`)."""
    from flows.connect import source_limits
    from mapping.loader import load_config

    config = load_config(config_path, os.environ).config
    out = {}
    for name, source in config.sources.items():
        chosen = source_limits(source)
        out[TOOLS[name]] = {"concurrency": chosen.concurrency, "per_second": chosen.per_second}
    return out


def agreement(okrsync: dict[str, float | None], naive: dict[str, float | None]) -> dict[str, Any]:
    differ = []
    for kr, value in okrsync.items():
        other = naive.get(kr)
        same = value is not None and other is not None and math.isclose(value, other, rel_tol=1e-9, abs_tol=1e-9)
        if not same:
            differ.append({"kr": kr, "okrsync": value, "naive": other})
    return {"krs": len(okrsync), "same": len(okrsync) - len(differ), "differ": differ}


def fetch_tasks(plan: dict[str, Any]) -> dict[str, int]:
    """How many fetch tasks the flow runs per source (as flows/sync.py `_fetch_tasks` groups the queries)."""
    keys = {(q["source"], "sheet" if q["source"] == "sheets" else "fields" if q["kind"] in ("sum", "avg") else q["kind"],
             "" if q["source"] == "sheets" else q["query"], q["repo"] or "") for q in plan["queries"]}
    return {s: sum(key[0] == s for key in keys) for s in SOURCE_TYPES}


def bounds(sync: dict[str, Any], plan: dict[str, Any], model: dict[str, Any], lim: dict[str, dict[str, float]], latency_ms: int,
           fixed: float) -> dict[str, Any]:
    """The issue's bound and a pacing-aware one for one sync's wall time (seconds).

    issue:  1.3 x sum over sources of (requests / concurrency x latency) + fixed Prefect cost
    paced:  1.3 x (discovery + fetching + publishing) + fixed Prefect cost, where
            discovery  = max over sources of (its discovery requests x latency)       (sources in parallel, calls serial)
            fetching   = max over sources of max(requests x latency / concurrency,     (sources in parallel)
                                                 (fetch tasks - 1) / per_second + latency,
                                                 the most pages one query needs x latency)
            publishing = max over tools of its publish requests x latency             (tools in parallel, writes serial)
    A fetch task is one distinct Jira count or GitHub query, the sums and averages over one JQL, or one
    spreadsheet's batch (flows/sync.py `_fetch_tasks`); the throttle paces task starts, not HTTP requests. The fixed Prefect cost is an empty flow run on the warm server.
    """
    latency = latency_ms / 1000
    per_source = sync["requests"]["per_source"]
    issue_model = sum(per_source[s].get("total", 0) / lim[s]["concurrency"] * latency for s in SOURCE_TYPES)
    tasks = fetch_tasks(plan)
    chain = Counter()  # the most pages one query needs: they are fetched one after another
    for q in model["queries"]:
        chain[q["source"]] = max(chain[q["source"]], q["requests"] or 1)
    discovery = max(per_source[s].get("discovery", 0) * latency for s in SOURCE_TYPES)
    fetch = {}
    for s in SOURCE_TYPES:
        reads = per_source[s].get("read", 0)
        by_concurrency = reads * latency / lim[s]["concurrency"]
        by_pacing = (tasks[s] - 1) / lim[s]["per_second"] + latency if tasks[s] else 0.0
        by_chain = chain.get(s, 1 if tasks[s] else 0) * latency
        fetch[s] = {"by_concurrency": round(by_concurrency, 2), "by_pacing": round(by_pacing, 2), "longest_query": round(by_chain, 2), "tasks": tasks[s]}
    fetching = max(max(f["by_concurrency"], f["by_pacing"], f["longest_query"]) for f in fetch.values())
    publishing = max(per_source[s].get("publish", 0) for s in SOURCE_TYPES) * latency
    paced_model = discovery + fetching + publishing
    return {
        "fixed_prefect_seconds": round(fixed, 2),
        "issue_model_seconds": round(issue_model, 2), "issue_bound_seconds": round(SLACK * issue_model + fixed, 2),
        "paced_model_seconds": round(paced_model, 2), "paced_bound_seconds": round(SLACK * paced_model + fixed, 2),
        "paced_parts": {"discovery": round(discovery, 2), "fetching": round(fetching, 2), "publishing": round(publishing, 2), "per_source_fetch": fetch},
        "wall_seconds": sync["wall_seconds"],
    }


def targets(r: dict[str, Any]) -> list[dict[str, Any]]:
    """The issue's targets, each with the figure, the bound and whether it is met."""
    s1, s2, naive, plan, model = r["sync1"], r["sync2"], r["naive"], r["workload"], r["cost_model"]
    out = []
    for s in SOURCE_TYPES:
        c = s1["requests"]["per_source"][s]
        reads, distinct = c.get("read", 0), plan["distinct_per_source"][s]
        out.append({"target": f"{s}: read requests <= distinct queries (+ discovery)", "figure": f"{reads} (+{c.get('discovery', 0)})",
                    "bound": f"{distinct} (+{model['discovery'][s]})", "met": reads <= distinct and c.get("discovery", 0) <= model["discovery"][s]})
    for s in ("jira", "github"):
        c = s1["requests"]["per_source"][s]
        expected = model["reads"].get(s)
        out.append({"target": f"{s}: read requests = documented cost (docs/connectors.md)", "figure": str(c.get("read", 0)),
                    "bound": str(expected), "met": expected is not None and c.get("read", 0) <= expected})
    ours = s1["requests"]["per_source"]["jira"]
    ours_reading = ours.get("discovery", 0) + ours.get("read", 0)
    theirs = naive["requests"]["per_source"]["jira"].get("total", 0)
    ratio = theirs / ours_reading if ours_reading else math.inf
    out.append({"target": "jira: >= 10x fewer requests than the naive script", "figure": f"{ratio:.1f}x ({theirs} / {ours_reading})",
                "bound": ">= 10x", "met": ratio >= 10})
    naive_counts, our_counts = jira_count_ratio(r)
    count_ratio = naive_counts / our_counts if our_counts else math.inf
    out.append({"target": "  (jira counts alone, keys-only searches)", "figure": f"{count_ratio:.1f}x ({naive_counts} / {our_counts})",
                "bound": ">= 10x", "met": count_ratio >= 10})
    for label, key in (("sync 1", "sync1"), ("sync 2", "sync2")):
        b = r["bounds"][key]
        out.append({"target": f"{label} wall time <= issue bound 1.3 x requests/concurrency x latency + Prefect", "figure": f"{b['wall_seconds']:.1f} s",
                    "bound": f"{b['issue_bound_seconds']:.1f} s", "met": b["wall_seconds"] <= b["issue_bound_seconds"]})
        out.append({"target": f"{label} wall time <= pacing-aware bound (per_second limits)", "figure": f"{b['wall_seconds']:.1f} s",
                    "bound": f"{b['paced_bound_seconds']:.1f} s", "met": b["wall_seconds"] <= b["paced_bound_seconds"]})
    used = s2["requests"]["github_rate_limit_cost"]
    out.append({"target": "sync 2: GitHub rate-limit cost 0", "figure": f"search {used['search']}, core {used['core']}",
                "bound": "0", "met": used["search"] == 0 and used["core"] == 0})
    return out


def jira_count_ratio(r: dict[str, Any]) -> tuple[int, int]:
    """(naive, okrsync) Jira search requests that ask for keys only, i.e. the counts."""
    key = "count (keys only)"
    return r["naive"]["requests"]["jira_searches"].get(key, 0), r["sync1"]["requests"]["jira_searches"].get(key, 0)


def save(result: dict[str, Any], quick: bool, experiment: bool = False) -> list[Path]:
    """bench/results/<timestamp>.json and latest.json. Quick runs and experiments (`--limit`, another
    latency or Jira deployment) go to bench/.cache/results instead, not kept in git."""
    aside = quick or experiment
    folder = CACHE / "results" if aside else RESULTS
    folder.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    text = json.dumps(result, indent=1, default=str) + "\n"
    suffix = "-quick" if quick else "-experiment" if experiment else ""
    paths = [folder / f"{stamp}{suffix}.json", folder / f"latest{suffix}.json"]
    for path in paths:
        path.write_text(text)
    return paths


def per_route_rows(r: dict[str, Any]) -> list[tuple[str, int, int, int]]:
    routes: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for i, part in enumerate(("sync1", "sync2", "naive")):
        for key, n in r[part]["requests"]["routes"].items():
            routes[key][i] = n
    return [(k, *v) for k, v in sorted(routes.items())]
