"""The sync status read model: recent runs, each source's health, and the KRs that need attention.

A failed or stale KR can never look like a healthy 0: it is listed here with the reason and what to do.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from okr_store import models
from okr_store.latest import latest_per_kr, to_jsonable

# What a person can do about each class of failure.
REMEDIES = {
    "auth": "renew or fix the source's credentials (see the message), then sync again",
    "not_found": "check the issue, repository, milestone or spreadsheet the rule names",
    "bad_query": "fix the query in the configuration; `okrsync sync --dry-run --only KR` tries it",
    "rate_limited": "nothing: the next run retries; sync less often or lower the source's limits if it persists",
    "unavailable": "nothing if it is passing; check the tool's status page if it persists",
    "bad_value": "fix the value in the tool (e.g. the spreadsheet cell) or the rule",
}


@dataclass(frozen=True)
class RunLine:
    id: int
    started_at: dt.datetime
    seconds: float | None
    trigger: str
    status: str
    requests: dict[str, int]


@dataclass(frozen=True)
class SourceHealth:
    name: str
    type: str | None
    last_success: dt.datetime | None
    last_error_class: str | None
    last_error: str | None
    consecutive_failures: int
    rate_remaining: int | None


@dataclass(frozen=True)
class Attention:
    """A KR whose value cannot be trusted as current."""

    id: str
    title: str
    reason: str  # failing | stale | never_measured
    error_class: str | None
    message: str | None
    remedy: str
    value: float | None
    measured_at: dt.datetime | None


@dataclass(frozen=True)
class StatusReport:
    generated_at: dt.datetime
    stale_after: dt.timedelta
    runs: list[RunLine] = field(default_factory=list)
    sources: list[SourceHealth] = field(default_factory=list)
    attention: list[Attention] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        document = asdict(self)
        document["stale_after_hours"] = self.stale_after.total_seconds() / 3600
        del document["stale_after"]
        return to_jsonable(document)


def build_status(session: Session, cycle_name: str, at: dt.datetime, stale_after: dt.timedelta, runs_shown: int = 10) -> StatusReport:
    """Runs newest first, source health over the recent runs, and the KRs that need attention."""
    rows = session.scalars(sa.select(models.SyncRun).order_by(models.SyncRun.started_at.desc(), models.SyncRun.id.desc()).limit(200)).all()
    runs = [
        RunLine(r.id, r.started_at, (r.finished_at - r.started_at).total_seconds() if r.finished_at else None, r.trigger, r.status,
                {name: int(s.get("requests", 0)) for name, s in (r.requests or {}).items() if isinstance(s, dict)})
        for r in rows[:runs_shown]
    ]
    return StatusReport(at, stale_after, runs, _source_health(rows), _attention(session, cycle_name, at, stale_after))


def _source_health(runs: list[models.SyncRun]) -> list[SourceHealth]:
    """Each source's last success and failure streak, read from the runs' per-source summaries (newest first)."""
    health: dict[str, dict[str, Any]] = {}
    for run in runs:
        for name, summary in (run.requests or {}).items():
            if not isinstance(summary, dict):
                continue
            entry = health.setdefault(name, {"type": summary.get("type"), "last_success": None, "last_error_class": None,
                                             "last_error": None, "streak": 0, "streak_open": True,
                                             "rate_remaining": summary.get("rate_remaining")})
            failed = bool(summary.get("error_class"))
            if failed and entry["last_error_class"] is None:
                entry["last_error_class"], entry["last_error"] = summary.get("error_class"), summary.get("error")
            if entry["streak_open"]:
                if failed:
                    entry["streak"] += 1
                else:
                    entry["streak_open"] = False
            if not failed and entry["last_success"] is None:
                entry["last_success"] = run.finished_at or run.started_at
    return [
        SourceHealth(name, e["type"], e["last_success"], e["last_error_class"] if e["streak"] else None,
                     e["last_error"] if e["streak"] else None, e["streak"], e["rate_remaining"])
        for name, e in sorted(health.items())
    ]


def _attention(session: Session, cycle_name: str, at: dt.datetime, stale_after: dt.timedelta) -> list[Attention]:
    cycle = session.scalar(sa.select(models.Cycle).where(models.Cycle.name == cycle_name))
    if cycle is None:
        return []
    krs = session.scalars(
        sa.select(models.KeyResult).where(models.KeyResult.cycle_id == cycle.id, models.KeyResult.archived_at.is_(None))
        .order_by(models.KeyResult.objective_id, models.KeyResult.position)
    ).all()
    ids = [kr.id for kr in krs]
    latest = latest_per_kr(session, models.Measurement, models.Measurement.measured_at, ids)
    outcomes = latest_per_kr(session, models.FetchOutcome, models.FetchOutcome.id, ids)
    result = []
    for kr in krs:
        measurement, outcome = latest.get(kr.id), outcomes.get(kr.id)
        manual = (kr.metric or {}).get("manual") is True or kr.metric is None
        value = measurement.value if measurement else None
        when = measurement.measured_at if measurement else None
        if outcome is not None and outcome.status == "failed":
            result.append(Attention(kr.key, kr.title, "failing", outcome.error_class, outcome.message,
                                    REMEDIES.get(outcome.error_class or "", "see the message"), value, when))
        elif measurement is None:
            remedy = "record a check-in: okrsync checkin" if manual else "run okrsync sync"
            result.append(Attention(kr.key, kr.title, "never_measured", None, None, remedy, None, None))
        elif not manual and at - measurement.measured_at > stale_after:
            result.append(Attention(kr.key, kr.title, "stale", None, f"last measured {measurement.measured_at:%Y-%m-%d %H:%M} UTC",
                                    "check that the scheduled sync runs (okrsync serve, or the Prefect deployment)", value, when))
    return result
