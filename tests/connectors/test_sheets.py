"""Google Sheets: one batchGet per spreadsheet, unformatted values, typed text, bad values, errors, retries.

The connector is built from a real service-account file (a generated RSA key); its token request
goes to the file's token_uri, answered by the mocked httplib2 like every Sheets API call.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import httplib2
import pytest

from connectors.errors import (
    AuthError,
    BadQueryError,
    BadValueError,
    ConnectorError,
    NotFoundError,
    RateLimitedError,
    UnavailableError,
)
from connectors.reading import Reading
from connectors.retry import RetryPolicy
from connectors.sheets import CellRead, SheetsConnector
from tests.connectors import payloads as p
from tests.connectors.conftest import ONE_TRY, SheetsHttp, Sleeps

BATCH_GET = f"https://sheets.googleapis.com/v4/spreadsheets/{p.SPREADSHEET}/values:batchGet"


def query_of(request: tuple[str, str, Any, Any]) -> dict[str, list[str]]:
    return parse_qs(urlsplit(request[0]).query)


def only_reading(results: list[Reading | ConnectorError]) -> Reading:
    (result,) = results
    assert isinstance(result, Reading), result
    return result


def only_error(results: list[Reading | ConnectorError]) -> ConnectorError:
    (result,) = results
    assert isinstance(result, ConnectorError), result
    return result


# --- one batchGet, unformatted values, typed text ---------------------------------------------------


def test_all_ranges_of_a_spreadsheet_are_read_in_one_batch_get(sheets_http: SheetsHttp, sheets: SheetsConnector) -> None:
    reads = [
        CellRead("'Team KPIs 🚀'!B2"),
        CellRead("'Bob''s numbers'!C2:C7", "sum"),
        CellRead("Survey!B2"),
        CellRead("'Bob''s numbers'!C2:C7", "max"),  # the same range twice is asked for once
    ]
    sheets_http.token().answer(200, p.batch_get(
        p.value_range("'Team KPIs 🚀'!B2", [[0.45]]),
        p.value_range("'Bob''s numbers'!C2:C7", [["1,234.50"], ["(12)"], [""], ["$1,200"], [3]]),
        p.value_range("Survey!B2", [["45%"]]),
    ))

    results = sheets.read(reads)

    token_uri, token_method, token_body, _ = sheets_http.request_sequence[0]
    assert (token_uri, token_method) == (p.TOKEN_URI, "POST")  # the key file's token_uri is honoured
    assert parse_qs(token_body.decode())["grant_type"] == ["urn:ietf:params:oauth:grant-type:jwt-bearer"]
    assert len(sheets_http.api_requests) == 1
    uri, method, _, headers = sheets_http.api_requests[0]
    assert method == "GET" and uri.startswith(BATCH_GET)
    assert query_of(sheets_http.api_requests[0])["ranges"] == ["'Team KPIs 🚀'!B2", "'Bob''s numbers'!C2:C7", "Survey!B2"]
    assert query_of(sheets_http.api_requests[0])["valueRenderOption"] == ["UNFORMATTED_VALUE"]
    assert headers["authorization"] == f"Bearer {p.ACCESS_TOKEN}"
    assert all(isinstance(r, Reading) for r in results)
    cell, total, survey, largest = results
    assert cell.value == 0.45 and cell.query == "'Team KPIs 🚀'!B2"
    assert total.value == pytest.approx(1234.5 - 12 + 1200 + 3)
    assert total.query == "sum('Bob''s numbers'!C2:C7)"
    assert total.evidence.total == 4  # the empty cell is skipped, not counted as 0
    assert survey.value == 0.45
    assert largest.value == 1234.5
    assert cell.notes == ("one batchGet for 3 ranges",)
    assert cell.requests == 2  # the service account's token request and the one batchGet
    assert sheets.counter.total == 2


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        (0.45, 0.45),  # a percentage cell arrives unformatted
        (1234.5, 1234.5),
        (-12, -12.0),
        (True, 1.0),  # a checkbox
        ("45%", 0.45),
        ("1,234.50", 1234.5),
        ("(12)", -12.0),
        ("$1,200", 1200.0),
        ("1 234", 1234.0),
        ("−7", -7.0),
    ],
)
def test_unformatted_numbers_and_typed_text_are_parsed(
    sheets_http: SheetsHttp, sheets: SheetsConnector, cell: object, expected: float
) -> None:
    sheets_http.token().answer(200, p.batch_get(p.value_range("Survey!B2", [[cell]])))

    reading = only_reading(sheets.read([CellRead("Survey!B2")]))

    assert reading.value == pytest.approx(expected)
    assert reading.evidence.items == (f"Survey!B2={cell!r}",)


@pytest.mark.parametrize("cell", ["#N/A", "", "N/A", "-", "#REF!", "TBD", "🍇"])
def test_cells_without_a_number_are_bad_values_never_zero(sheets_http: SheetsHttp, sheets: SheetsConnector, cell: str) -> None:
    sheets_http.token().answer(200, p.batch_get(p.value_range("'Team KPIs'!B2", [[cell]])))

    error = only_error(sheets.read([CellRead("'Team KPIs'!B2")]))

    assert isinstance(error, BadValueError) and error.error_class == "bad_value"
    assert "'Team KPIs'!B2" in str(error)


def test_a_missing_values_key_is_an_empty_range(sheets_http: SheetsHttp, sheets: SheetsConnector) -> None:
    sheets_http.token().answer(200, p.batch_get(p.value_range("Survey!B2"), p.value_range("Survey!C2:C9")))

    cell, counted, summed = sheets.read([CellRead("Survey!B2"), CellRead("Survey!C2:C9", "count"), CellRead("Survey!C2:C9", "sum")])

    assert isinstance(cell, BadValueError) and "empty" in str(cell)
    assert isinstance(counted, Reading) and counted.value == 0 and counted.evidence.total == 0
    assert isinstance(summed, BadValueError) and "holds no numbers" in str(summed)


def test_a_range_with_a_word_in_it_fails_only_that_kr(sheets_http: SheetsHttp, sheets: SheetsConnector) -> None:
    sheets_http.token().answer(200, p.batch_get(
        p.value_range("Weekly!B2:B6", [[10], [""], ["N/A"], [12]]),
        p.value_range("Weekly!C2:C6", [[1], [], [2]]),  # ragged rows: trailing empties are trimmed
    ))

    bad, good = sheets.read([CellRead("Weekly!B2:B6", "sum"), CellRead("Weekly!C2:C6", "last")])

    assert isinstance(bad, BadValueError) and "Weekly!B2:B6" in str(bad) and "'N/A'" in str(bad)
    assert isinstance(good, Reading) and good.value == 2


def test_unicode_sheet_names_and_values(sheets_http: SheetsHttp, sheets: SheetsConnector) -> None:
    a1 = "'🌵 Équipe ''Nord'''!A1:C2"
    sheets_http.token().answer(200, p.batch_get(p.value_range(a1, [["1,5k", "2k", "€ 99"], ["🍇"]])))

    only_error(sheets.read([CellRead(a1, "sum")]))

    assert query_of(sheets_http.api_requests[0])["ranges"] == [a1]
    assert "%F0%9F%8C%B5" in sheets_http.api_requests[0][0]  # sent as UTF-8, percent-encoded
    assert unquote(urlsplit(sheets_http.api_requests[0][0]).query).count("🌵") == 1


def test_evidence_is_capped_at_evidence_cap_with_the_true_total(
    sheets_http: SheetsHttp, make_sheets: Callable[..., SheetsConnector]
) -> None:
    sheets_http.token().answer(200, p.batch_get(p.value_range("Log!A1:A20", [[n] for n in range(1, 21)])))

    reading = only_reading(make_sheets(evidence_cap=5).read([CellRead("Log!A1:A20", "sum")]))

    assert reading.value == 210
    assert len(reading.evidence.items) == 5 and reading.evidence.total == 20 and reading.evidence.truncated


# --- a range Google cannot parse ------------------------------------------------------------------


def test_an_unparsable_range_fails_only_its_own_kr(sheets_http: SheetsHttp, sheets: SheetsConnector) -> None:
    reads = [CellRead("Survey!B2"), CellRead("'No such sheet'!A1"), CellRead("Survey!C2:C4", "avg")]
    sheets_http.token()
    sheets_http.answer(400, p.sheets_unparsable_range("'No such sheet'!A1"))  # the batch fails as a whole
    sheets_http.answer(200, p.batch_get(p.value_range("Survey!B2", [[0.45]])))
    sheets_http.answer(400, p.sheets_unparsable_range("'No such sheet'!A1"))
    sheets_http.answer(200, p.batch_get(p.value_range("Survey!C2:C4", [[1], [2], [6]])))

    first, bad, third = sheets.read(reads)

    assert [query_of(r)["ranges"] for r in sheets_http.api_requests] == [
        ["Survey!B2", "'No such sheet'!A1", "Survey!C2:C4"], ["Survey!B2"], ["'No such sheet'!A1"], ["Survey!C2:C4"]]
    assert isinstance(first, Reading) and first.value == 0.45 and first.requests == 1
    assert isinstance(bad, BadQueryError) and "Unable to parse range: 'No such sheet'!A1" in str(bad)
    assert isinstance(third, Reading) and third.value == 3


# --- errors --------------------------------------------------------------------------------------

ERROR_CASES = [
    pytest.param(403, p.SHEETS_PERMISSION_DENIED, {}, AuthError, id="403-permission-denied"),
    pytest.param(404, p.SHEETS_NOT_FOUND, {}, NotFoundError, id="404"),
    pytest.param(400, p.sheets_unparsable_range("Sheet 1"), {}, BadQueryError, id="400-unable-to-parse-range"),
    pytest.param(400, p.google_error(400, "Bad Request", reasons=("keyInvalid",)), {}, BadQueryError, id="400-legacy-errors-array"),
    pytest.param(429, p.SHEETS_RESOURCE_EXHAUSTED, {}, RateLimitedError, id="429-resource-exhausted"),
    pytest.param(403, p.SHEETS_USER_RATE_LIMIT_LEGACY, {}, RateLimitedError, id="403-userRateLimitExceeded"),
    pytest.param(500, p.google_error(500, "Internal Server Error", reasons=("internalError",)), {}, UnavailableError, id="500"),
    pytest.param(503, p.SHEETS_BACKEND_ERROR, {}, UnavailableError, id="503-backendError"),
    pytest.param(502, "<!DOCTYPE html><html lang=en><title>Error 502 (Server Error)!!1</title></html>", {"content-type": "text/html"},
                 UnavailableError, id="502-html"),
    pytest.param(200, '{"spreadsheetId": "1AbC", "valueRanges": [{"range": "Survey!B2", "majorDim', {}, UnavailableError,
                 id="malformed-json"),
]


@pytest.mark.parametrize(("status", "body", "headers", "error"), ERROR_CASES)
def test_each_answer_is_classified(
    sheets_http: SheetsHttp, make_sheets: Callable[..., SheetsConnector], status: int, body: object, headers: dict, error: type
) -> None:
    sheets_http.token().answer(status, body, headers)

    failure = only_error(make_sheets(retry=ONE_TRY).read([CellRead("Survey!B2")]))

    assert type(failure) is error and failure.error_class == error.error_class
    assert "<html" not in str(failure).lower() and "b'" not in str(failure)
    if status >= 400:
        assert failure.status == status


def test_permission_denied_tells_the_user_to_share_the_sheet(sheets_http: SheetsHttp, sheets: SheetsConnector) -> None:
    sheets_http.token().answer(403, p.SHEETS_PERMISSION_DENIED)

    with pytest.raises(AuthError) as raised:
        sheets.check()

    assert str(raised.value) == (
        "Google Sheets refused access: The caller does not have permission "
        "(share the spreadsheet with the service account's client_email)"
    )


def test_401_is_an_auth_error_after_google_auths_own_token_refreshes(
    sheets_http: SheetsHttp, sheets: SheetsConnector, sleeps: Sleeps
) -> None:
    for _ in range(3):  # google-auth-httplib2 refreshes the token twice on a 401 before giving up
        sheets_http.token().answer(401, p.SHEETS_UNAUTHENTICATED, {"www-authenticate": 'Bearer realm="https://accounts.google.com/"'})

    with pytest.raises(AuthError, match="Google rejected the service account's credentials"):
        sheets.check()

    assert len(sheets_http.api_requests) == 3 and sleeps == []


def test_a_refused_token_request_is_an_auth_error(sheets_http: SheetsHttp, sheets: SheetsConnector) -> None:
    sheets_http.answer(400, {"error": "invalid_grant", "error_description": "Invalid JWT Signature."}, {"content-type": "application/json"})

    with pytest.raises(AuthError, match=r"Google refused the service account's token request \(invalid_grant: Invalid JWT Signature.\)"):
        sheets.check()

    assert sheets_http.api_requests == []


@pytest.mark.parametrize(
    "failure",
    [socket.timeout("timed out"), ConnectionRefusedError(111, "Connection refused"),
     httplib2.ServerNotFoundError("Unable to find the server")],
    ids=["timeout", "connection-refused", "dns"],
)
def test_timeouts_and_connection_errors_are_unavailable(
    sheets_http: SheetsHttp, make_sheets: Callable[..., SheetsConnector], failure: Exception
) -> None:
    sheets_http.token().fail(failure)

    error = only_error(make_sheets(retry=ONE_TRY).read([CellRead("Survey!B2")]))

    assert isinstance(error, UnavailableError)


def test_a_token_endpoint_that_cannot_be_reached_is_unavailable_not_auth(
    sheets_http: SheetsHttp, make_sheets: Callable[..., SheetsConnector]
) -> None:
    sheets_http.fail(socket.timeout("timed out"))

    with pytest.raises(UnavailableError):
        make_sheets(retry=ONE_TRY).check()


def test_an_unreadable_service_account_file_is_an_auth_error(tmp_path: Any, sheets_http: SheetsHttp) -> None:
    broken = tmp_path / "sa.json"
    broken.write_text(json.dumps({"type": "service_account", "client_email": "x@y"}))

    for path in (broken, tmp_path / "missing.json"):
        with pytest.raises(AuthError, match="cannot read the service-account JSON file"):
            SheetsConnector(p.SPREADSHEET, str(path))


# --- retries -------------------------------------------------------------------------------------


def test_resource_exhausted_then_success_is_retried_with_backoff(sheets_http: SheetsHttp, sheets: SheetsConnector, sleeps: Sleeps) -> None:
    sheets_http.token().answer(429, p.SHEETS_RESOURCE_EXHAUSTED)
    sheets_http.answer(200, p.batch_get(p.value_range("Survey!B2", [[0.5]])))

    reading = only_reading(sheets.read([CellRead("Survey!B2")]))

    assert reading.value == 0.5
    assert len(sleeps) == 1 and 0 <= sleeps[0] <= 20  # Google names no wait: exponential backoff with jitter
    assert len(sheets_http.api_requests) == 2 and reading.requests == 3  # token + 2 batchGets


def test_429_with_retry_after_is_honoured(sheets_http: SheetsHttp, sheets: SheetsConnector, sleeps: Sleeps) -> None:
    sheets_http.token().answer(429, p.SHEETS_RESOURCE_EXHAUSTED, {"retry-after": "5"})
    sheets_http.answer(200, p.batch_get(p.value_range("Survey!B2", [[0.5]])))

    only_reading(sheets.read([CellRead("Survey!B2")]))

    assert sleeps == [5.0]


def test_quota_errors_past_the_attempts_fail_as_rate_limited(
    sheets_http: SheetsHttp, make_sheets: Callable[..., SheetsConnector], sleeps: Sleeps
) -> None:
    sheets_http.token()
    for _ in range(3):
        sheets_http.answer(429, p.SHEETS_RESOURCE_EXHAUSTED)

    error = only_error(make_sheets(retry=RetryPolicy(attempts=3)).read([CellRead("Survey!B2")]))

    assert isinstance(error, RateLimitedError) and len(sleeps) == 2


# --- check ---------------------------------------------------------------------------------------


def test_check_reads_the_spreadsheet_once(sheets_http: SheetsHttp, sheets: SheetsConnector) -> None:
    sheets_http.token().answer(200, p.spreadsheet_metadata())

    answer = sheets.check()

    assert answer["properties"]["title"] == "OKR Board 2026-Q4"
    uri = sheets_http.api_requests[0][0]
    assert urlsplit(uri).path == f"/v4/spreadsheets/{p.SPREADSHEET}"
    fields = "spreadsheetId,properties(title,locale,timeZone),sheets(properties(title,sheetId))"
    assert query_of(sheets_http.api_requests[0])["fields"] == [fields]
