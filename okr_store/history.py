"""KR history over a cycle: one point a day (the day's last value), a straight-line forecast of the
end-of-cycle value, and what a KR's value was at a given moment.

History is streamed from the store and folded into daily points as it comes, so a cycle of hourly
syncs for a thousand KRs never sits in memory whole.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Iterable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session

from okr_store import models
from okr_store.latest import latest_per_kr

STREAM_BATCH = 5000


@dataclass(frozen=True)
class DayValue:
    day: dt.date
    value: float


def daily_history(session: Session, kr_ids: list[int], start: dt.date, until: dt.datetime, timezone: str) -> dict[int, list[DayValue]]:
    """KR id -> the last value of each day (in the cycle's zone) from `start` up to `until`."""
    zone = ZoneInfo(timezone)
    begins = dt.datetime.combine(start, dt.time(), zone)
    rows = session.execute(
        sa.select(models.Measurement.key_result_id, models.Measurement.measured_at, models.Measurement.value)
        .where(models.Measurement.key_result_id.in_(kr_ids), models.Measurement.measured_at >= begins,
               models.Measurement.measured_at <= until)
        .order_by(models.Measurement.key_result_id, models.Measurement.measured_at, models.Measurement.id)
        .execution_options(yield_per=STREAM_BATCH)
    )
    days: dict[int, dict[dt.date, float]] = {}
    for kr_id, measured_at, value in rows:
        days.setdefault(kr_id, {})[measured_at.astimezone(zone).date()] = value  # later rows win
    return {kr_id: [DayValue(day, value) for day, value in by_day.items()] for kr_id, by_day in days.items()}


def forecast(points: Iterable[DayValue], end: dt.date) -> float | None:
    """The value at `end` on the least-squares line through the points; None with fewer than two days."""
    points = list(points)
    if len({p.day for p in points}) < 2:
        return None
    origin = points[0].day
    slope, intercept = statistics.linear_regression([(p.day - origin).days for p in points], [p.value for p in points])
    return intercept + slope * (end - origin).days


def values_at(session: Session, kr_ids: list[int], moment: dt.datetime) -> dict[int, float]:
    """KR id -> its value as it stood at `moment` (the newest measurement not after it)."""
    rows = latest_per_kr(session, models.Measurement, models.Measurement.measured_at, kr_ids, until=moment)
    return {kr_id: row.value for kr_id, row in rows.items()}
