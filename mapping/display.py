"""Numbers as people read them in reports and published progress (one place, every format)."""

from __future__ import annotations

STATUS_LABEL = {"on_track": "on track", "at_risk": "at risk", "off_track": "off track", "no_data": "no data"}


def number(x: float) -> str:
    """1,234 for whole numbers, 1,234.57 otherwise."""
    return f"{x:,.0f}" if float(x).is_integer() else f"{x:,.2f}"


def percent(share: float | None) -> str:
    return "—" if share is None else f"{share * 100:.0f}%"


def score(grade: float | None) -> str:
    return "—" if grade is None else f"{grade:.1f}"


def value_with_unit(x: float | None, unit: str | None) -> str:
    if x is None:
        return "no data"
    if not unit:
        return number(x)
    return f"{number(x)}%" if unit == "%" else f"{number(x)} {unit}"


def target_span(direction: str, start: float, target: float) -> str:
    """'0 → 40', or '≥ 0.40' for stay_above, '≤ 20' for stay_below, 'done at 1' for a milestone."""
    prefix = {"stay_above": "≥ ", "stay_below": "≤ ", "milestone": "done at "}.get(direction)
    return f"{prefix}{number(target)}" if prefix else f"{number(start)} → {number(target)}"
