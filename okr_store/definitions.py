"""Bring the store's cycle, objectives and key results up to date with the configuration."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import Session

from mapping import schema
from mapping.rules import rule_document, rule_hash
from okr_store import models
from okr_store.models import utcnow

_Row = TypeVar("_Row", models.Objective, models.KeyResult)
DEFINITIONS_LOCK_KEY = 0x6F6B72736465666E  # "okrsdefn": one transaction at a time brings definitions up to date


@dataclass
class DefinitionChanges:
    """What applying a configuration changed, by id."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    archived: list[str] = field(default_factory=list)
    restored: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.archived or self.restored)


def apply_config(session: Session, config: schema.Config, defined_in: Mapping[str, str] | None = None) -> DefinitionChanges:
    """Create or update the cycle, objectives and KRs; archive (never delete) the ones no longer defined.

    Idempotent: applying the same configuration twice changes nothing the second time.
    `defined_in` maps objective ids to the file that defines them.
    """
    changes = DefinitionChanges()
    if session.get_bind().dialect.name == "postgresql":
        # Two processes (a sync and a report, four workers) applying a new configuration at once would both
        # insert the same rows; the second waits here, then reads what the first committed. (SQLite's
        # BEGIN IMMEDIATE already serializes writers.)
        session.execute(sa.select(sa.func.pg_advisory_xact_lock(DEFINITIONS_LOCK_KEY)))
    cycle = _upsert_cycle(session, config.cycle)
    objectives = {o.key: o for o in session.scalars(sa.select(models.Objective).where(models.Objective.cycle_id == cycle.id))}
    krs = {k.key: k for k in session.scalars(sa.select(models.KeyResult).where(models.KeyResult.cycle_id == cycle.id))}
    now = utcnow()
    for o_position, objective in enumerate(config.objectives):
        row = objectives.pop(objective.id, None) or _created(session, changes, objective.id, models.Objective(cycle_id=cycle.id, key=objective.id))
        _assign(row, changes, objective.id, {
            "title": objective.title, "owner": objective.owner, "parent_key": objective.parent, "kind": objective.kind,
            "weight": objective.weight, "position": o_position, "defined_in": (defined_in or {}).get(objective.id),
        })
        session.flush()
        for k_position, kr in enumerate(objective.key_results):
            kr_row = krs.pop(kr.id, None) or _created(session, changes, kr.id, models.KeyResult(cycle_id=cycle.id, key=kr.id))
            _assign(kr_row, changes, kr.id, {
                "objective_id": row.id, "title": kr.title, "direction": kr.direction, "start_value": kr.start,
                "target_value": kr.target, "unit": kr.unit, "weight": kr.weight, "position": k_position,
                "metric": rule_document(kr.metric), "rule_hash": rule_hash(kr.metric),
            })
    for row in [*objectives.values(), *krs.values()]:
        if row.archived_at is None:
            row.archived_at = now
            changes.archived.append(row.key)
    session.flush()
    return changes


def current_cycle(session: Session, name: str) -> models.Cycle:
    cycle = session.scalar(sa.select(models.Cycle).where(models.Cycle.name == name))
    if cycle is None:
        raise LookupError(f"no cycle {name!r} in the store")
    return cycle


def _upsert_cycle(session: Session, cycle: schema.Cycle) -> models.Cycle:
    row = session.scalar(sa.select(models.Cycle).where(models.Cycle.name == cycle.name))
    if row is None:
        row = models.Cycle(name=cycle.name)
        session.add(row)
    row.start_date, row.end_date, row.timezone = cycle.start, cycle.end, cycle.timezone
    session.flush()
    return row


def _created(session: Session, changes: DefinitionChanges, key: str, row: _Row) -> _Row:
    session.add(row)
    changes.created.append(key)
    return row


def _assign(row: models.Objective | models.KeyResult, changes: DefinitionChanges, key: str, values: dict[str, Any]) -> None:
    """Set the values that differ; note an update (a reorder alone is none) or a restore, once."""
    is_new = key in changes.created
    if row.archived_at is not None:
        row.archived_at = None
        changes.restored.append(key)
    differs = [name for name, value in values.items() if getattr(row, name) != value]
    for name in differs:
        setattr(row, name, values[name])
    if set(differs) - {"position"} and not is_new and key not in changes.restored:
        changes.updated.append(key)
