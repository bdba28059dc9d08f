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
