"""The newest row per KR of a history table, in one query (no full history is loaded)."""

from __future__ import annotations

import datetime as dt
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import Session

from okr_store import models

Row = TypeVar("Row", models.Measurement, models.CheckIn, models.FetchOutcome)


def latest_per_kr(session: Session, model: type[Row], order: sa.ColumnElement[Any], kr_ids: list[int],
                  until: dt.datetime | None = None, time_column: sa.ColumnElement[Any] | None = None) -> dict[int, Row]:
    """KR id -> its newest row of `model` by `order` (ties broken by id), optionally as of `until`."""
    rank = sa.func.row_number().over(partition_by=model.key_result_id, order_by=(order.desc(), model.id.desc()))
    query = sa.select(model.id, rank.label("rank")).where(model.key_result_id.in_(kr_ids))
    if until is not None:
        query = query.where((time_column if time_column is not None else order) <= until)
    ranked = query.subquery()
    rows = session.scalars(sa.select(model).join(ranked, ranked.c.id == model.id).where(ranked.c.rank == 1))
    return {row.key_result_id: row for row in rows}


def to_jsonable(value: Any) -> Any:
    """Dates and times as ISO 8601 strings, recursively."""
    if isinstance(value, dict):
        return {k: to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [to_jsonable(v) for v in value]
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value
