"""Publishing: write each changed KR's progress to its Jira issue, GitHub issue or Sheets range.

Idempotent: the rendered content's hash is compared with the one last published (kept in the store)
and nothing is sent when they are equal; comments are found by id or by their marker, so a rerun after
a crash edits the comment instead of adding one. A failed KR is not published.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import sqlalchemy as sa

from connectors.errors import ConnectorError
from connectors.github import GitHubConnector
from connectors.jira import JiraConnector
from connectors.publishing import ProgressUpdate, content_hash, render_github, render_jira, sheet_hash, sheet_row
from connectors.sheets import SheetsConnector
from flows.connect import Connector
from mapping import schema
from okr_store import db, runs, scoring
from okr_store.runs import KROutcome


@dataclass(frozen=True)
class PublishResult:
    kr: str
    target: str
    action: str  # created_or_updated | unchanged | would_publish | failed
    message: str = ""


def progress_update(objective: schema.Objective, kr: schema.KeyResult, value: float, pace: float,
                    thresholds: scoring.Thresholds, query: str | None) -> ProgressUpdate:
    """What is published for a KR with this value, scored as the store scores it."""
    kr_progress = scoring.progress(kr.direction, kr.start, kr.target, value)
    return ProgressUpdate(
        kr_id=kr.id, title=kr.title, value=value, unit=kr.unit, start=kr.start, target=kr.target,
        direction=kr.direction, progress=kr_progress, score=scoring.grade(kr_progress),
        status=scoring.status(kr.direction, kr_progress, pace, objective.kind, thresholds),
        expected_progress=scoring.expected_progress(pace, objective.kind, thresholds), query=query,
    )


def target_key(target: schema.PublishTarget) -> str:
    return f"{target.to}:{target.issue or target.range}" + (f"#{target.field}" if target.field else "")


def publish_changes(
    config: schema.Config,
    outcomes: list[KROutcome],
    connectors: Mapping[str, Connector | ConnectorError],
    engine: sa.Engine,
    cycle_id: int | None,
    run_id: int | None,
    pace: float,
    dry_run: bool,
    now: dt.datetime,
) -> list[PublishResult]:
    """Publish every KR of the run that has a fresh value and whose content changed."""
    thresholds = scoring.Thresholds(**config.scoring.model_dump())
    owners = {kr.id: (objective, kr) for objective, kr in config.key_results()}
    results: list[PublishResult] = []
    sheet_batches: dict[str, list[tuple[str, schema.PublishTarget, ProgressUpdate, str]]] = defaultdict(list)
    for outcome in outcomes:
        objective, kr = owners[outcome.kr_key]
        if outcome.status != "ok" or outcome.value is None or not kr.publish:
            continue
        update = progress_update(objective, kr, outcome.value, pace, thresholds, outcome.query)
        for target in kr.publish:
            key = target_key(target)
            connector = connectors.get(target.to)
            body_hash = _hash_for(connector, update)
            if _unchanged(engine, cycle_id, kr.id, key, body_hash):
                results.append(PublishResult(kr.id, key, "unchanged"))
            elif dry_run:
                results.append(PublishResult(kr.id, key, "would_publish", _preview(connector, update)))
            elif isinstance(connector, ConnectorError) or connector is None:
                results.append(PublishResult(kr.id, key, "failed", f"source {target.to!r}: {connector}"))
            elif isinstance(connector, SheetsConnector):
                sheet_batches[target.to].append((kr.id, target, update, body_hash))
            else:
                results.append(_publish_comment(connector, engine, cycle_id, run_id, kr.id, target, update, body_hash))
    for source, batch in sheet_batches.items():
        connector = connectors[source]
        assert isinstance(connector, SheetsConnector)
        results.extend(_publish_sheet(connector, engine, cycle_id, run_id, batch, now))
    return results


def _hash_for(connector: Connector | ConnectorError | None, update: ProgressUpdate) -> str:
    if isinstance(connector, SheetsConnector):
        return sheet_hash(update)
    if isinstance(connector, GitHubConnector):
        return content_hash(render_github(update))
    return content_hash(render_jira(update))


def _preview(connector: Connector | ConnectorError | None, update: ProgressUpdate) -> str:
    if isinstance(connector, SheetsConnector):
        return repr(sheet_row(update, "<now>"))
    first_line = (render_github(update) if isinstance(connector, GitHubConnector) else render_jira(update)).splitlines()[1 if isinstance(connector, GitHubConnector) else 0]
    return first_line


def _unchanged(engine: sa.Engine, cycle_id: int | None, kr_key: str, target: str, body_hash: str) -> bool:
    if cycle_id is None:
        return False
    with db.transaction(engine) as session:
        kr = runs.key_results_by_key(session, cycle_id).get(kr_key)
        last = runs.publication(session, kr.id, target) if kr else None
        return last is not None and last.content_hash == body_hash


def _remember(engine: sa.Engine, cycle_id: int | None, run_id: int | None, kr_key: str, target: str,
              external_ref: str | None, body_hash: str) -> None:
    if cycle_id is None:
        return
    with db.transaction(engine) as session:
        kr = runs.key_results_by_key(session, cycle_id)[kr_key]
        runs.record_publication(session, kr.id, target, external_ref, body_hash, run_id)


def _last_ref(engine: sa.Engine, cycle_id: int | None, kr_key: str, target: str) -> str | None:
    if cycle_id is None:
        return None
    with db.transaction(engine) as session:
        kr = runs.key_results_by_key(session, cycle_id).get(kr_key)
        last = runs.publication(session, kr.id, target) if kr else None
        return last.external_ref if last else None


def _publish_comment(connector: JiraConnector | GitHubConnector, engine: sa.Engine, cycle_id: int | None,
                     run_id: int | None, kr_key: str, target: schema.PublishTarget, update: ProgressUpdate,
                     body_hash: str) -> PublishResult:
    key = target_key(target)
    render: Callable[[ProgressUpdate], str] = render_github if isinstance(connector, GitHubConnector) else render_jira
    try:
        comment_id, written = connector.upsert_comment(str(target.issue), update.marker, render(update), _last_ref(engine, cycle_id, kr_key, key))
        if isinstance(connector, JiraConnector) and target.field and update.value is not None:
            connector.set_number_field(str(target.issue), target.field, update.value)
    except ConnectorError as error:
        return PublishResult(kr_key, key, "failed", f"{error.error_class}: {error}")
    _remember(engine, cycle_id, run_id, kr_key, key, comment_id, body_hash)
    return PublishResult(kr_key, key, "created_or_updated" if written else "unchanged")


def _publish_sheet(connector: SheetsConnector, engine: sa.Engine, cycle_id: int | None, run_id: int | None,
                   batch: list[tuple[str, schema.PublishTarget, ProgressUpdate, str]], now: dt.datetime) -> list[PublishResult]:
    stamp = now.strftime("%Y-%m-%d %H:%M UTC")
    try:
        connector.write([(str(target.range), sheet_row(update, stamp)) for _, target, update, _ in batch])
    except ConnectorError as error:
        return [PublishResult(kr, target_key(target), "failed", f"{error.error_class}: {error}") for kr, target, _, _ in batch]
    for kr, target, _, body_hash in batch:
        _remember(engine, cycle_id, run_id, kr, target_key(target), str(target.range), body_hash)
    return [PublishResult(kr, target_key(target), "created_or_updated") for kr, target, _, _ in batch]
