"""Cell values as Sheets stores and renders them: a number, string or boolean, and for numbers an
optional number format (percent, thousands, currency, date) that FORMATTED_VALUE applies."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

EPOCH = dt.date(1899, 12, 30)  # day 0 of Sheets' date serial numbers
DATE_FORMAT = "yyyy-mm-dd"
FORMATS = ("0%", "0.0%", "0.00%", "0", "0.00", "#,##0", "#,##0.00", "$#,##0", "$#,##0.00", DATE_FORMAT)


@dataclass(frozen=True)
class Cell:
    value: float | int | str | bool
    format: str | None = None


def cell_from_data(value: Any) -> Cell | None:
    """A cell from the data file: a plain value, {value, format} or {date: YYYY-MM-DD}; None for empty."""
    if value is None or value == "":
        return None
    if isinstance(value, dict):
        if "date" in value:
            return Cell(serial(dt.date.fromisoformat(str(value["date"]))), DATE_FORMAT)
        fmt = value.get("format")
        if fmt is not None and fmt not in FORMATS:
            raise ValueError(f"unknown number format {fmt!r} (known: {', '.join(FORMATS)})")
        return Cell(_number(value["value"]), fmt)
    if isinstance(value, dt.date):
        return Cell(serial(value), DATE_FORMAT)
    if isinstance(value, (bool, int, float, str)):
        return Cell(value)
    raise ValueError(f"a cell holds a number, string or boolean, not {value!r}")


def serial(day: dt.date) -> int:
    return (day - EPOCH).days


def render(cell: Cell | None, value_render: str, datetime_render: str) -> Any:
    """The cell as values.get returns it for a valueRenderOption and dateTimeRenderOption."""
    if cell is None:
        return ""
    if value_render == "FORMATTED_VALUE":
        return formatted(cell)
    if cell.format == DATE_FORMAT and datetime_render == "FORMATTED_STRING":
        return formatted(cell)
    value = cell.value
    return int(value) if isinstance(value, float) and value.is_integer() else value


def formatted(cell: Cell) -> str:
    value = cell.value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, str):
        return value
    fmt = cell.format
    if fmt is None:
        return _general(value)
    if fmt == DATE_FORMAT:
        return (EPOCH + dt.timedelta(days=int(value))).isoformat()
    decimals = len(fmt.split(".", 1)[1].rstrip("%")) if "." in fmt else 0
    if fmt.endswith("%"):
        return f"{value * 100:.{decimals}f}%"
    text = f"{abs(value):{',' if '#,##' in fmt else ''}.{decimals}f}"
    sign = "-" if value < 0 else ""
    return f"{sign}${text}" if fmt.startswith("$") else f"{sign}{text}"


def parse_entered(value: Any, input_option: str) -> Cell | None:
    """A value written through the API: RAW keeps strings as typed; USER_ENTERED reads "45%",
    "1,234.50", "$1,200", "2026-10-01", "TRUE" and plain numbers as a person typing them would."""
    if value is None or value == "":
        return None
    if not isinstance(value, str) or input_option == "RAW":
        return Cell(value)
    text = value.strip()
    if text.upper() in ("TRUE", "FALSE"):
        return Cell(text.upper() == "TRUE")
    try:
        return Cell(serial(dt.date.fromisoformat(text)), DATE_FORMAT)
    except ValueError:
        pass
    body, fmt = text, None
    if body.endswith("%"):
        body = body[:-1]
        decimals = len(body.split(".", 1)[1]) if "." in body else 0
        fmt = "0%" if not decimals else f"0.{'0' * min(decimals, 2)}%"
    elif body.startswith("$"):
        body = body[1:]
        fmt = "$#,##0.00" if "." in body else "$#,##0"
    elif "," in body:
        fmt = "#,##0.00" if "." in body else "#,##0"
    digits = body.replace(",", "")
    if not any(ch.isdigit() for ch in digits) or not all(ch in "0123456789.-+eE" for ch in digits):
        return Cell(value)
    try:
        number = float(digits)
    except ValueError:
        return Cell(value)
    return Cell(number / 100 if fmt and fmt.endswith("%") else number, fmt)


def _number(value: Any) -> float | int:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"a formatted cell needs a number, not {value!r}")
    return value


def _general(value: float | int) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return repr(value) if isinstance(value, float) else str(value)
