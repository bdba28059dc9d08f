"""Scoring as OKR practitioners do it: progress, Google's 0.0-1.0 grade, expected pace and status.

docs/scoring.md explains each rule with worked examples.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, fields
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal
from zoneinfo import ZoneInfo

Status = Literal["on_track", "at_risk", "off_track", "no_data"]
BINARY_DIRECTIONS = ("stay_above", "stay_below", "milestone")


@dataclass(frozen=True)
class Thresholds:
    """Status thresholds as shares of the expected progress (DESIGN.md defaults)."""

    on_track: float = 0.95
    at_risk: float = 0.75
    aspirational_target: float = 0.7  # an aspirational KR that ends at 0.7 has succeeded
    milestone_at_risk_after: float = 0.75  # an unreached milestone is at risk past this share of the cycle

    @classmethod
    def of(cls, settings: object) -> Thresholds:
        """The thresholds of a configuration's `scoring:` section."""
        return cls(**{f.name: getattr(settings, f.name) for f in fields(cls)})


def progress(direction: str, start: float, target: float, value: float) -> float:
    """Share of the way from start to target, clamped to 0..1; 0 or 1 for yes/no directions."""
    if direction == "stay_above":
        return 1.0 if value >= target else 0.0
    if direction == "stay_below":
        return 1.0 if value <= target else 0.0
    if direction == "milestone":
        return 1.0 if value >= target else 0.0
    if target == start:  # nothing to travel: reached or not
        reached = value >= target if direction == "increase" else value <= target
        return 1.0 if reached else 0.0
    return min(1.0, max(0.0, (value - start) / (target - start)))


def grade(progress_value: float) -> float:
    """Google's 0.0-1.0 score: progress rounded half up to one decimal."""
    return float(Decimal(repr(progress_value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def expected_pace(start: dt.date, end: dt.date, timezone: str, at: dt.datetime) -> float:
    """Elapsed share of the cycle at `at`: 0 at midnight starting `start`, 1 at midnight ending `end`."""
    zone = ZoneInfo(timezone)
    begins = dt.datetime.combine(start, dt.time(), zone)
    ends = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), zone)
    share = (at - begins) / (ends - begins)
    return min(1.0, max(0.0, share))


def expected_progress(pace: float, kind: str, thresholds: Thresholds) -> float:
    """Where progress should be by now: committed KRs aim at 1.0, aspirational ones at 0.7."""
    return pace * (thresholds.aspirational_target if kind == "aspirational" else 1.0)


def status(
    direction: str,
    progress_value: float | None,
    pace: float,
    kind: str = "committed",
    thresholds: Thresholds = Thresholds(),
) -> Status:
    """on_track / at_risk / off_track by comparing progress with the expected pace."""
    if progress_value is None:
        return "no_data"
    if direction in ("stay_above", "stay_below"):
        return "on_track" if progress_value >= 1.0 else "off_track"
    if direction == "milestone":
        if progress_value >= 1.0:
            return "on_track"
        if pace >= 1.0:
            return "off_track"
        return "at_risk" if pace >= thresholds.milestone_at_risk_after else "on_track"
    expected = expected_progress(pace, kind, thresholds)
    if progress_value >= 1.0 or progress_value >= thresholds.on_track * expected:
        return "on_track"
    if progress_value >= thresholds.at_risk * expected:
        return "at_risk"
    return "off_track"


def weighted_progress(parts: Iterable[tuple[float, float | None]]) -> float | None:
    """Weighted mean of (weight, progress) pairs; a part with no value counts as 0. None if none has a value."""
    items = list(parts)
    total = sum(weight for weight, _ in items)
    if total <= 0 or all(value is None for _, value in items):
        return None
    return sum(weight * (value or 0.0) for weight, value in items) / total
