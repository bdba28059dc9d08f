"""A1 notation as Google Sheets reads it: `'Team KPIs'!B2:B8`, `Survey!B2`, `Sheet1!A:A`, `B2`."""

from __future__ import annotations

import re
from dataclasses import dataclass

_CELL = r"\$?[A-Za-z]{1,3}\$?[0-9]+"
_COLUMN = r"\$?[A-Za-z]{1,3}"
_ROW = r"\$?[0-9]+"
_SHEET = r"'(?:[^']|'')+'|[^'!:\s][^'!:]*?"
_A1 = re.compile(
    rf"^(?:(?P<sheet>{_SHEET})!)?"
    rf"(?P<start>{_CELL}|{_COLUMN}|{_ROW})"
    rf"(?::(?P<end>{_CELL}|{_COLUMN}|{_ROW}))?$"
)


@dataclass(frozen=True)
class A1Range:
    sheet: str | None  # unquoted sheet name, or None for the first sheet
    start: str
    end: str | None

    @property
    def is_single_cell(self) -> bool:
        return self.end is None and re.fullmatch(_CELL, self.start) is not None


def parse_a1(text: str) -> A1Range:
    """Parse an A1 range; raises ValueError naming the expected form."""
    match = _A1.match(text.strip())
    if not match:
        raise ValueError(
            f"{text!r} is not an A1 range; write it like \"'Team KPIs'!B2:B8\" or 'Survey!B2' "
            "(quote a sheet name that has spaces, doubling any ' inside it)"
        )
    sheet = match["sheet"]
    if sheet and sheet.startswith("'"):
        sheet = sheet[1:-1].replace("''", "'")
    return A1Range(sheet, match["start"].upper(), match["end"].upper() if match["end"] else None)


def column_number(letters: str) -> int:
    """'A' -> 1, 'Z' -> 26, 'AA' -> 27."""
    number = 0
    for letter in letters.upper().lstrip("$"):
        number = number * 26 + ord(letter) - ord("A") + 1
    return number


def cell_shape(a1: A1Range) -> tuple[int, int] | None:
    """(rows, columns) of a range with both corners given as cells, else None (open-ended)."""
    start = re.fullmatch(r"\$?([A-Z]+)\$?([0-9]+)", a1.start)
    end = re.fullmatch(r"\$?([A-Z]+)\$?([0-9]+)", a1.end or a1.start)
    if not start or not end:
        return None
    rows = abs(int(end[2]) - int(start[2])) + 1
    columns = abs(column_number(end[1]) - column_number(start[1])) + 1
    return rows, columns
