"""Sync runs: recording a run's values and outcomes in one transaction, publications, the HTTP cache."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from okr_store import models
from okr_store.models import utcnow


@dataclass(frozen=True)
class KROutcome:
    """How one KR went in a run: a value with its provenance, or a classified failure."""

    kr_key: str
    status: str  # ok | failed
    value: float | None = None
    source: str | None = None
    query: str | None = None
    rule_hash: str | None = None
    evidence: dict[str, Any] | None = None
    requests: int = 0
    fetched_at: dt.datetime | None = None
    error_class: str | None = None
    message: str | None = None


@dataclass
class RunRecord:
    trigger: str
    started_at: dt.datetime
    finished_at: dt.datetime
    status: str  # success | partial | failed
    config_hash: str | None
    # per source: {"type", "requests", "not_modified", "ok", "failed", "error_class", "error", "rate_remaining"}
    sources: dict[str, dict[str, Any]] = field(default_factory=dict)
    error: str | None = None


def record_run(session: Session, cycle_id: int, run: RunRecord, outcomes: list[KROutcome]) -> models.SyncRun:
    """Append the run, each KR's new measurement and each outcome; a failed KR keeps its last value."""
    row = models.SyncRun(
        started_at=run.started_at, finished_at=run.finished_at, status=run.status, trigger=run.trigger,
        config_hash=run.config_hash, requests=run.sources, error=run.error,
    )
    session.add(row)
    session.flush()
    krs = key_results_by_key(session, cycle_id)
    for outcome in outcomes:
        kr = krs[outcome.kr_key]
        measurement = None
        if outcome.status == "ok" and outcome.value is not None:
            measurement = models.Measurement(
                key_result_id=kr.id, value=outcome.value, measured_at=outcome.fetched_at or run.finished_at,
                source=outcome.source or "", query=outcome.query, rule_hash=outcome.rule_hash,
                evidence=outcome.evidence, request_count=outcome.requests, run_id=row.id,
            )
            session.add(measurement)
            session.flush()
        session.add(models.FetchOutcome(
            run_id=row.id, key_result_id=kr.id, status=outcome.status, error_class=outcome.error_class,
            message=outcome.message, measurement_id=measurement.id if measurement else None,
        ))
    session.flush()
    return row


def key_results_by_key(session: Session, cycle_id: int) -> dict[str, models.KeyResult]:
    return {kr.key: kr for kr in session.scalars(sa.select(models.KeyResult).where(models.KeyResult.cycle_id == cycle_id))}


def publication(session: Session, kr_id: int, target: str) -> models.Publication | None:
    return session.scalar(
        sa.select(models.Publication).where(models.Publication.key_result_id == kr_id, models.Publication.target == target)
    )


def record_publication(session: Session, kr_id: int, target: str, external_ref: str | None, content_hash: str, run_id: int | None) -> None:
    """Remember what was last published for a KR to a target (one row per pair, updated in place)."""
    row = publication(session, kr_id, target)
    if row is None:
        row = models.Publication(key_result_id=kr_id, target=target)
        session.add(row)
    row.external_ref, row.content_hash, row.run_id, row.published_at = external_ref, content_hash, run_id, utcnow()
    session.flush()


def load_http_cache(session: Session, source: str) -> dict[str, dict[str, Any]]:
    rows = session.scalars(sa.select(models.HttpCacheEntry).where(models.HttpCacheEntry.source == source))
    return {row.key: row.value for row in rows}


def save_http_cache(session: Session, source: str, cache: Mapping[str, dict[str, Any]]) -> None:
    """Store the entries that are new or changed."""
    existing = {row.key: row for row in session.scalars(sa.select(models.HttpCacheEntry).where(models.HttpCacheEntry.source == source))}
    for key, value in cache.items():
        row = existing.get(key)
        if row is None:
            session.add(models.HttpCacheEntry(source=source, key=key, key_hash=hashlib.sha256(key.encode()).hexdigest(), value=value))
        elif row.value != value:
            row.value = value
    session.flush()
