"""Numbers as people type them in spreadsheets: "45%", "1,234.50", "$1,200", "(12)", "1.5k".

Sheets are read unformatted, so most cells arrive as numbers; text cells are parsed here. A cell that
holds no number ("", "#N/A", "N/A", "-", a formula error) is an error for its KR, never a 0.
docs/connectors.md lists the accepted forms.
"""

from __future__ import annotations

import math
import re

NO_VALUE = {"", "-", "–", "—", "n/a", "na", "#n/a", "none", "null", "tbd", "?"}
SHEET_ERRORS = {"#n/a", "#ref!", "#div/0!", "#value!", "#name?", "#num!", "#null!", "#error!", "#spill!", "loading..."}
SUFFIXES = {"k": 1e3, "K": 1e3, "M": 1e6, "B": 1e9, "bn": 1e9}
CURRENCY = "$€£¥₹"
_NUMBER = re.compile(r"^(?:\d{1,3}(?:,\d{3})+|\d+)?(?:\.\d+)?(?:[eE][+-]?\d+)?$")
_SPACES = dict.fromkeys(map(ord, "\u00a0\u202f\u2009 _'"), None)  # spaces and apostrophes as digit groupers


class BadCellValue(ValueError):
    """A cell that does not hold a number."""


def parse_number(cell: object) -> float:
    """The number in a cell value as the Sheets API returns it (number, bool or text)."""
    if isinstance(cell, bool):
        return 1.0 if cell else 0.0  # a checkbox
    if isinstance(cell, (int, float)):
        try:
            return _finite(float(cell), cell)
        except OverflowError:  # an integer beyond any float
            raise BadCellValue(f"cell holds an integer too large for a number ({int(cell).bit_length()} bits)") from None
    if not isinstance(cell, str):
        raise BadCellValue(f"cell holds {type(cell).__name__}, not a number")
    return _parse_text(cell)


def _parse_text(raw: str) -> float:
    text = raw.strip()
    lowered = text.lower()
    if lowered in SHEET_ERRORS:
        raise BadCellValue(f"cell shows the spreadsheet error {text!r}")
    if lowered in NO_VALUE:
        raise BadCellValue(f"cell is empty or says {text!r}: no value")
    sign = 1.0
    if text.startswith("(") and text.endswith(")"):  # accounting negative: (12) is -12
        sign, text = -1.0, text[1:-1].strip()
    text = text.replace("\u2212", "-")  # the typographic minus sign
    sign, text = _signed(sign, text)
    text = text.strip(CURRENCY).strip()
    sign, text = _signed(sign, text)  # "$-12" as well as "-$12"
    scale = 1.0
    if text.endswith("%"):
        scale, text = 0.01, text[:-1].strip()
    else:
        for suffix, factor in SUFFIXES.items():
            if text.endswith(suffix) and text[: -len(suffix)].strip()[-1:].isdigit():
                scale, text = factor, text[: -len(suffix)].strip()
                break
    text = text.translate(_SPACES)
    if not text or not _NUMBER.match(text) or not any(ch.isdigit() for ch in text):
        raise BadCellValue(f"cell text {raw!r} is not a number")
    try:
        number = float(text.replace(",", ""))
    except ValueError:  # an exponent without a number before it: "E5"
        raise BadCellValue(f"cell text {raw!r} is not a number") from None
    return _finite(sign * number * scale, raw)


def _signed(sign: float, text: str) -> tuple[float, str]:
    if text.startswith(("+", "-")):
        return sign * (-1.0 if text[0] == "-" else 1.0), text[1:].strip()
    return sign, text


def _finite(value: float, raw: object) -> float:
    if not math.isfinite(value):
        raise BadCellValue(f"cell value {raw!r} is not a finite number")
    return value
