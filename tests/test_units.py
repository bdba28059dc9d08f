"""Parsing numbers typed in spreadsheet cells, and combining a range's numbers."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mapping.rules import aggregate, ratio
from mapping.units import BadCellValue, parse_number


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        (42, 42.0),
        (0.45, 0.45),
        (True, 1.0),
        ("45%", 0.45),
        ("45 %", 0.45),
        ("1,234.50", 1234.5),
        ("$1,200", 1200.0),
        ("€ 99", 99.0),
        ("(12)", -12.0),
        ("($1,200.50)", -1200.5),
        ("-3.5", -3.5),
        ("\u22127", -7.0),  # typographic minus
        ("1.5k", 1500.0),
        ("2M", 2e6),
        ("1\u00a0234", 1234.0),  # non-breaking space as a thousands separator
        ("1e3", 1000.0),
        ("  12  ", 12.0),
        (".5", 0.5),
        ("+4", 4.0),
    ],
)
def test_parse_number(cell: object, expected: float) -> None:
    assert parse_number(cell) == pytest.approx(expected)


@pytest.mark.parametrize(
    "cell",
    ["", "   ", "#N/A", "N/A", "n/a", "-", "—", "#REF!", "#DIV/0!", "TBD", "abc", "1,5", "1.234,50", "12 apples",
     "NaN", "Infinity", "1e999", float("nan"), float("inf"), None, [1]],
)
def test_no_number_is_an_error_never_zero(cell: object) -> None:
    with pytest.raises(BadCellValue):
        parse_number(cell)


@given(st.floats(allow_nan=False, allow_infinity=False, min_value=-1e12, max_value=1e12))
def test_formatted_numbers_round_trip(value: float) -> None:
    assert parse_number(f"{value:,.2f}") == pytest.approx(round(value, 2), rel=1e-12, abs=1e-6)
    assert parse_number(f"{value:.4%}") == pytest.approx(value, rel=1e-12, abs=1e-5)


@given(st.text(max_size=30))
def test_any_text_parses_or_raises_bad_cell_value(text: str) -> None:
    try:
        parse_number(text)
    except BadCellValue:
        pass


def test_aggregate() -> None:
    values = [4.0, 5.0, 3.0]
    assert [aggregate(values, agg) for agg in ("sum", "avg", "min", "max", "last", "count")] == [12, 4, 3, 5, 3, 3]
    assert aggregate([], "count") == 0
    with pytest.raises(ValueError, match="no numbers"):
        aggregate([], "avg")


def test_ratio_refuses_zero_denominator() -> None:
    assert ratio(3, 4) == 0.75
    with pytest.raises(ValueError, match="denominator is 0"):
        ratio(3, 0)
