"""The sync flow: configuration -> store definitions -> planned fetches -> rules -> store -> publish -> report.

One KR failing (any error class) never stops the others; the run ends success, partial or failed. A
store-level lock keeps two syncs against one store from both publishing. `dry_run` fetches and
evaluates but writes nothing to the store or any tool.
"""

from __future__ import annotations

import hashlib
import os
from collections import defaultdict
from functools import partial
from itertools import zip_longest
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from prefect import flow
from prefect.task_runners import ThreadPoolTaskRunner

from connectors.errors import ConnectorError
from connectors.github import GitHubConnector
from connectors.jira import JiraConnector
from connectors.reading import Reading
from connectors.sheets import SheetsConnector
from flows import fetching
from flows.connect import Connector, source_limits, try_build
from flows.evaluate import evaluate_plan
from flows.progress import ProgressBoard
from flows.publish import PublicationBook, PublishResult, publish_changes
from flows.run_report import (
    RunDocument,
    attach_artifacts,
    build_document,
    summarize_sources,
)
from flows.throttle import Throttle
from mapping import schema
from mapping.checks import used_sources
from mapping.loader import LoadedConfig, load_config
from mapping.placeholders import cycle_window, render_github_query, render_jql
from mapping.plan import SourceQuery, SyncPlan, plan_sync
from okr_store import db, definitions, runs, scoring
from okr_store.lock import sync_lock
from okr_store.models import utcnow
from okr_store.progress import build_progress
from okr_store.runs import KROutcome, RunRecord
from okr_store.url import store_url_for

BOARD = ProgressBoard()  # the command line reads it for live progress


@flow(name="okrsync-sync", task_runner=ThreadPoolTaskRunner(max_workers=16), log_prints=False, validate_parameters=False)
def sync_flow(
    config_path: str = "okrsync.yaml",
    dry_run: bool = False,
    only: list[str] | None = None,
    publish: bool = True,
    trigger: str = "manual",
) -> dict[str, Any]:
    """Sync every KR of the configuration (or `only` these) and return the run document.

    The store is found as everywhere else (OKRSYNC_STORE, else the file's `store:`); it is never a
    parameter, so a password in its URL never reaches Prefect's records.
    """
    loaded = load_config(Path(config_path), os.environ)
    engine = db.create_store_engine(store_url_for(loaded, None, os.environ))
    try:
        if dry_run:  # a store without okrsync's schema reads as empty; nothing is created
            readable = db.current_revision(engine) == db.head_revision()
            document = _sync(loaded, engine if readable else None, dry_run=True, only=only, publish=publish, trigger=trigger)
        else:
            db.ensure_current(engine)
            with sync_lock(engine):
                document = _sync(loaded, engine, dry_run=False, only=only, publish=publish, trigger=trigger)
        attach_artifacts(document)
        return document.to_json()
    finally:
        engine.dispose()


def _sync(loaded: LoadedConfig, engine: sa.Engine | None, *, dry_run: bool, only: list[str] | None, publish: bool, trigger: str) -> RunDocument:
    config = loaded.config
    started = utcnow()
    BOARD.stage = "checking sources"
    cycle_id = None
    stored: dict[str, float] = {}
    caches: dict[str, dict[str, Any]] = {}
    if engine is not None:
        with db.transaction(engine) as session:
            if not dry_run:
                defined_in = {o.id: str(loaded.file_of(("objectives", i))) for i, o in enumerate(config.objectives)}
                definitions.apply_config(session, config, defined_in)
            cycle = _cycle_or_none(session, config.cycle.name)
            if cycle is not None:
                cycle_id = cycle.id
                progress = build_progress(session, config.cycle.name, started)
                stored = {kr.id: kr.value for o in progress.objectives for kr in o.key_results if kr.value is not None}
            caches = {name: runs.load_http_cache(session, name) for name, s in config.sources.items() if s.type == "github"}

    connectors = {name: try_build(config.sources[name], cache=caches.get(name)) for name in sorted(used_sources(config))}
    facts = _check_sources(connectors)
    window = cycle_window(config.cycle)

    def render(source: str, text: str) -> str:
        source_type = config.sources[source].type
        if source_type == "jira":
            fact = facts.get(source)
            return render_jql(text, window, fact.timezone if isinstance(fact, fetching.SourceFacts) else None)
        if source_type == "github":
            return render_github_query(text, window)
        return text

    plan = plan_sync(config, render, only)
    BOARD.stage = "fetching"
    fetched = _fetch(plan, connectors, facts, config)
    outcomes = evaluate_plan(config, plan, fetched, stored, render)
    finished = utcnow()
    status = _status(outcomes)
    sources = summarize_sources(config, plan, connectors, fetched)
    record = RunRecord(trigger, started, finished, status, _config_hash(loaded), sources)

    run_id = None
    if not dry_run and cycle_id is not None:
        BOARD.stage = "writing"
        with db.transaction(engine) as session:
            run_id = runs.record_run(session, cycle_id, record, outcomes).id
            for name, connector in connectors.items():
                if isinstance(connector, GitHubConnector):
                    runs.save_http_cache(session, name, connector.cache)

    published: list[PublishResult] = []
    if publish:
        BOARD.stage = "publishing"
        pace = scoring.expected_pace(config.cycle.start, config.cycle.end, config.cycle.timezone, finished)
        book = PublicationBook(engine, cycle_id, run_id)
        published = publish_changes(config, outcomes, connectors, book, pace, dry_run, finished)
        if any(p.action == "failed" for p in published) and status == "success":
            record.status = "partial"
    BOARD.stage = "done"
    return build_document(config, record, run_id, dry_run, plan, outcomes, stored, published, connectors)


def _cycle_or_none(session: Any, name: str) -> Any:
    try:
        return definitions.current_cycle(session, name)
    except LookupError:
        return None


def _check_sources(connectors: dict[str, Connector | ConnectorError]) -> dict[str, fetching.SourceFacts | ConnectorError]:
    futures = {name: fetching.check_source.submit(name, c) for name, c in connectors.items() if not isinstance(c, ConnectorError)}
    facts: dict[str, fetching.SourceFacts | ConnectorError] = {n: c for n, c in connectors.items() if isinstance(c, ConnectorError)}
    facts.update({name: future.result() for name, future in futures.items()})
    return facts


def _fetch(plan: SyncPlan, connectors: dict[str, Connector | ConnectorError],
           facts: dict[str, fetching.SourceFacts | ConnectorError], config: schema.Config) -> dict[SourceQuery, Reading | ConnectorError]:
    by_source: dict[str, list[SourceQuery]] = defaultdict(list)
    for query in plan.queries:
        by_source[query.source].append(query)
    fetched: dict[SourceQuery, Reading | ConnectorError] = {}
    submissions: dict[str, list[tuple[list[SourceQuery], Any]]] = {}
    for source, queries in by_source.items():
        BOARD.expect(source, len(queries))
        problem = facts.get(source)
        connector = connectors.get(source)
        if isinstance(problem, ConnectorError) or connector is None or isinstance(connector, ConnectorError):
            error = problem if isinstance(problem, ConnectorError) else connector
            fetched.update({q: error for q in queries})  # type: ignore[misc]
            BOARD.done(source, len(queries))
            continue
        submissions[source] = _fetch_tasks(queries, connector, Throttle(source_limits(config.sources[source])))
    # Submit the sources' queries in turn, so that one source's limits never hold up another's queue.
    futures = [(queries, submit()) for batch in zip_longest(*submissions.values()) for queries, submit in filter(None, batch)]
    for queries, future in futures:
        result = future.result()
        results = result if isinstance(result, list) else [result]
        fetched.update(zip(queries, results, strict=True))
    return fetched


def _fetch_tasks(queries: list[SourceQuery], connector: Connector, throttle: Throttle) -> list[tuple[list[SourceQuery], Any]]:
    """One source's fetch tasks, each with the queries it answers, ready to submit: a spreadsheet's cells
    and ranges in one batch; Jira's sums and averages over the same JQL from one read of its issues; any
    other query alone."""
    if isinstance(connector, SheetsConnector):
        return [(queries, partial(fetching.fetch_sheet.submit, queries, connector, throttle, BOARD))]
    tasks = []
    if isinstance(connector, JiraConnector):
        by_jql: dict[str, list[SourceQuery]] = defaultdict(list)
        for query in queries:
            if query.kind in ("sum", "avg"):
                by_jql[query.query].append(query)
        tasks = [(group, partial(fetching.fetch_jira_fields.submit, group, connector, throttle, BOARD)) for group in by_jql.values()]
        queries = [q for q in queries if q.kind not in ("sum", "avg")]
    return tasks + [([q], partial(fetching.fetch_query.submit, q, connector, throttle, BOARD)) for q in queries]


def _status(outcomes: list[KROutcome]) -> str:
    failed = sum(o.status == "failed" for o in outcomes)
    if failed == 0:
        return "success"
    return "failed" if failed == len(outcomes) else "partial"


def _config_hash(loaded: LoadedConfig) -> str:
    digest = hashlib.sha256()
    for file in loaded.files:
        digest.update(file.read_bytes())
    return digest.hexdigest()
