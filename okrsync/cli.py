"""The `okrsync` command line. Thin: it parses arguments and calls mapping/ and okr_store/.

Exit codes: 0 success, 1 validation failure (or a partial sync), 2 usage or fatal error.
With `--json` (or `--format json`) stdout holds exactly one JSON document; messages go to stderr.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from collections.abc import Callable
from enum import Enum
from importlib.resources import files
from pathlib import Path
from typing import Annotated, Any, NoReturn

import sqlalchemy as sa
import typer
from rich.console import Console

from flows.render_html import progress_html, status_html
from flows.render_markdown import progress_markdown, status_markdown
from mapping import schema
from mapping.loader import LoadedConfig, load_config, resolve_config_path
from mapping.problems import ConfigError, Problem
from okr_store import checkins, db, definitions
from okr_store.models import utcnow
from okr_store.progress import build_progress
from okr_store.scoring import Thresholds
from okr_store.status import build_status
from okr_store.url import resolve_store_url, store_url_for
from okrsync.local_server import ServerDidNotStart, prefect_api
from okrsync.prefect_env import in_process_runs, quiet_prefect, silence_shutdown, start_temporary_server
from okrsync.render_run import live_progress, render_run
from okrsync.render_status import render_status
from okrsync.render_text import render_progress

app = typer.Typer(
    help="Keep OKR key results current from Jira, GitHub and Google Sheets.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="The OKR store's schema.", no_args_is_help=True)
app.add_typer(db_app, name="db")

REPORT_WIDTH = 100  # when stdout is not a terminal
out = Console(highlight=False, soft_wrap=True, width=None if sys.stdout.isatty() else REPORT_WIDTH)
err = Console(stderr=True, highlight=False, soft_wrap=True)  # one problem, one line: editors parse them

ConfigOption = Annotated[
    Path | None,
    typer.Option("--config", "-c", help="Configuration file or directory [default: ./okrsync.yaml, else ./okrs/]."),
]
StoreOption = Annotated[
    str | None,
    typer.Option("--store", help="Store URL; else OKRSYNC_STORE, else the file's `store:`, else sqlite:///okrsync.db."),
]


def fail(message: str, code: int = 2) -> NoReturn:
    err.print(f"[red]error:[/] {message}", markup=True, highlight=False)
    raise typer.Exit(code)


def _start_temporary_server() -> None:
    try:
        start_temporary_server()
    except ServerDidNotStart as error:
        fail(str(error))


def _print_problems(problems: list[Problem]) -> None:
    for problem in problems:
        style = "yellow" if problem.severity == "warning" else "red"
        err.print(str(problem), style=style, markup=False)


def _load(config: Path | None, check_env: bool = False) -> LoadedConfig:
    path = resolve_config_path(config)
    try:
        loaded = load_config(path, os.environ if check_env else None)
    except ConfigError as error:
        _print_problems(error.problems)
        raise typer.Exit(1) from None
    return loaded


def _open_store(loaded: LoadedConfig | None, store: str | None) -> sa.Engine:
    try:
        url = store_url_for(loaded, store, os.environ) if loaded else resolve_store_url(store, os.environ, None, None)
    except (ValueError, KeyError) as error:
        fail(f"store: {error}")
    return db.create_store_engine(url)


def _store_in_step(loaded: LoadedConfig, store: str | None) -> sa.Engine:
    """Open the store (creating a new one) and bring its objectives and KRs up to the configuration."""
    engine = _open_store(loaded, store)
    try:
        db.ensure_current(engine)
        with db.transaction(engine) as session:
            defined_in = {o.id: str(loaded.file_of(("objectives", i))) for i, o in enumerate(loaded.config.objectives)}
            definitions.apply_config(session, loaded.config, defined_in)
    except db.StoreError as error:
        fail(str(error))
    except sa.exc.SQLAlchemyError as error:
        fail(f"the store {db.display_url(str(engine.url))} failed: {type(error).__name__}: {getattr(error, 'orig', error)}")
    return engine


class ReportFormat(str, Enum):
    text = "text"
    md = "md"
    html = "html"
    json = "json"


def _thresholds(config: schema.Config) -> Thresholds:
    return Thresholds.of(config.scoring)


@app.command()
def init(
    config: ConfigOption = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write a commented starter okrsync.yaml (every metric kind shown once)."""
    path = config or Path("okrsync.yaml")
    if path.is_dir():
        path = path / "okrsync.yaml"
    if path.exists() and not force:
        fail(f"{path} already exists; use --force to overwrite it")
    path.write_text(files("okrsync").joinpath("templates/okrsync.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    err.print(f"wrote {path}; next: set the ${{...}} variables it names, then `okrsync validate -c {path}`")


@app.command()
def validate(
    config: ConfigOption = None,
    no_env: Annotated[bool, typer.Option("--no-env", help="Skip the check that every ${VAR} a source needs is set.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the problems as one JSON document.")] = False,
) -> None:
    """Check the configuration fully; print every problem as FILE:LINE:COL: field: message."""
    path = resolve_config_path(config)
    try:
        loaded = load_config(path, None if no_env else os.environ)
        problems, summary, checked = loaded.warnings, _summary(loaded.config), loaded.files
    except ConfigError as error:
        problems, summary, checked = error.problems, None, []
    errors = sum(p.severity == "error" for p in problems)
    if as_json:
        document = {
            "valid": errors == 0,
            "files": [str(f) for f in checked],
            "problems": [
                {"file": str(p.location.file), "line": p.location.line, "column": p.location.column,
                 "field": p.field, "severity": p.severity, "message": p.message}
                for p in problems
            ],
        }
        print(json.dumps(document, indent=2))
    else:
        _print_problems(problems)
        warnings = len(problems) - errors
        if errors:
            err.print(f"{path}: {errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)}")
        else:
            out.print(f"{path}: valid ({summary}; {warnings} warning{'s' * (warnings != 1)})")
    raise typer.Exit(1 if errors else 0)


def _summary(config: schema.Config) -> str:
    krs = len(config.key_results())
    return f"cycle {config.cycle.name}, {len(config.objectives)} objectives, {krs} key results, {len(config.sources)} sources"


@app.command("schema")
def schema_command() -> None:
    """Print the JSON Schema of okrsync.yaml, for editors to validate and complete it."""
    print(json.dumps(schema.ConfigFile.model_json_schema(), indent=2))


@db_app.command("upgrade")
def db_upgrade(config: ConfigOption = None, store: StoreOption = None) -> None:
    """Create or migrate the store's tables to this version of okrsync."""
    path = resolve_config_path(config)
    loaded = _load(config) if path.exists() or config else None
    engine = _open_store(loaded, store)
    try:
        before = db.current_revision(engine)
        db.upgrade(engine)
    except sa.exc.SQLAlchemyError as error:
        fail(f"cannot migrate {db.display_url(str(engine.url))}: {getattr(error, 'orig', error)}")
    after = db.current_revision(engine)
    change = "already at" if before == after else f"upgraded from {before or 'an empty store'} to"
    out.print(f"{db.display_url(str(engine.url))}: {change} schema {after}")


@app.command()
def checkin(
    kr_id: Annotated[str, typer.Argument(help="The key result's id, e.g. O1-KR3.")],
    value: Annotated[float, typer.Argument(help="Its current value.")],
    confidence: Annotated[int | None, typer.Option(min=0, max=10, help="How confident you are of the target, 0-10.")] = None,
    note: Annotated[str | None, typer.Option(help="What happened, what is next.")] = None,
    author: Annotated[str | None, typer.Option(help="Who checks in [default: $USER].")] = None,
    config: ConfigOption = None,
    store: StoreOption = None,
) -> None:
    """Record a value by hand, with a confidence and a note."""
    loaded = _load(config)
    engine = _store_in_step(loaded, store)
    try:
        with db.transaction(engine) as session:
            cycle = definitions.current_cycle(session, loaded.config.cycle.name)
            kr = checkins.find_key_result(session, cycle.id, kr_id)
            checkins.record_checkin(session, kr, value, confidence, note, author or os.environ.get("USER"))
    except (LookupError, ValueError) as error:
        fail(str(error).strip("'\""), code=1 if isinstance(error, LookupError) else 2)
    out.print(f"{kr_id}: checked in {value:g}" + (f" (confidence {confidence}/10)" if confidence is not None else ""))


@app.command()
def report(
    fmt: Annotated[ReportFormat, typer.Option("--format", "-f", help="Output format.")] = ReportFormat.text,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file instead of stdout.")] = None,
    since: Annotated[dt.datetime | None, typer.Option(help="'What changed' since this date or time (UTC) [default: 7 days ago].",
                                                      formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"])] = None,
    config: ConfigOption = None,
    store: StoreOption = None,
) -> None:
    """OKR progress: objectives by owner and alignment, each KR's value, progress, score, status, pace,
    check-in, trend and forecast, roll-ups, and what changed."""
    loaded = _load(config)
    engine = _store_in_step(loaded, store)
    now = utcnow()
    changed_since = since.replace(tzinfo=dt.UTC) if since else now - dt.timedelta(days=7)
    with db.transaction(engine) as session:
        progress = build_progress(session, loaded.config.cycle.name, now, _thresholds(loaded.config),
                                  since=changed_since, with_history=True)
    _emit(fmt, output, progress.to_json, progress_markdown, progress_html, render_progress, progress)


@app.command()
def status(
    config: ConfigOption = None,
    store: StoreOption = None,
    fmt: Annotated[ReportFormat, typer.Option("--format", "-f", help="Output format.")] = ReportFormat.text,
    as_json: Annotated[bool, typer.Option("--json", help="The same as --format json.")] = False,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file instead of stdout.")] = None,
) -> None:
    """The last runs, each source's health, and every KR that is failing, stale or never measured."""
    loaded = _load(config)
    engine = _store_in_step(loaded, store)
    stale_after = dt.timedelta(hours=loaded.config.scoring.stale_after_hours)
    with db.transaction(engine) as session:
        report = build_status(session, loaded.config.cycle.name, utcnow(), stale_after)
    _emit(ReportFormat.json if as_json else fmt, output, report.to_json, status_markdown, status_html, render_status, report)


def _emit(fmt: ReportFormat, output: Path | None, as_json: Callable[[], Any], as_markdown: Callable[[Any], str],
          as_html: Callable[[Any], str], as_text: Callable[[Any, Console], None], model: Any) -> None:
    """One report in the chosen format, to stdout or a file; every format renders the same model."""
    if fmt is ReportFormat.text:
        if output:
            with output.open("w", encoding="utf-8") as handle:
                as_text(model, Console(file=handle, width=REPORT_WIDTH, no_color=True, highlight=False))
        else:
            as_text(model, out)
        return
    rendered = {
        ReportFormat.json: lambda: json.dumps(as_json(), indent=2) + "\n",
        ReportFormat.md: lambda: as_markdown(model),
        ReportFormat.html: lambda: as_html(model),
    }[fmt]()
    if output:
        output.write_text(rendered, encoding="utf-8")
        err.print(f"wrote {output}")
    else:
        sys.stdout.write(rendered)


@app.command()
def sync(
    config: ConfigOption = None,
    store: StoreOption = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Fetch and evaluate; write nothing to the store or any tool.")] = False,
    only: Annotated[list[str] | None, typer.Option("--only", help="Sync only this KR (repeatable); formulas bring the KRs they name.")] = None,
    no_publish: Annotated[bool, typer.Option("--no-publish", help="Do not publish progress to the tools.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the run document (docs/sync-json.md) as JSON.")] = False,
) -> None:
    """Fetch every KR's metric, store the values with their provenance, publish what changed."""
    loaded = _load(config, check_env=False)
    unknown = sorted(set(only or ()) - {kr.id for _, kr in loaded.config.key_results()})
    if unknown:
        fail(f"--only names no key result: {', '.join(unknown)}")
    if not dry_run:
        _store_in_step(loaded, store).dispose()
    _store_to_environment(store)
    quiet_prefect()
    from flows.sync import BOARD, sync_flow

    _start_temporary_server()
    with in_process_runs(), live_progress(BOARD, enabled=not as_json and err.is_terminal, console=err):
        document = sync_flow(
            config_path=str(resolve_config_path(config)), dry_run=dry_run,
            only=list(only) if only else None, publish=not no_publish,
        )
    if as_json:
        print(json.dumps(document, indent=2, default=str))
    else:
        render_run(document, out)
    code = {"success": 0, "partial": 1}.get(document["status"], 2)
    silence_shutdown()
    raise typer.Exit(code)


@app.command()
def serve(
    config: ConfigOption = None,
    store: StoreOption = None,
    sync_cron: Annotated[str, typer.Option(help="When to sync (cron, UTC).")] = "0 * * * *",
    report_cron: Annotated[str, typer.Option(help="When to report (cron, UTC).")] = "0 7 * * *",
) -> None:
    """Run the sync and report schedules in this process (one machine, nothing else installed)."""
    loaded = _load(config)
    _store_in_step(loaded, store).dispose()
    _store_to_environment(store)
    quiet_prefect()
    path = str(resolve_config_path(config).resolve())
    try:
        with prefect_api() as api:  # before Prefect is imported: its settings must see the API URL
            from prefect import serve as serve_deployments

            from flows.report import report_flow
            from flows.sync import sync_flow

            err.print(f"serving okrsync-sync ({sync_cron}) and okrsync-report ({report_cron}) for {path} "
                      f"with the Prefect API at {api}; Ctrl-C stops")
            serve_deployments(
                sync_flow.to_deployment(name="okrsync-sync", cron=sync_cron, parameters={"config_path": path, "trigger": "schedule"}),
                report_flow.to_deployment(name="okrsync-report", cron=report_cron, parameters={"config_path": path}),
                print_starting_message=False,
            )
    except ServerDidNotStart as error:
        fail(str(error))


@app.command()
def demo(
    folder: Annotated[Path, typer.Option("--dir", help="Where to write the demo configuration and store.")] = Path("okrsync-demo"),
) -> None:
    """Run the whole job against a local sandbox: sync, report, ten days later sync again."""
    quiet_prefect()
    os.environ.pop("OKRSYNC_STORE", None)  # the demo keeps its own store in --dir
    from okrsync.demo import run_demo

    out.print("Starting Prefect (the first start prepares its database: up to half a minute)…")
    _start_temporary_server()
    code = run_demo(folder, out)
    silence_shutdown()
    raise typer.Exit(code)


def _store_to_environment(store: str | None) -> None:
    """Hand --store to the flows through OKRSYNC_STORE (it outranks the file as --store does), so
    the URL and any password in it never become a flow-run parameter that Prefect records."""
    if store:
        os.environ["OKRSYNC_STORE"] = store


def main() -> None:
    """Entry point of `python -m okrsync`."""
    app(prog_name="okrsync")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
