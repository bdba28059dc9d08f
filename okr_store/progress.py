"""The progress read model: every objective and KR of a cycle, scored, with history, forecast, roll-ups
and what changed. Reports render it in text, Markdown, HTML and JSON; none computes its own numbers.
docs/reports.md documents its JSON form.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from pydantic import TypeAdapter
from sqlalchemy.orm import Session

from okr_store import models, scoring
from okr_store.history import DayValue, daily_history, forecast, values_at
from okr_store.latest import latest_per_kr
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
    history: list[DayValue] = field(default_factory=list)  # the last value of each day of the cycle
    forecast: float | None = None  # straight-line value at the cycle's end, from the history
    forecast_progress: float | None = None


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
    depth: int = 0  # in the alignment tree: 0 for a root, 1 for its children...


@dataclass(frozen=True)
class OwnerRollup:
    owner: str
    objectives: int
    progress: float | None  # mean of the owner's objectives, weighted by their weights
    status_counts: dict[str, int]  # of the owner's KRs


@dataclass(frozen=True)
class Change:
    """A KR whose value or status moved since the report's `since`."""

    id: str
    title: str
    unit: str | None
    old_value: float | None
    new_value: float | None
    old_status: Status
    new_status: Status


@dataclass(frozen=True)
class ProgressReport:
    cycle: str
    cycle_start: dt.date
    cycle_end: dt.date
    generated_at: dt.datetime
    expected_pace: float
    objectives: list[ObjectiveProgress]  # in alignment-tree order (children under their parent)
    owners: list[OwnerRollup] = field(default_factory=list)
    status_counts: dict[str, int] = field(default_factory=dict)  # of all KRs
    since: dt.datetime | None = None
    changes: list[Change] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """Plain JSON data (dates as ISO 8601 strings); docs/reports.md documents it."""
        return _AS_JSON.dump_python(self, mode="json")


_AS_JSON = TypeAdapter(ProgressReport)


@dataclass(frozen=True)
class _Context:
    pace: float
    thresholds: Thresholds
    cycle_end: dt.date


def build_progress(
    session: Session,
    cycle_name: str,
    at: dt.datetime,
    thresholds: Thresholds = Thresholds(),
    since: dt.datetime | None = None,
    with_history: bool = False,
) -> ProgressReport:
    """Score every active objective and KR of the cycle as of `at`; with `since`, list what changed
    since then; with `with_history`, add each KR's daily history and end-of-cycle forecast."""
    cycle = session.scalar(sa.select(models.Cycle).where(models.Cycle.name == cycle_name))
    if cycle is None:
        raise LookupError(f"no cycle {cycle_name!r} in the store")
    context = _Context(scoring.expected_pace(cycle.start_date, cycle.end_date, cycle.timezone, at), thresholds, cycle.end_date)
    objectives = session.scalars(
        sa.select(models.Objective)
        .where(models.Objective.cycle_id == cycle.id, models.Objective.archived_at.is_(None))
        .order_by(models.Objective.position)
    ).all()
    krs = session.scalars(
        sa.select(models.KeyResult)
        .where(models.KeyResult.cycle_id == cycle.id, models.KeyResult.archived_at.is_(None))
        .order_by(models.KeyResult.position)
    ).all()
    krs_by_objective: dict[int, list[models.KeyResult]] = {}
    for kr in krs:
        krs_by_objective.setdefault(kr.objective_id, []).append(kr)
    ids = [kr.id for kr in krs]
    latest = latest_per_kr(session, models.Measurement, models.Measurement.measured_at, ids, until=at)
    checkins = latest_per_kr(session, models.CheckIn, models.CheckIn.created_at, ids, until=at)
    history = daily_history(session, ids, cycle.start_date, at, cycle.timezone) if with_history else {}
    scored = []
    for objective, depth in _alignment_order(objectives):
        key_results = [
            _score_kr(kr, objective.kind, latest.get(kr.id), checkins.get(kr.id), history.get(kr.id, []), context)
            for kr in krs_by_objective.get(objective.id, [])
        ]
        scored.append(_score_objective(objective, key_results, depth, context))
    changes = _changes(session, cycle, scored, krs, since, thresholds) if since else []
    all_krs = [kr for objective in scored for kr in objective.key_results]
    return ProgressReport(
        cycle.name, cycle.start_date, cycle.end_date, at, context.pace, scored, _owner_rollups(scored, objectives),
        dict(Counter(kr.status for kr in all_krs)), since, changes,
    )


def _alignment_order(objectives: list[models.Objective]) -> list[tuple[models.Objective, int]]:
    """Objectives depth-first, children under their parent; a parent defined elsewhere makes a root."""
    keys = {o.key for o in objectives}
    children: dict[str | None, list[models.Objective]] = {}
    for objective in objectives:
        parent = objective.parent_key if objective.parent_key in keys and objective.parent_key != objective.key else None
        children.setdefault(parent, []).append(objective)
    ordered: list[tuple[models.Objective, int]] = []
    seen: set[str] = set()

    def visit(objective: models.Objective, depth: int) -> None:
        if objective.key in seen:  # a cycle of parents: show each objective once
            return
        seen.add(objective.key)
        ordered.append((objective, depth))
        for child in children.get(objective.key, []):
            visit(child, depth + 1)

    for root in children.get(None, []):
        visit(root, 0)
    for objective in objectives:  # objectives only reachable through a cycle of parents
        visit(objective, 0)
    return ordered


def _score_objective(objective: models.Objective, key_results: list[KRProgress], depth: int, context: _Context) -> ObjectiveProgress:
    value = scoring.weighted_progress((kr.weight, kr.progress) for kr in key_results)
    return ObjectiveProgress(
        id=objective.key, title=objective.title, owner=objective.owner, parent=objective.parent_key, kind=objective.kind,
        progress=value, score=None if value is None else scoring.grade(value),
        expected_progress=scoring.expected_progress(context.pace, objective.kind, context.thresholds),
        status=scoring.status("increase", value, context.pace, objective.kind, context.thresholds),
        key_results=key_results, depth=depth,
    )


def _score_kr(kr: models.KeyResult, kind: str, measurement: models.Measurement | None, checkin: models.CheckIn | None,
              history: list[DayValue], context: _Context) -> KRProgress:
    value = measurement.value if measurement else None
    kr_progress = None if value is None else scoring.progress(kr.direction, kr.start_value, kr.target_value, value)
    predicted = forecast(history, context.cycle_end)
    return KRProgress(
        id=kr.key, title=kr.title, direction=kr.direction, start=kr.start_value, target=kr.target_value, unit=kr.unit,
        weight=kr.weight, value=value,
        measured_at=measurement.measured_at if measurement else None,
        source=measurement.source if measurement else None,
        progress=kr_progress, score=None if kr_progress is None else scoring.grade(kr_progress),
        expected_progress=scoring.expected_progress(context.pace, kind, context.thresholds),
        status=scoring.status(kr.direction, kr_progress, context.pace, kind, context.thresholds),
        confidence=checkin.confidence if checkin else None,
        note=checkin.note if checkin else None,
        history=history, forecast=predicted,
        forecast_progress=None if predicted is None else scoring.progress(kr.direction, kr.start_value, kr.target_value, predicted),
    )


def _owner_rollups(scored: list[ObjectiveProgress], objectives: list[models.Objective]) -> list[OwnerRollup]:
    weights = {o.key: o.weight for o in objectives}
    by_owner: dict[str, list[ObjectiveProgress]] = {}
    for objective in scored:
        by_owner.setdefault(objective.owner or "(no owner)", []).append(objective)
    return [
        OwnerRollup(
            owner, len(owned),
            scoring.weighted_progress((weights[o.id], o.progress) for o in owned),
            dict(Counter(kr.status for o in owned for kr in o.key_results)),
        )
        for owner, owned in sorted(by_owner.items())
    ]


def _changes(session: Session, cycle: models.Cycle, scored: list[ObjectiveProgress], krs: list[models.KeyResult],
             since: dt.datetime, thresholds: Thresholds) -> list[Change]:
    """KRs whose value or status differs from what they were at `since`."""
    ids = {kr.key: kr.id for kr in krs}
    before = values_at(session, list(ids.values()), since)
    then_pace = scoring.expected_pace(cycle.start_date, cycle.end_date, cycle.timezone, since)
    changes = []
    for objective in scored:
        for kr in objective.key_results:
            old = before.get(ids[kr.id])
            old_progress = None if old is None else scoring.progress(kr.direction, kr.start, kr.target, old)
            old_status = scoring.status(kr.direction, old_progress, then_pace, objective.kind, thresholds)
            if old != kr.value or old_status != kr.status:
                changes.append(Change(kr.id, kr.title, kr.unit, old, kr.value, old_status, kr.status))
    return changes
