"""The progress read model: every objective and KR of a cycle, scored. Reports render it; none computes."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from okr_store import models, scoring
from okr_store.latest import latest_per_kr, to_jsonable
from okr_store.scoring import Status, Thresholds


@dataclass(frozen=True)
class KRProgress:
    id: str
    title: str
    direction: str
    start: float
    target: float
    unit: str | None
    weight: float
    value: float | None
    measured_at: dt.datetime | None
    source: str | None
    progress: float | None
    score: float | None
    expected_progress: float
    status: Status
    confidence: int | None
    note: str | None


@dataclass(frozen=True)
class ObjectiveProgress:
    id: str
    title: str
    owner: str | None
    parent: str | None
    kind: str
    progress: float | None
    score: float | None
    expected_progress: float
    status: Status
    key_results: list[KRProgress] = field(default_factory=list)


@dataclass(frozen=True)
class ProgressReport:
    cycle: str
    cycle_start: dt.date
    cycle_end: dt.date
    generated_at: dt.datetime
    expected_pace: float
    objectives: list[ObjectiveProgress]

    def to_json(self) -> dict[str, Any]:
        """Plain JSON data (dates as ISO 8601 strings); docs/report-json.md documents it."""
        return to_jsonable(asdict(self))


def build_progress(session: Session, cycle_name: str, at: dt.datetime, thresholds: Thresholds = Thresholds()) -> ProgressReport:
    """Score every active objective and KR of the cycle as of `at`."""
    cycle = session.scalar(sa.select(models.Cycle).where(models.Cycle.name == cycle_name))
    if cycle is None:
        raise LookupError(f"no cycle {cycle_name!r} in the store")
    pace = scoring.expected_pace(cycle.start_date, cycle.end_date, cycle.timezone, at)
    objectives = session.scalars(
        sa.select(models.Objective)
        .where(models.Objective.cycle_id == cycle.id, models.Objective.archived_at.is_(None))
        .order_by(models.Objective.position)
    ).all()
    krs_by_objective: dict[int, list[models.KeyResult]] = {}
    krs = session.scalars(
        sa.select(models.KeyResult)
        .where(models.KeyResult.cycle_id == cycle.id, models.KeyResult.archived_at.is_(None))
        .order_by(models.KeyResult.position)
    ).all()
    for kr in krs:
        krs_by_objective.setdefault(kr.objective_id, []).append(kr)
    ids = [kr.id for kr in krs]
    latest = latest_per_kr(session, models.Measurement, models.Measurement.measured_at, ids, until=at)
    checkins = latest_per_kr(session, models.CheckIn, models.CheckIn.created_at, ids, until=at)
    scored = [
        _score_objective(objective, krs_by_objective.get(objective.id, []), latest, checkins, pace, thresholds)
        for objective in objectives
    ]
    return ProgressReport(cycle.name, cycle.start_date, cycle.end_date, at, pace, scored)


def _score_objective(objective, krs, latest, checkins, pace: float, thresholds: Thresholds) -> ObjectiveProgress:  # noqa: ANN001
    key_results = [_score_kr(kr, objective.kind, latest.get(kr.id), checkins.get(kr.id), pace, thresholds) for kr in krs]
    value = scoring.weighted_progress((kr.weight, kr.progress) for kr in key_results)
    return ObjectiveProgress(
        id=objective.key, title=objective.title, owner=objective.owner, parent=objective.parent_key, kind=objective.kind,
        progress=value, score=None if value is None else scoring.grade(value),
        expected_progress=scoring.expected_progress(pace, objective.kind, thresholds),
        status=scoring.status("increase", value, pace, objective.kind, thresholds),
        key_results=key_results,
    )


def _score_kr(kr: models.KeyResult, kind: str, measurement, checkin, pace: float, thresholds: Thresholds) -> KRProgress:  # noqa: ANN001
    value = measurement.value if measurement else None
    kr_progress = None if value is None else scoring.progress(kr.direction, kr.start_value, kr.target_value, value)
    return KRProgress(
        id=kr.key, title=kr.title, direction=kr.direction, start=kr.start_value, target=kr.target_value, unit=kr.unit,
        weight=kr.weight, value=value,
        measured_at=measurement.measured_at if measurement else None,
        source=measurement.source if measurement else None,
        progress=kr_progress, score=None if kr_progress is None else scoring.grade(kr_progress),
        expected_progress=scoring.expected_progress(pace, kind, thresholds),
        status=scoring.status(kr.direction, kr_progress, pace, kind, thresholds),
        confidence=checkin.confidence if checkin else None,
        note=checkin.note if checkin else None,
    )
