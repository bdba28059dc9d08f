"""A1 notation, cell rendering and range reads/writes as Google Sheets does them."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from sandbox.a1 import Box, RangeError, format_range, parse_a1, quote_sheet, resolve_box
from sandbox.cell_values import Cell, formatted, parse_entered, render
from sandbox.server import Sandbox
from sandbox.sheets_store import SheetsError, SheetsStore

BOOK = {
    "spreadsheets": [{
        "id": "book",
        "sheets": [
            {"title": "Sheet1", "rows": 10, "columns": 5, "cells": [["A1", "B1", "", "D1"], ["", "b2"], [], ["A4", "B4", "", "D4"]]},
            {"title": "It's 2026", "cells": [[1, 2]]},
            {"title": "Empty"},
        ],
        "named_ranges": {"Total": "Sheet1!B1:B2"},
    }],
}


@pytest.mark.parametrize(
    ("text", "sheet", "box"),
    [
        ("Sheet1!A1:B2", "Sheet1", Box(0, 0, 1, 1)),
        ("'Sheet1'!D4:A1", "Sheet1", Box(0, 0, 3, 3)),  # reversed corners are swapped
        ("'It''s 2026'!B:B", "It's 2026", Box(0, 1, 999, 1)),
        ("Sheet1!2:3", "Sheet1", Box(1, 0, 2, 25)),
        ("Sheet1!$B$2:C", "Sheet1", Box(1, 1, 999, 2)),
        ("A1:B2", None, Box(0, 0, 1, 1)),
    ],
)
def test_a1_parsing(text: str, sheet: str | None, box: Box) -> None:
    parsed = parse_a1(text)
    assert parsed.sheet == sheet and resolve_box(parsed, 1000, 26) == box


@pytest.mark.parametrize("text", ["'unclosed!A1", "Sheet1!A0", "Sheet1!A1:B2:C3", "Sheet1!A:5", "'a'b'!A1", "Sheet1!A1:[5"])
def test_a1_that_google_cannot_parse(text: str) -> None:
    with pytest.raises(RangeError, match="Unable to parse range"):
        parse_a1(text)


def test_sheet_names_are_quoted_only_when_needed() -> None:
    assert [quote_sheet(n) for n in ("Sheet1", "Team KPIs", "D3", "It's", "ABC", "kpi_2026")] == ["Sheet1", "'Team KPIs'", "'D3'", "'It''s'", "'ABC'", "kpi_2026"]
    assert format_range("Team KPIs", Box(1, 1, 1, 1)) == "'Team KPIs'!B2"
    assert format_range("Sheet1", Box(0, 0, 999, 27)) == "Sheet1!A1:AB1000"


def test_cells_render_like_sheets() -> None:
    percent, money, day = Cell(0.4533, "0.0%"), Cell(-1234.5, "$#,##0.00"), Cell(46327, "yyyy-mm-dd")
    assert [formatted(c) for c in (percent, money, day, Cell(2.0), Cell(1.5), Cell(True), Cell("#N/A"))] == ["45.3%", "-$1,234.50", "2026-11-01", "2", "1.5", "TRUE", "#N/A"]
    assert render(percent, "UNFORMATTED_VALUE", "SERIAL_NUMBER") == 0.4533
    assert render(Cell(2.0), "UNFORMATTED_VALUE", "SERIAL_NUMBER") == 2
    assert render(day, "UNFORMATTED_VALUE", "FORMATTED_STRING") == "2026-11-01"
    assert render(None, "FORMATTED_VALUE", "SERIAL_NUMBER") == ""


def test_user_entered_text_is_read_as_a_person_types_it() -> None:
    assert parse_entered("45%", "USER_ENTERED") == Cell(0.45, "0%")
    assert parse_entered("1,234.50", "USER_ENTERED") == Cell(1234.5, "#,##0.00")
    assert parse_entered("$1,200", "USER_ENTERED") == Cell(1200.0, "$#,##0")
    assert parse_entered("2026-10-01", "USER_ENTERED") == Cell(46296, "yyyy-mm-dd")
    assert parse_entered("true", "USER_ENTERED") == Cell(True)
    assert parse_entered("nan", "USER_ENTERED") == Cell("nan")
    assert parse_entered("45%", "RAW") == Cell("45%")
    assert parse_entered("", "RAW") is None


@pytest.fixture
def store() -> SheetsStore:
    return SheetsStore(BOOK)


def _read(store: SheetsStore, text: str, major: str = "ROWS") -> dict[str, Any]:
    return store.read(store.spreadsheets["book"], text, "FORMATTED_VALUE", "SERIAL_NUMBER", major)


def test_reads_trim_and_normalise_like_google(store: SheetsStore) -> None:
    assert _read(store, "Sheet1") == {"range": "Sheet1!A1:D4", "majorDimension": "ROWS", "values": [["A1", "B1", "", "D1"], ["", "b2"], [], ["A4", "B4", "", "D4"]]}
    assert _read(store, "'Empty'") == {"range": "Empty!A1:Z1000", "majorDimension": "ROWS"}
    assert _read(store, "Sheet1!A1:B") == {"range": "Sheet1!A1:B10", "majorDimension": "ROWS", "values": [["A1", "B1"], ["", "b2"], [], ["A4", "B4"]]}
    assert _read(store, "Sheet1!B1:B4", "COLUMNS")["values"] == [["B1", "b2", "", "B4"]]
    assert _read(store, "Total")["range"] == "Sheet1!B1:B2"
    assert _read(store, "'It''s 2026'!A1:B1")["range"] == "'It''s 2026'!A1:B1"


def test_writes_stay_inside_their_range_and_the_grid(store: SheetsStore) -> None:
    book = store.spreadsheets["book"]
    write = store.plan_write(book, "Sheet1!E9", [[1], [2]], "ROWS", "RAW")  # a single cell is an anchor
    assert write.report("book")["updatedRange"] == "Sheet1!E9:E10"
    with pytest.raises(SheetsError, match=r"exceeds grid limits\. Max rows: 10, max columns: 5"):
        store.plan_write(book, "Sheet1!E10", [[1], [2]], "ROWS", "RAW")
    with pytest.raises(SheetsError, match=r"tried writing to row \[3\]"):
        store.plan_write(book, "Sheet1!A1:B2", [[1], [2], [3]], "ROWS", "RAW")
    store.apply(store.plan_write(book, "Sheet1!A1:B1", [[None, ""]], "ROWS", "RAW"))  # None keeps, "" clears
    assert _read(store, "Sheet1!A1:B1")["values"] == [["A1"]]


def test_unshared_spreadsheets_and_missing_tokens(sandbox: Sandbox, sheets: Any) -> None:
    data = {"sheets": {"spreadsheets": [{"id": "secret", "shared": False, "sheets": [{"title": "S"}]}]}}
    sandbox.load(data)
    with pytest.raises(Exception) as refused:
        sheets.spreadsheets().get(spreadsheetId="secret").execute(num_retries=0)
    assert refused.value.resp.status == 403 and b"PERMISSION_DENIED" in refused.value.content  # type: ignore[attr-defined]
    anonymous = requests.get(f"{sandbox.sheets_url}/v4/spreadsheets/secret", timeout=5)
    assert anonymous.status_code == 401 and anonymous.headers["WWW-Authenticate"].startswith("Bearer")
