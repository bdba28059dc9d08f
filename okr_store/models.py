"""The OKR store's tables (SQLAlchemy 2 typed models). Schema changes go through Alembic."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A timezone-aware UTC timestamp on every backend (SQLite keeps no zone of its own)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: sa.Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; use an aware UTC time")
        return value.astimezone(dt.UTC)

    def process_result_value(self, value: dt.datetime | None, dialect: sa.Dialect) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {dt.datetime: UTCDateTime, dict[str, Any]: sa.JSON}


class Cycle(Base):
    __tablename__ = "cycles"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(64), unique=True)
    start_date: Mapped[dt.date]
    end_date: Mapped[dt.date]
    timezone: Mapped[str] = mapped_column(sa.String(64), default="UTC")


class Objective(Base):
    __tablename__ = "objectives"
    __table_args__ = (sa.UniqueConstraint("cycle_id", "key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(sa.ForeignKey("cycles.id"), index=True)
    key: Mapped[str] = mapped_column(sa.String(64))
    title: Mapped[str] = mapped_column(sa.String(500))
    owner: Mapped[str | None] = mapped_column(sa.String(200))
    parent_key: Mapped[str | None] = mapped_column(sa.String(64))
    kind: Mapped[str] = mapped_column(sa.String(20))
    weight: Mapped[float] = mapped_column(sa.Float, default=1.0)
    position: Mapped[int] = mapped_column(default=0)
    defined_in: Mapped[str | None] = mapped_column(sa.String(500))
    archived_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    cycle: Mapped[Cycle] = relationship()
    key_results: Mapped[list[KeyResult]] = relationship(back_populates="objective", order_by="KeyResult.position")


class KeyResult(Base):
    __tablename__ = "key_results"
    __table_args__ = (sa.UniqueConstraint("cycle_id", "key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(sa.ForeignKey("cycles.id"), index=True)
    objective_id: Mapped[int] = mapped_column(sa.ForeignKey("objectives.id"), index=True)
    key: Mapped[str] = mapped_column(sa.String(64))
    title: Mapped[str] = mapped_column(sa.String(500))
    direction: Mapped[str] = mapped_column(sa.String(20))
    start_value: Mapped[float] = mapped_column(sa.Float)
    target_value: Mapped[float] = mapped_column(sa.Float)
    unit: Mapped[str | None] = mapped_column(sa.String(20))
    weight: Mapped[float] = mapped_column(sa.Float, default=1.0)
    position: Mapped[int] = mapped_column(default=0)
    metric: Mapped[dict[str, Any] | None]
    rule_hash: Mapped[str | None] = mapped_column(sa.String(64))
    archived_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    objective: Mapped[Objective] = relationship(back_populates="key_results")


class SyncRun(Base):
    __tablename__ = "sync_runs"
    id: Mapped[int] = mapped_column(primary_key=True)
    started_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[dt.datetime | None]
    status: Mapped[str] = mapped_column(sa.String(20), default="running")  # running|success|partial|failed
    trigger: Mapped[str] = mapped_column(sa.String(50), default="manual")
    config_hash: Mapped[str | None] = mapped_column(sa.String(64))
    # per source: requests spent, 304 answers, KRs ok/failed, the last error class and message
    requests: Mapped[dict[str, Any] | None]
    error: Mapped[str | None] = mapped_column(sa.Text)


class Measurement(Base):
    """One value of a KR with its provenance. Append-only: history is never rewritten."""

    __tablename__ = "measurements"
    __table_args__ = (sa.Index("ix_measurements_kr_time", "key_result_id", "measured_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    key_result_id: Mapped[int] = mapped_column(sa.ForeignKey("key_results.id"))
    value: Mapped[float] = mapped_column(sa.Float)
    measured_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    source: Mapped[str] = mapped_column(sa.String(64))  # a source name, or "checkin"
    query: Mapped[str | None] = mapped_column(sa.Text)
    rule_hash: Mapped[str | None] = mapped_column(sa.String(64))
    evidence: Mapped[dict[str, Any] | None]
    request_count: Mapped[int] = mapped_column(default=0)
    run_id: Mapped[int | None] = mapped_column(sa.ForeignKey("sync_runs.id"), index=True)


class CheckIn(Base):
    """A person's update: a value (kept as a measurement), a confidence and a note."""

    __tablename__ = "checkins"
    id: Mapped[int] = mapped_column(primary_key=True)
    key_result_id: Mapped[int] = mapped_column(sa.ForeignKey("key_results.id"), index=True)
    measurement_id: Mapped[int] = mapped_column(sa.ForeignKey("measurements.id"))
    confidence: Mapped[int | None]
    note: Mapped[str | None] = mapped_column(sa.Text)
    author: Mapped[str | None] = mapped_column(sa.String(200))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    measurement: Mapped[Measurement] = relationship()


class FetchOutcome(Base):
    """How fetching one KR went in one run; a failure keeps the last good value current."""

    __tablename__ = "fetch_outcomes"
    __table_args__ = (sa.UniqueConstraint("run_id", "key_result_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(sa.ForeignKey("sync_runs.id"))
    key_result_id: Mapped[int] = mapped_column(sa.ForeignKey("key_results.id"), index=True)
    status: Mapped[str] = mapped_column(sa.String(20))  # ok | failed | skipped
    error_class: Mapped[str | None] = mapped_column(sa.String(20))  # auth, not_found, bad_query, ...
    message: Mapped[str | None] = mapped_column(sa.Text)
    measurement_id: Mapped[int | None] = mapped_column(sa.ForeignKey("measurements.id"))


class Publication(Base):
    """The last content published for a KR to one target, so unchanged content is never rewritten."""

    __tablename__ = "publications"
    __table_args__ = (sa.UniqueConstraint("key_result_id", "target"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    key_result_id: Mapped[int] = mapped_column(sa.ForeignKey("key_results.id"))
    target: Mapped[str] = mapped_column(sa.String(300))  # e.g. "jira:ONB-1", "gh:acme/okrs#3"
    external_ref: Mapped[str | None] = mapped_column(sa.String(300))  # comment id, range
    content_hash: Mapped[str] = mapped_column(sa.String(64))
    published_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    run_id: Mapped[int | None] = mapped_column(sa.ForeignKey("sync_runs.id"))


class HttpCacheEntry(Base):
    """A cached GET answer and its ETag, so the next run asks conditionally (a 304 costs no rate limit)."""

    __tablename__ = "http_cache"
    __table_args__ = (sa.UniqueConstraint("source", "key_hash"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(sa.String(64))
    key_hash: Mapped[str] = mapped_column(sa.String(64))
    key: Mapped[str] = mapped_column(sa.Text)
    value: Mapped[dict[str, Any]]
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
