"""Report at scale: 200 objectives x 5 KRs x 90 days of history, built and rendered in every format.

    .venv/bin/python -m bench.report_scale [--objectives 200] [--krs 5] [--days 90] [--per-day 1] [--store URL]

Measures the time and peak Python memory (tracemalloc) of building the progress model (history
streamed and folded per day) and of each format, and the size of each output. Writes
bench/results/report-latest.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import tempfile
import time
import tracemalloc
from io import StringIO
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from rich.console import Console

from flows.render_html import progress_html
from flows.render_markdown import progress_markdown
from mapping.loader import load_config
from okr_store import db, definitions, models
from okr_store.progress import build_progress
from okrsync.render_text import render_progress

RESULTS = Path(__file__).parent / "results"
START = dt.date(2026, 10, 1)


def write_config(folder: Path, objectives: int, krs: int) -> Path:
    lines = ["cycle: {name: 2026-Q4, start: 2026-10-01, end: 2026-12-31}", "objectives:"]
    for o in range(objectives):
        lines += [f"  - id: O{o}", f"    title: Objective {o}", f"    owner: team-{o % 40}",
                  *([f"    parent: O{o // 5}"] if o >= 5 else []), "    key_results:"]
        lines += [f"      - {{id: O{o}-KR{k}, title: Key result {k} of objective {o}, target: 100, metric: {{manual: true}}}}" for k in range(krs)]
    path = folder / "okrsync.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


def fill_history(engine: sa.Engine, days: int, per_day: int) -> int:
    with engine.begin() as connection:
        ids = connection.scalars(sa.select(models.KeyResult.id)).all()
        rows = 0
        for day in range(days):
            batch = [
                {"key_result_id": kr_id, "value": float(day + (kr_id % 7) + slot / per_day), "source": "bench",
                 "measured_at": dt.datetime.combine(START + dt.timedelta(days=day), dt.time(hour=8 + slot % 12), dt.UTC),
                 "request_count": 1}
                for kr_id in ids for slot in range(per_day)
            ]
            connection.execute(sa.insert(models.Measurement), batch)
            rows += len(batch)
    return rows


def measure(label: str, work: Any, results: dict[str, Any]) -> Any:
    tracemalloc.start()
    started = time.perf_counter()
    value = work()
    seconds = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    results[label] = {"seconds": round(seconds, 3), "peak_mib": round(peak / 2**20, 1)}
    return value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--objectives", type=int, default=200)
    parser.add_argument("--krs", type=int, default=5)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--per-day", type=int, default=1)
    parser.add_argument("--store", help="SQLAlchemy URL of an empty store (default: a new SQLite file)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.store or f"sqlite:///{folder}/report.db"
        engine = db.create_store_engine(url)
        db.upgrade(engine)
        loaded = load_config(write_config(Path(folder), args.objectives, args.krs))
        with db.transaction(engine) as session:
            definitions.apply_config(session, loaded.config)
        rows = fill_history(engine, args.days, args.per_day)
        results: dict[str, Any] = {}
        at = dt.datetime.combine(START + dt.timedelta(days=args.days), dt.time(), dt.UTC)
        with db.transaction(engine) as session:
            report = measure("build model", lambda: build_progress(session, "2026-Q4", at, since=at - dt.timedelta(days=7), with_history=True), results)
        sizes = {}
        for label, render in (
            ("json", lambda: json.dumps(report.to_json())),
            ("md", lambda: progress_markdown(report)),
            ("html", lambda: progress_html(report)),
            ("text", lambda: _text(report)),
        ):
            sizes[label] = len(measure(f"render {label}", render, results).encode())
        engine.dispose()
    document = {
        "machine": {"cpus": __import__("os").cpu_count(), "platform": platform.platform(), "python": platform.python_version()},
        "store": "sqlite" if not args.store else sa.engine.make_url(args.store).get_backend_name(),
        "objectives": args.objectives, "key_results": args.objectives * args.krs, "days": args.days, "measurements": rows,
        "timings": results, "output_bytes": sizes,
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "report-latest.json").write_text(json.dumps(document, indent=2) + "\n")
    console = Console()
    console.print(f"{args.objectives} objectives x {args.krs} KRs x {args.days} days: {rows:,} measurements ({document['store']})")
    for label, figures in results.items():
        size = sizes.get(label.removeprefix("render "))
        console.print(f"  {label:<12} {figures['seconds']:>7.3f} s  peak {figures['peak_mib']:>6.1f} MiB"
                      + (f"  {size / 2**20:.2f} MiB out" if size else ""))


def _text(report: Any) -> str:
    buffer = StringIO()
    render_progress(report, Console(file=buffer, width=100, no_color=True))
    return buffer.getvalue()


if __name__ == "__main__":
    main()
