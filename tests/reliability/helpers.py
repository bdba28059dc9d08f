"""What the reliability tests share: the demo project against the sandbox, made fast for tests, and
readers of the store and of what the sandbox received.

Numbers of the demo configuration (okrsync/templates/demo.yaml) on the seed data are in
tests/test_sync_e2e.py; `change_data` moves the sandbox on so that most KRs get a new value.
"""

from __future__ import annotations

import os
import re
from importlib.resources import files
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from okr_store import db, models
from sandbox.server import Sandbox

# The KRs each source feeds (O3-KR2 is a formula over two Jira counts, O2-KR2 a ratio of two searches).
KRS = {
    "jira": ("O1-KR1", "O2-KR4", "O3-KR1", "O3-KR2"),
    "github": ("O2-KR1", "O2-KR2", "O2-KR3"),
    "sheets": ("O1-KR2", "O1-KR3"),
}
ALL_KRS = tuple(sorted(k for krs in KRS.values() for k in krs))
SEED = {"O1-KR1": 3, "O1-KR2": 0.45, "O1-KR3": 820, "O2-KR1": 2, "O2-KR2": 0.25, "O2-KR3": 0.5, "O2-KR4": 5,
        "O3-KR1": 27.5 / 3, "O3-KR2": 25}  # the values on the seed data (tests/test_sync_e2e.py)
CHANGED = {**SEED, "O1-KR1": 4, "O1-KR2": 0.52, "O1-KR3": 980, "O2-KR1": 3, "O2-KR2": 0.5, "O2-KR3": 0.75, "O2-KR4": 10}
# Where each KR publishes (demo.yaml): comment markers on Jira ONB-1 and GitHub acme/okrs#3, sheet rows.
JIRA_ISSUE, GITHUB_REPO, GITHUB_ISSUE = "ONB-1", ("acme", "okrs"), 3
COMMENT_KRS = {"jira": ("O1-KR1", "O2-KR4"), "github": ("O2-KR1", "O2-KR2", "O2-KR3")}
SHEET_ROWS = {"O1-KR1": 2, "O1-KR2": 3, "O1-KR3": 4}  # 'OKR Board'!B{row}:E{row}
WRITES = ("POST", "PUT", "PATCH")
# Tests: every source answers within 0.5 s (GitHub: 1 s, PyGithub takes whole seconds) or is retried, and okrsync may press it hard.
FAST_SOURCE = "    timeout: 0.5\n    limits: {concurrency: 4, per_second: 100}\n"
# The retry policy for tests: 4 tries, backing off 0.05 s, 0.1 s, 0.2 s (or what Retry-After says), at
# most 1 s of waiting per call (the defaults: 1 s doubling, 90 s).
RETRY_ENV = {"OKRSYNC_RETRY_MAX_WAIT": "1", "OKRSYNC_RETRY_BACKOFF": "0.05"}


def write_project(sandbox: Sandbox, folder: Path, *, fast: bool = True, title_suffix: str = "") -> Path:
    """The demo configuration with the sandbox's sources (timeouts and limits for tests when `fast`)."""
    fragment = sandbox.config_fragment()
    if fast:
        fragment = re.sub(r"(    type: \w+\n)", lambda m: m.group(1) + FAST_SOURCE, fragment)
    template = files("okrsync").joinpath("templates/demo.yaml").read_text(encoding="utf-8")
    text = template.replace("{sources}", fragment)
    if title_suffix:
        text = re.sub(r"(        title: [^\n]+)", lambda m: m.group(1) + title_suffix, text)
    config = folder / "okrsync.yaml"
    config.write_text(text, encoding="utf-8")
    return config


def sync(project: Path, **options: Any) -> tuple[dict[str, Any], Any]:
    """Run the sync flow in this process (a real Prefect run); the run document and flow run id."""
    from flows.sync import sync_flow

    state = sync_flow(config_path=str(project), return_state=True, **options)
    return state.result(), state.state_details.flow_run_id


def by_kr(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {kr["id"]: kr for kr in document["key_results"]}


def change_data(sandbox: Sandbox) -> None:
    """Ten days later (ONB-5 done, PR #2 merged) and two edited cells: every KR but O3-KR1/KR2 moves."""
    sandbox.advance(days=10)
    spreadsheet = sandbox.spreadsheet_id
    sandbox.set_cell(spreadsheet, "Survey!B2", "52%")
    sandbox.set_cell(spreadsheet, "'Team KPIs'!B8", 160)


def writes(sandbox: Sandbox, service: str | None = None) -> list[dict[str, Any]]:
    """Requests that change something in a tool (token requests aside)."""
    return [r for r in sandbox.requests(service) if r["method"] in WRITES and not r["path"].endswith("/token")]


def comment_writes(sandbox: Sandbox) -> list[dict[str, Any]]:
    return [r for r in writes(sandbox) if "comment" in r["path"]]


def jira_comments(sandbox: Sandbox, key: str = JIRA_ISSUE) -> list[str]:
    with sandbox.state.jira.lock:
        return [c.body for c in sandbox.state.jira.issues[key].comments]


def github_comments(sandbox: Sandbox) -> list[str]:
    with sandbox.state.github.lock:
        repo = sandbox.state.github.repo(*GITHUB_REPO)
        assert repo is not None
        return [c.body for c in repo.items[GITHUB_ISSUE].comments]


def sheet_rows(sandbox: Sandbox) -> dict[str, list[Any]]:
    """The 'OKR Board' row (value, progress, status, updated) each KR publishes to."""
    sheets = sandbox.state.sheets
    with sheets.lock:
        book = sheets.spreadsheets[sandbox.spreadsheet_id]
        values = sheets.read(book, "'OKR Board'!B2:E4", "UNFORMATTED_VALUE", "SERIAL_NUMBER", "ROWS").get("values", [])
    values = values + [[]] * (3 - len(values))
    return {kr: values[row - 2] for kr, row in SHEET_ROWS.items()}


def markers(bodies: list[str]) -> dict[str, list[str]]:
    """okrsync comments by KR marker (a comment without one, e.g. a person's, is left out)."""
    found: dict[str, list[str]] = {}
    for body in bodies:
        for kr in re.findall(r"okrsync:kr=([A-Za-z0-9_.\-]+)", body):
            found.setdefault(kr, []).append(body)
    return found


def published_state(sandbox: Sandbox) -> dict[str, Any]:
    """What each KR shows in the tools: its okrsync comment(s) and its sheet row."""
    comments = {**markers(jira_comments(sandbox)), **markers(github_comments(sandbox))}
    rows = sheet_rows(sandbox)
    return {kr: (tuple(comments.get(kr, ())), tuple(rows.get(kr, ()))) for kr in ALL_KRS}


def engine(url: str | None = None) -> sa.Engine:
    """The store the tests' syncs use (OKRSYNC_STORE, as the project fixture sets it)."""
    return db.create_store_engine(url or os.environ["OKRSYNC_STORE"])


def measurements(store: sa.Engine) -> list[tuple[Any, ...]]:
    """Every measurement row: (id, KR, value, measured_at, run id), oldest first."""
    with store.connect() as connection:
        return [tuple(row) for row in connection.execute(
            sa.select(models.Measurement.id, models.KeyResult.key, models.Measurement.value,
                      models.Measurement.measured_at, models.Measurement.run_id)
            .join(models.KeyResult, models.KeyResult.id == models.Measurement.key_result_id)
            .order_by(models.Measurement.id)
        )]


def outcomes(store: sa.Engine, run_id: int) -> dict[str, tuple[Any, ...]]:
    """The run's fetch outcomes by KR: (status, error class, message, measurement id)."""
    with store.connect() as connection:
        rows = connection.execute(
            sa.select(models.KeyResult.key, models.FetchOutcome.status, models.FetchOutcome.error_class,
                      models.FetchOutcome.message, models.FetchOutcome.measurement_id)
            .join(models.KeyResult, models.KeyResult.id == models.FetchOutcome.key_result_id)
            .where(models.FetchOutcome.run_id == run_id)
        ).all()
    return {key: tuple(rest) for key, *rest in rows}


def consistency_problems(store: sa.Engine, krs_per_run: int) -> list[str]:
    """What is wrong with the store's runs, outcomes and measurements (empty when consistent)."""
    problems = []
    with store.connect() as connection:
        runs = connection.execute(sa.select(models.SyncRun.id, models.SyncRun.status, models.SyncRun.finished_at)).all()
        outcome_rows = connection.execute(
            sa.select(models.FetchOutcome.run_id, models.FetchOutcome.status, models.FetchOutcome.measurement_id)
        ).all()
        measurement_rows = connection.execute(sa.select(models.Measurement.id, models.Measurement.run_id)).all()
    run_ids = {run.id for run in runs}
    measured = {m.id: m.run_id for m in measurement_rows}
    for run in runs:
        if run.status not in ("success", "partial", "failed") or run.finished_at is None:
            problems.append(f"run {run.id} left {run.status!r}")
        mine = [o for o in outcome_rows if o.run_id == run.id]
        if len(mine) != krs_per_run:
            problems.append(f"run {run.id} has {len(mine)} outcomes, not {krs_per_run}")
        ok = [o for o in mine if o.status == "ok"]
        if sorted(o.measurement_id for o in ok) != sorted(m for m, r in measured.items() if r == run.id):
            problems.append(f"run {run.id}: its measurements do not match its {len(ok)} ok outcomes")
        if any(o.measurement_id is not None for o in mine if o.status != "ok"):
            problems.append(f"run {run.id}: a failed outcome points at a measurement")
    problems += [f"an outcome of missing run {o.run_id}" for o in outcome_rows if o.run_id not in run_ids]
    problems += [f"measurement {m} of missing run {r}" for m, r in measured.items() if r is not None and r not in run_ids]
    return problems
