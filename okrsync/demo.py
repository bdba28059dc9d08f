"""`okrsync demo`: the whole job end to end on a fresh machine, with no accounts and no network.

Starts the sandbox (local Jira, GitHub and Sheets), writes a demo configuration against it, records a
check-in, syncs, shows the reports, then moves the sandbox's clock ten days on (issues close, PRs
merge, a survey cell changes) and syncs again, so the history and the idempotent publishing show.
The only product module allowed to import the sandbox.
"""

from __future__ import annotations

import os
from importlib.resources import files
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from rich.console import Console
from rich.markup import escape
from rich.rule import Rule
from rich.table import Table

from mapping.display import value_with_unit
from mapping.loader import load_config
from okr_store import checkins, db, definitions, models
from okr_store.models import utcnow
from okr_store.progress import build_progress
from okr_store.url import store_url_for
from okrsync.render_run import render_run
from okrsync.render_text import render_progress
from sandbox.server import Sandbox

ADVANCE_DAYS = 10


def run_demo(folder: Path, console: Console) -> int:
    """Run the demo in `folder` (created); returns the exit code of the last sync."""
    from flows.sync import sync_flow  # imported late: Prefect is slow to import

    folder.mkdir(parents=True, exist_ok=True)
    config_path = folder / "okrsync.yaml"
    for stale in folder.glob("demo.db*"):
        stale.unlink()
    with Sandbox() as sandbox:
        template = files("okrsync").joinpath("templates/demo.yaml").read_text(encoding="utf-8")
        config_path.write_text(template.replace("{sources}", sandbox.config_fragment()), encoding="utf-8")
        os.environ.update(sandbox.env())  # the sandbox's fake credentials, as ${ENV} references expect
        loaded = load_config(config_path, os.environ)
        engine = db.create_store_engine(store_url_for(loaded, None, {}))
        db.ensure_current(engine)
        _check_in(engine, loaded)
        console.print(Rule(f"okrsync demo · sandbox Jira {sandbox.jira_url}, GitHub {sandbox.github_url}, Sheets {sandbox.sheets_url}"))
        console.print(f"configuration: {config_path} · store: {folder / 'demo.db'} · sandbox date {sandbox.now:%Y-%m-%d}\n")

        console.print(Rule("first sync"))
        render_run(sync_flow(config_path=str(config_path), trigger="demo"), console)
        _show_progress(engine, loaded, console)

        sandbox.advance(days=ADVANCE_DAYS)
        sandbox.set_cell(sandbox.spreadsheet_id, "Survey!B2", "38%")
        console.print(Rule(f"{ADVANCE_DAYS} days later (sandbox date {sandbox.now:%Y-%m-%d}): issues closed, PRs merged, activation fell to 38%"))
        second = sync_flow(config_path=str(config_path), trigger="demo")
        render_run(second, console)
        _show_history(engine, loaded, console)
        _show_progress(engine, loaded, console)
        _show_published(sandbox, console)
        engine.dispose()
    console.print(f"\nExplore: okrsync report -c {config_path} · okrsync status -c {config_path} "
                  "(the sandbox has stopped; `python -m sandbox serve` starts one to sync against)")
    return {"success": 0, "partial": 1}.get(second["status"], 2)


def _check_in(engine: sa.Engine, loaded: Any) -> None:
    with db.transaction(engine) as session:
        definitions.apply_config(session, loaded.config)
        cycle = definitions.current_cycle(session, loaded.config.cycle.name)
        kr = checkins.find_key_result(session, cycle.id, "O3-KR3")
        checkins.record_checkin(session, kr, 5, confidence=7, note="Five interviews done, seven booked.", author="demo")


def _show_progress(engine: sa.Engine, loaded: Any, console: Console) -> None:
    with db.transaction(engine) as session:
        report = build_progress(session, loaded.config.cycle.name, utcnow())
    console.print()
    render_progress(report, console)
    console.print()


def _show_history(engine: sa.Engine, loaded: Any, console: Console) -> None:
    """Each KR's values so far, oldest first: the store keeps every one with its provenance."""
    table = Table(title="History in the store (every value kept, with its query and evidence)", title_justify="left", box=None)
    table.add_column("KR")
    table.add_column("Values, oldest first")
    table.add_column("Source of the last one")
    units = {kr.id: kr.unit for _, kr in loaded.config.key_results()}
    with db.transaction(engine) as session:
        rows = session.execute(
            sa.select(models.KeyResult.key, models.Measurement.value, models.Measurement.source, models.Measurement.query)
            .join(models.Measurement, models.Measurement.key_result_id == models.KeyResult.id)
            .order_by(models.KeyResult.key, models.Measurement.measured_at, models.Measurement.id)
        ).all()
    history: dict[str, list[Any]] = {}
    for key, value, source, query in rows:
        history.setdefault(key, []).append((value, source, query))
    for key, values in history.items():
        shown = " → ".join(value_with_unit(v, units.get(key)) for v, _, _ in values)
        source, query = values[-1][1], values[-1][2] or ""
        table.add_row(escape(key), escape(shown), escape(f"{source}: {query[:60]}"))
    console.print(table)


def _show_published(sandbox: Sandbox, console: Console) -> None:
    writes = [r for r in sandbox.requests() if r.get("method") in ("POST", "PUT", "PATCH") and not str(r.get("path", "")).endswith("/token")]
    console.print(f"\nWrites the tools received over both syncs: {len(writes)} "
                  "(comments created once, then edited in place only when their content changed)")
