"""Fetching: check each source once, then run the planned queries, each a Prefect task.

Tasks never raise for a tool's failure: they return the classified error, so one failing query never
stops the others and each KR can say why it failed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE

from connectors.errors import ConnectorError
from connectors.github import GitHubConnector
from connectors.jira import JiraConnector
from connectors.reading import Reading
from connectors.sheets import CellRead, SheetsConnector
from flows.connect import Connector, unexpected
from flows.progress import ProgressBoard
from flows.throttle import Throttle
from mapping.plan import SourceQuery

Outcome = Reading | ConnectorError


@dataclass(frozen=True)
class SourceFacts:
    """What a source's check found: the Jira user's time zone matters for dates in JQL."""

    timezone: str | None = None


@task(name="check-source", cache_policy=NO_CACHE)
def check_source(name: str, connector: Connector) -> SourceFacts | ConnectorError:
    """Check a source's credentials once, so an expired token is one clear error, not N."""
    try:
        if isinstance(connector, JiraConnector):
            return SourceFacts(timezone=connector.check().timezone)
        connector.check()
        return SourceFacts()
    except ConnectorError as error:
        return error
    except Exception as error:  # noqa: BLE001
        return unexpected(error)


@task(name="fetch-query", cache_policy=NO_CACHE)
def fetch_query(query: SourceQuery, connector: Connector, throttle: Throttle, board: ProgressBoard) -> Outcome:
    """Run one Jira count or GitHub query within the source's limits."""
    with throttle.slot(on_wait=lambda seconds: board.waiting(query.source, seconds)):
        outcome = _guarded(lambda: _read(query, connector))
    board.done(query.source, 1)
    return outcome


@task(name="fetch-jira-fields", cache_policy=NO_CACHE)
def fetch_jira_fields(queries: list[SourceQuery], connector: JiraConnector, throttle: Throttle, board: ProgressBoard) -> list[Outcome]:
    """Every sum and average over one JQL query, from one read of its issues."""
    wanted = [(str(q.field), q.kind) for q in queries]
    with throttle.slot(on_wait=lambda seconds: board.waiting(queries[0].source, seconds)):
        outcomes = _guarded(lambda: connector.field_aggregates(queries[0].query, wanted))
    board.done(queries[0].source, len(queries))
    return outcomes if isinstance(outcomes, list) else [outcomes for _ in queries]


@task(name="fetch-sheet", cache_policy=NO_CACHE)
def fetch_sheet(queries: list[SourceQuery], connector: SheetsConnector, throttle: Throttle, board: ProgressBoard) -> list[Outcome]:
    """Read every cell and range of one spreadsheet in one batch."""
    reads = [CellRead(q.query, q.agg if q.kind == "range" else None) for q in queries]
    with throttle.slot(on_wait=lambda seconds: board.waiting(queries[0].source, seconds)):
        try:
            outcomes = connector.read(reads)
        except Exception as error:  # noqa: BLE001
            outcomes = [unexpected(error) for _ in reads]
    board.done(queries[0].source, len(queries))
    return outcomes


def _read(query: SourceQuery, connector: Connector) -> Reading:
    if isinstance(connector, JiraConnector) and query.kind == "count":
        return connector.count(query.query, approximate=query.approximate)
    if isinstance(connector, GitHubConnector):
        if query.kind == "count":
            return connector.count(query.query)
        return connector.milestone_progress(str(query.repo), query.query)
    raise TypeError(f"{query.kind} queries are not read one by one")


def _guarded(read: Callable[[], Any]) -> Outcome:
    try:
        return read()
    except ConnectorError as error:
        return error
    except Exception as error:  # noqa: BLE001
        return unexpected(error)
