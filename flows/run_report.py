"""The sync status report of one run: a JSON document (`okrsync sync --json`), a Markdown summary and
a KR table (both attached to the flow run as Prefect artifacts). docs/sync-json.md documents the JSON."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from prefect.artifacts import create_markdown_artifact, create_table_artifact

from connectors.errors import ConnectorError
from connectors.github import GitHubConnector
from connectors.publishing import STATUS_LABEL
from connectors.reading import Reading
from flows.connect import Connector
from flows.publish import PublishResult, progress_update
from flows.render_markdown import md
from mapping import schema
from mapping.display import percent, value_with_unit
from mapping.plan import SourceQuery, SyncPlan
from okr_store import scoring
from okr_store.runs import KROutcome, RunRecord


@dataclass(frozen=True)
class KRLine:
    id: str
    title: str
    outcome: str  # ok | failed
    old_value: float | None
    new_value: float | None  # None when the fetch failed: the old value stays current (stale)
    unit: str | None
    progress: float | None
    status: str  # on_track | at_risk | off_track | no_data
    error_class: str | None = None
    message: str | None = None
    source: str | None = None
    query: str | None = None
    requests: int = 0
    evidence: dict[str, Any] | None = None


@dataclass(frozen=True)
class SourceLine:
    name: str
    type: str
    requests: int
    not_modified: int = 0  # GitHub GETs answered 304 (no rate limit spent)
    ok: int = 0  # queries answered
    failed: int = 0
    error_class: str | None = None
    error: str | None = None  # the source-wide problem, or the first failed query's
    rate_remaining: int | None = None


@dataclass
class RunDocument:
    run_id: int | None
    status: str
    dry_run: bool
    trigger: str
    started_at: str
    finished_at: str
    seconds: float
    key_results: list[KRLine] = field(default_factory=list)
    sources: list[SourceLine] = field(default_factory=list)
    published: list[PublishResult] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def counts(self) -> dict[str, int]:
        ok = sum(k.outcome == "ok" for k in self.key_results)
        written = sum(p.action == "created_or_updated" for p in self.published)
        return {"ok": ok, "failed": len(self.key_results) - ok, "published": written}


def build_document(config: schema.Config, record: RunRecord, run_id: int | None, dry_run: bool, plan: SyncPlan,
                   outcomes: list[KROutcome], stored: Mapping[str, float], published: list[PublishResult],
                   connectors: Mapping[str, Connector | ConnectorError]) -> RunDocument:
    thresholds = scoring.Thresholds.of(config.scoring)
    pace = scoring.expected_pace(config.cycle.start, config.cycle.end, config.cycle.timezone, record.finished_at)
    owners = {kr.id: (objective, kr) for objective, kr in config.key_results()}
    lines = []
    for outcome in outcomes:
        objective, kr = owners[outcome.kr_key]
        shown = outcome.value if outcome.status == "ok" else stored.get(kr.id)
        update = progress_update(objective, kr, shown, pace, thresholds, None) if shown is not None else None
        lines.append(KRLine(
            id=kr.id, title=kr.title, outcome=outcome.status, old_value=stored.get(kr.id), new_value=outcome.value,
            unit=kr.unit, progress=update.progress if update else None, status=update.status if update else "no_data",
            error_class=outcome.error_class, message=outcome.message, source=outcome.source, query=outcome.query,
            requests=outcome.requests, evidence=outcome.evidence,
        ))
    sources = [SourceLine(name=name, **summary) for name, summary in record.sources.items()]
    seconds = (record.finished_at - record.started_at).total_seconds()
    return RunDocument(run_id, record.status, dry_run, record.trigger, record.started_at.isoformat(),
                       record.finished_at.isoformat(), round(seconds, 3), lines, sources, published)


def summarize_sources(config: schema.Config, plan: SyncPlan, connectors: Mapping[str, Connector | ConnectorError],
                      fetched: Mapping[SourceQuery, Reading | ConnectorError]) -> dict[str, dict[str, Any]]:
    """Per source: requests spent, 304 answers, queries ok/failed and the error, for the run record."""
    summaries = {}
    for name, connector in connectors.items():
        results = [fetched[q] for q in plan.queries if q.source == name and q in fetched]
        errors = [r for r in results if isinstance(r, ConnectorError)]
        first = connector if isinstance(connector, ConnectorError) else (errors[0] if errors else None)
        live = not isinstance(connector, ConnectorError)
        summaries[name] = {
            "type": config.sources[name].type,
            "requests": connector.counter.total if live else 0,
            "not_modified": connector.conditional_hits if isinstance(connector, GitHubConnector) else 0,
            "ok": len(results) - len(errors), "failed": len(errors),
            "error_class": first.error_class if first else None, "error": str(first) if first else None,
            "rate_remaining": connector.search_remaining if isinstance(connector, GitHubConnector) else None,
        }
    return summaries


def markdown_summary(document: RunDocument) -> str:
    """What a Prefect Markdown artifact (or a GitHub comment) shows of the run."""
    counts = document.counts
    mode = " (dry run: nothing written)" if document.dry_run else ""
    lines = [
        f"## okrsync sync: {document.status}{mode}",
        "",
        f"{counts['ok']} key results refreshed, {counts['failed']} failed, {counts['published']} publications written; "
        f"{document.seconds:.1f} s.",
        "",
        "| source | requests | 304 answers | problem |",
        "|---|---|---|---|",
        *[f"| {s.name} ({s.type}) | {s.requests} | {s.not_modified} | {md(s.error or '')} |" for s in document.sources],
    ]
    failed = [k for k in document.key_results if k.outcome == "failed"]
    if failed:
        lines += ["", "### Not refreshed (the last good value stays, marked stale)", ""]
        lines += [f"- **{md(k.id)}** {md(k.title)}: `{k.error_class}` {md(k.message or '')}" for k in failed]
    return "\n".join(lines)


def table_rows(document: RunDocument) -> list[dict[str, Any]]:
    """One row a KR, for the Prefect table artifact."""
    return [
        {
            "kr": k.id, "title": k.title, "outcome": k.outcome,
            "old": value_with_unit(k.old_value, k.unit), "new": value_with_unit(k.new_value, k.unit),
            "progress": percent(k.progress), "status": STATUS_LABEL[k.status],
            "error": f"{k.error_class}: {k.message}" if k.error_class else "", "requests": k.requests,
        }
        for k in document.key_results
    ]


def attach_artifacts(document: RunDocument) -> None:
    """Attach the report to the current flow run: a KR table and a Markdown summary."""
    create_table_artifact(table_rows(document), key="okrsync-sync-key-results", description="Key results of this sync")
    create_markdown_artifact(markdown_summary(document), key="okrsync-sync-summary", description="okrsync sync status")
