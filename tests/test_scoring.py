"""Scoring rules at their edges (docs/scoring.md has the same worked examples)."""

from __future__ import annotations

import datetime as dt

import pytest

from okr_store.scoring import (
    Thresholds,
    expected_pace,
    grade,
    progress,
    status,
    weighted_progress,
)

UTC = dt.UTC


@pytest.mark.parametrize(
    ("direction", "start", "target", "value", "expected"),
    [
        ("increase", 0, 40, 0, 0.0),  # value == start
        ("increase", 0, 40, 10, 0.25),
        ("increase", 0, 40, 40, 1.0),
        ("increase", 0, 40, 55, 1.0),  # past the target: clamped
        ("increase", 10, 40, 4, 0.0),  # below the start: clamped
        ("increase", 0.4, 0.8, 0.7, 0.75),
        ("decrease", 6, 3, 6, 0.0),
        ("decrease", 6, 3, 4.5, 0.5),
        ("decrease", 6, 3, 2, 1.0),  # better than the target
        ("decrease", 6, 3, 7, 0.0),  # worse than the start
        ("increase", 5, 5, 5, 1.0),  # target == start: reached
        ("increase", 5, 5, 4, 0.0),
        ("decrease", 5, 5, 4, 1.0),
        ("stay_above", 0.3, 0.4, 0.4, 1.0),  # exactly at the threshold counts
        ("stay_above", 0.3, 0.4, 0.39999, 0.0),
        ("stay_above", 0.3, 0.4, 0.45, 1.0),
        ("stay_below", 0, 20, 20, 1.0),
        ("stay_below", 0, 20, 20.5, 0.0),
        ("milestone", 0, 1, 0.99, 0.0),
        ("milestone", 0, 1, 1, 1.0),
    ],
)
def test_progress(direction: str, start: float, target: float, value: float, expected: float) -> None:
    assert progress(direction, start, target, value) == pytest.approx(expected)


@pytest.mark.parametrize(("raw", "score"), [(0.0, 0.0), (0.04, 0.0), (0.05, 0.1), (0.65, 0.7), (0.349, 0.3), (1.0, 1.0)])
def test_grade_rounds_half_up_to_one_decimal(raw: float, score: float) -> None:
    assert grade(raw) == score


def test_expected_pace_first_and_last_day() -> None:
    start, end = dt.date(2026, 10, 1), dt.date(2026, 12, 31)  # 92 days
    assert expected_pace(start, end, "UTC", dt.datetime(2026, 10, 1, tzinfo=UTC)) == 0.0
    assert expected_pace(start, end, "UTC", dt.datetime(2026, 10, 2, tzinfo=UTC)) == pytest.approx(1 / 92)
    assert expected_pace(start, end, "UTC", dt.datetime(2026, 12, 31, tzinfo=UTC)) == pytest.approx(91 / 92)
    assert expected_pace(start, end, "UTC", dt.datetime(2027, 1, 1, tzinfo=UTC)) == 1.0
    assert expected_pace(start, end, "UTC", dt.datetime(2026, 9, 1, tzinfo=UTC)) == 0.0
    assert expected_pace(start, end, "UTC", dt.datetime(2027, 3, 1, tzinfo=UTC)) == 1.0


def test_expected_pace_honours_the_cycle_time_zone() -> None:
    start, end = dt.date(2026, 10, 1), dt.date(2026, 12, 31)
    # Midnight in Berlin on 1 October is 22:00 UTC on 30 September: the cycle has begun there.
    moment = dt.datetime(2026, 9, 30, 23, 0, tzinfo=UTC)
    assert expected_pace(start, end, "UTC", moment) == 0.0
    assert expected_pace(start, end, "Europe/Berlin", moment) > 0.0


@pytest.mark.parametrize(
    ("progress_value", "pace", "kind", "expected"),
    [
        (0.0, 0.0, "committed", "on_track"),  # first moment of the cycle
        (0.5, 0.5, "committed", "on_track"),
        (0.475, 0.5, "committed", "on_track"),  # exactly 0.95 of the pace
        (0.47, 0.5, "committed", "at_risk"),
        (0.375, 0.5, "committed", "at_risk"),  # exactly 0.75 of the pace
        (0.37, 0.5, "committed", "off_track"),
        (0.95, 1.0, "committed", "on_track"),  # last day
        (0.9, 1.0, "committed", "at_risk"),
        (0.7, 1.0, "committed", "off_track"),
        (0.7, 1.0, "aspirational", "on_track"),  # aspirational success is 0.7
        (0.5, 1.0, "aspirational", "off_track"),
        (1.0, 0.2, "committed", "on_track"),
        (None, 0.5, "committed", "no_data"),
    ],
)
def test_status_against_pace(progress_value: float | None, pace: float, kind: str, expected: str) -> None:
    assert status("increase", progress_value, pace, kind) == expected


def test_status_of_yes_no_krs() -> None:
    assert status("stay_above", 1.0, 0.5) == "on_track"
    assert status("stay_below", 0.0, 0.01) == "off_track"
    assert status("milestone", 0.0, 0.5) == "on_track"  # not due yet: no linear pace
    assert status("milestone", 0.0, 0.8) == "at_risk"
    assert status("milestone", 0.0, 1.0) == "off_track"
    assert status("milestone", 1.0, 1.0) == "on_track"


def test_thresholds_are_configurable() -> None:
    strict = Thresholds(on_track=1.0, at_risk=0.9)
    assert status("increase", 0.47, 0.5, thresholds=strict) == "at_risk"
    assert status("increase", 0.44, 0.5, thresholds=strict) == "off_track"


def test_weighted_progress() -> None:
    assert weighted_progress([(1, 1.0), (3, 0.0)]) == pytest.approx(0.25)
    assert weighted_progress([(1, 0.5), (1, None)]) == pytest.approx(0.25)  # no data counts as 0
    assert weighted_progress([(1, None)]) is None
    assert weighted_progress([]) is None
