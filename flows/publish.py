"""Publishing: write each changed KR's progress to its Jira issue, GitHub issue or Sheets range.

Idempotent: the rendered content's hash is compared with the one last published (kept in the store)
and nothing is sent when they are equal; comments are found by id or by their marker, so a rerun after
a crash edits the comment instead of adding one. A failed KR is not published.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import defaultdict
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial

import sqlalchemy as sa

from connectors.errors import ConnectorError
from connectors.github import GitHubConnector
from connectors.jira import JiraConnector
from connectors.publishing import (
    STATUS_LABEL,
    ProgressUpdate,
    content_hash,
    render_github,
    render_jira,
    sheet_hash,
    sheet_row,
)
from connectors.sheets import SheetsConnector
from flows.connect import Connector, unexpected
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
    book: PublicationBook,
    pace: float,
    dry_run: bool,
    now: dt.datetime,
) -> list[PublishResult]:
    """Publish every KR of the run that has a fresh value and whose content changed. Each tool is
    written to from a thread of its own, its writes one after another; results come in KR order."""
    thresholds = scoring.Thresholds.of(config.scoring)
    owners = {kr.id: (objective, kr) for objective, kr in config.key_results()}
    slots: list[list[PublishResult]] = []
    writes: dict[str, list[_Job]] = defaultdict(list)  # per tool, in order
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
            last = book.last(kr.id, key)
            if last is not None and last[1] == body_hash:
                slots.append([PublishResult(kr.id, key, "unchanged")])
            elif dry_run:
                slots.append([PublishResult(kr.id, key, "would_publish", _preview(connector, update))])
            elif isinstance(connector, ConnectorError) or connector is None:
                slots.append([PublishResult(kr.id, key, "failed", f"source {target.to!r}: {connector}")])
            elif isinstance(connector, SheetsConnector):
                sheet_batches[target.to].append((kr.id, target, update, body_hash))
            else:
                job = partial(_publish_comment, connector, book, kr.id, target, update, body_hash, last)
                writes[target.to].append(_Job(len(slots), [(kr.id, key)], job))
                slots.append([])
    for source, batch in sheet_batches.items():
        connector = connectors[source]
        assert isinstance(connector, SheetsConnector)
        targets = [(kr, target_key(target)) for kr, target, _, _ in batch]
        writes[source].append(_Job(len(slots), targets, partial(_publish_sheet, connector, book, batch, now)))
        slots.append([])

    def write(jobs: list[_Job]) -> None:
        for job in jobs:
            slots[job.slot] = job.results()

    with ThreadPoolExecutor(max_workers=max(1, len(writes)), thread_name_prefix="okrsync-publish") as pool:
        list(pool.map(write, writes.values()))
    return [result for slot in slots for result in slot]


@dataclass(frozen=True)
class _Job:
    """One write to a tool: where its results go in the run's list, the (KR, target) pairs it covers."""

    slot: int
    targets: list[tuple[str, str]]
    run: Callable[[], list[PublishResult]]

    def results(self) -> list[PublishResult]:
        """What the write did; an unforeseen error (a bug, the store gone) fails its KRs, not the others'."""
        try:
            return self.run()
        except Exception as error:  # noqa: BLE001
            failure = unexpected(error)
            return [PublishResult(kr, key, "failed", f"{failure.error_class}: {failure}") for kr, key in self.targets]


def _hash_for(connector: Connector | ConnectorError | None, update: ProgressUpdate) -> str:
    if isinstance(connector, SheetsConnector):
        return sheet_hash(update)
    if isinstance(connector, GitHubConnector):
        return content_hash(render_github(update))
    return content_hash(render_jira(update))


def _preview(connector: Connector | ConnectorError | None, update: ProgressUpdate) -> str:
    """One line of what would be written."""
    if isinstance(connector, SheetsConnector):
        return repr(sheet_row(update, "<now>"))
    return f"{update.kr_id}: {update.value:g} ({STATUS_LABEL[update.status]})" if update.value is not None else update.kr_id


class PublicationBook:
    """What the store says was last published for each KR and target (nothing, without a store)."""

    def __init__(self, engine: sa.Engine | None, cycle_id: int | None, run_id: int | None):
        self._engine, self._cycle_id, self._run_id = engine, cycle_id, run_id
        self._one_at_a_time = threading.Lock()  # the publishing threads share it (an in-memory store is one connection)

    def last(self, kr_key: str, target: str) -> tuple[str | None, str] | None:
        """(external reference, content hash) of the last publication, if any."""
        if self._engine is None or self._cycle_id is None:
            return None
        with self._one_at_a_time, db.transaction(self._engine) as session:
            kr = runs.key_results_by_key(session, self._cycle_id).get(kr_key)
            row = runs.publication(session, kr.id, target) if kr else None
            return (row.external_ref, row.content_hash) if row else None

    def remember(self, kr_key: str, target: str, external_ref: str | None, body_hash: str) -> None:
        """Record a publication as soon as it is written (a crash later loses nothing)."""
        if self._engine is None or self._cycle_id is None:
            return
        with self._one_at_a_time, db.transaction(self._engine) as session:
            kr = runs.key_results_by_key(session, self._cycle_id)[kr_key]
            runs.record_publication(session, kr.id, target, external_ref, body_hash, self._run_id)


def _publish_comment(connector: JiraConnector | GitHubConnector, book: PublicationBook, kr_key: str,
                     target: schema.PublishTarget, update: ProgressUpdate, body_hash: str,
                     last: tuple[str | None, str] | None) -> list[PublishResult]:
    key = target_key(target)
    render: Callable[[ProgressUpdate], str] = render_github if isinstance(connector, GitHubConnector) else render_jira
    try:
        comment_id, written = connector.upsert_comment(str(target.issue), update.marker, render(update), last[0] if last else None)
        if isinstance(connector, JiraConnector) and target.field and update.value is not None:
            connector.set_number_field(str(target.issue), target.field, update.value)
    except ConnectorError as error:
        return [PublishResult(kr_key, key, "failed", f"{error.error_class}: {error}")]
    book.remember(kr_key, key, comment_id, body_hash)
    return [PublishResult(kr_key, key, "created_or_updated" if written else "unchanged")]


def _publish_sheet(connector: SheetsConnector, book: PublicationBook,
                   batch: list[tuple[str, schema.PublishTarget, ProgressUpdate, str]], now: dt.datetime) -> list[PublishResult]:
    stamp = now.strftime("%Y-%m-%d %H:%M UTC")
    try:
        connector.write([(str(target.range), sheet_row(update, stamp)) for _, target, update, _ in batch])
    except ConnectorError as error:
        return [PublishResult(kr, target_key(target), "failed", f"{error.error_class}: {error}") for kr, target, _, _ in batch]
    for kr, target, _, body_hash in batch:
        book.remember(kr, target_key(target), str(target.range), body_hash)
    return [PublishResult(kr, target_key(target), "created_or_updated") for kr, target, _, _ in batch]
