"""Google Sheets' data: spreadsheets, their sheets (sparse grids of cells) and named ranges, with
range reads and writes that follow values.get / values.update semantics."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from sandbox.a1 import Box, RangeError, column_letters, format_range, parse_a1, quote_sheet, resolve_box
from sandbox.cell_values import Cell, cell_from_data, parse_entered, render


class SheetsError(ValueError):
    """A request Google answers 400 INVALID_ARGUMENT; the message is Google's."""


@dataclass
class Sheet:
    id: int
    title: str
    index: int
    rows: int
    columns: int
    cells: dict[tuple[int, int], Cell] = field(default_factory=dict)


@dataclass
class Spreadsheet:
    id: str
    title: str
    locale: str
    time_zone: str
    shared: bool  # False: the service account was not given access (403)
    sheets: list[Sheet]
    named_ranges: dict[str, str]  # name -> A1 range with its sheet

    def sheet(self, title: str) -> Sheet | None:
        return next((s for s in self.sheets if s.title == title), None)


@dataclass(frozen=True)
class Target:
    sheet: Sheet
    box: Box
    whole: bool  # the whole sheet was asked for
    anchor: bool  # a single cell or whole sheet: a write may extend from it


@dataclass(frozen=True)
class Write:
    """A checked values write, ready to apply."""

    target: Target
    cells: list[tuple[tuple[int, int], Cell | None]]
    box: Box

    def report(self, spreadsheet_id: str) -> dict[str, Any]:
        rows = {r for (r, _), _ in self.cells}
        columns = {c for (_, c), _ in self.cells}
        return {
            "spreadsheetId": spreadsheet_id,
            "updatedRange": format_range(self.target.sheet.title, self.box),
            "updatedRows": len(rows),
            "updatedColumns": len(columns),
            "updatedCells": len(self.cells),
        }


class SheetsStore:
    def __init__(self, raw: dict[str, Any]):
        self.lock = threading.RLock()
        self.spreadsheets: dict[str, Spreadsheet] = {}
        for entry in raw.get("spreadsheets", []):
            try:
                book = _spreadsheet(entry)
            except (KeyError, ValueError, TypeError) as error:
                raise ValueError(f"spreadsheet {entry.get('id', '?')}: {error}") from None
            self.spreadsheets[book.id] = book

    def locate(self, book: Spreadsheet, text: str) -> Target:
        """The cells an A1 range (or named range, or sheet title) covers; raises RangeError."""
        a1 = parse_a1(text)
        if a1.name is not None:
            sheet = book.sheet(a1.name) if a1.sheet is None else None
            if sheet is not None:
                return Target(sheet, Box(0, 0, sheet.rows - 1, sheet.columns - 1), True, True)
            named = book.named_ranges.get(a1.name)
            if named is None:
                raise RangeError(text)
            a1 = parse_a1(named)
        sheet = book.sheet(a1.sheet) if a1.sheet is not None else book.sheets[0]
        if sheet is None:
            raise RangeError(text)
        box = resolve_box(a1, sheet.rows, sheet.columns)
        if box.row1 >= sheet.rows or box.col1 >= sheet.columns:
            raise SheetsError(_grid_message(sheet, box))
        single = a1.start is not None and a1.start == a1.end
        return Target(sheet, box, a1.start is None, a1.start is None or single)

    def read(self, book: Spreadsheet, text: str, value_render: str, datetime_render: str, major: str) -> dict[str, Any]:
        """A ValueRange: trailing empty cells and rows trimmed, no `values` for an empty range."""
        target = self.locate(book, text)
        sheet, box = target.sheet, target.box
        cells = {(r, c): cell for (r, c), cell in sheet.cells.items() if box.row0 <= r <= box.row1 and box.col0 <= c <= box.col1}
        if target.whole and cells:  # a whole sheet reads as the extent of its data
            box = Box(0, 0, max(r for r, _ in cells), max(c for _, c in cells))
        answer: dict[str, Any] = {"range": format_range(sheet.title, box), "majorDimension": major}
        if not cells:
            return answer
        last_row, last_col = max(r for r, _ in cells), max(c for _, c in cells)
        grid = [
            [render(cells.get((r, c)), value_render, datetime_render) for c in range(box.col0, last_col + 1)]
            for r in range(box.row0, last_row + 1)
        ]
        if major == "COLUMNS":
            grid = [list(column) for column in zip(*grid, strict=True)]
        answer["values"] = _trim(grid)
        return answer

    def plan_write(self, book: Spreadsheet, text: str, values: list[list[Any]], major: str, input_option: str) -> Write:
        """Check a values write against its range and the grid; nothing is written yet."""
        target = self.locate(book, text)
        box, sheet = target.box, target.sheet
        cells: list[tuple[tuple[int, int], Cell | None]] = []
        height = width = 0
        for i, line in enumerate(values):
            for j, value in enumerate(line):
                r, c = (box.row0 + i, box.col0 + j) if major != "COLUMNS" else (box.row0 + j, box.col0 + i)
                height, width = max(height, r - box.row0 + 1), max(width, c - box.col0 + 1)
                if not target.anchor and r > box.row1:
                    raise SheetsError(f"Requested writing within range [{text}], but tried writing to row [{r + 1}]")
                if not target.anchor and c > box.col1:
                    raise SheetsError(f"Requested writing within range [{text}], but tried writing to column [{column_letters(c)}]")
                if r >= sheet.rows or c >= sheet.columns:
                    raise SheetsError(_grid_message(sheet, Box(r, c, r, c)))
                if value is not None:
                    cells.append(((r, c), parse_entered(value, input_option)))
        written = Box(box.row0, box.col0, box.row0 + max(height, 1) - 1, box.col0 + max(width, 1) - 1)
        return Write(target, cells, written)

    @staticmethod
    def apply(write: Write) -> None:
        for position, cell in write.cells:
            if cell is None:
                write.target.sheet.cells.pop(position, None)
            else:
                write.target.sheet.cells[position] = cell


def _grid_message(sheet: Sheet, box: Box) -> str:
    where = format_range(sheet.title, box).split("!", 1)[1]
    return f"Range ({quote_sheet(sheet.title)}!{where}) exceeds grid limits. Max rows: {sheet.rows}, max columns: {sheet.columns}"


def _trim(grid: list[list[Any]]) -> list[list[Any]]:
    rows = []
    for line in grid:
        end = len(line)
        while end and line[end - 1] == "":
            end -= 1
        rows.append(line[:end])
    while rows and not rows[-1]:
        rows.pop()
    return rows


def _spreadsheet(entry: dict[str, Any]) -> Spreadsheet:
    sheets = []
    for index, raw in enumerate(entry.get("sheets", [])):
        sheet = Sheet(int(raw.get("id", index * 1_000_003)), str(raw["title"]), index, int(raw.get("rows", 1000)), int(raw.get("columns", 26)))
        for r, line in enumerate(raw.get("cells", [])):
            for c, value in enumerate(line or []):
                cell = cell_from_data(value)
                if cell is not None:
                    sheet.cells[(r, c)] = cell
        sheets.append(sheet)
    if not sheets:
        raise ValueError("a spreadsheet needs at least one sheet")
    named = {str(k): str(v) for k, v in (entry.get("named_ranges") or {}).items()}
    for name, a1 in named.items():
        if parse_a1(a1).sheet is None:
            raise ValueError(f"named range {name} must name its sheet: {a1!r}")
    return Spreadsheet(
        str(entry["id"]), str(entry.get("title", entry["id"])), str(entry.get("locale", "en_US")),
        str(entry.get("time_zone", "Etc/GMT")), bool(entry.get("shared", True)), sheets, named,
    )
