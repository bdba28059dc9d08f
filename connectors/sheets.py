"""Google Sheets: read cells and ranges (all of one spreadsheet in one batchGet), write progress rows.

Built on google-api-python-client with the Sheets discovery document it ships (no discovery request)
and google-auth's service-account credentials, whose `token_uri` is honoured, so a local token server
works. googleapiclient retries only with `execute(num_retries=N)` and ignores Retry-After, so it is
left at 0 and okrsync's retry policy decides. Values are read UNFORMATTED; text cells that people
type ("45%", "1,234.50", "(12)") are parsed by mapping.units, and a cell with no number is a
bad_value error for its KR, never a 0.
"""

from __future__ import annotations

import datetime as dt
import json
import socket
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import google.auth.exceptions
import google_auth_httplib2
import httplib2
from google.oauth2 import service_account
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError

from connectors.counting import RequestCounter
from connectors.errors import (
    AuthError,
    BadQueryError,
    BadValueError,
    ConnectorError,
    NotFoundError,
    RateLimitedError,
    UnavailableError,
)
from connectors.reading import DEFAULT_EVIDENCE_CAP, Evidence, Reading
from connectors.retry import RetryPolicy, call_with_retries, retry_after_seconds
from mapping.a1 import cell_shape, parse_a1
from mapping.rules import aggregate
from mapping.units import BadCellValue, parse_number

SCOPES = ["https://www.googleapis.com/auth/spreadsheets"]
NETWORK_ERRORS = (OSError, socket.timeout, httplib2.HttpLib2Error, google.auth.exceptions.TransportError)


@dataclass(frozen=True)
class CellRead:
    """One thing to read: a single cell (`agg` None) or a range and how to combine its numbers."""

    a1: str
    agg: str | None = None


class _CountingHttp:
    """httplib2.Http that counts every request (token requests and retries included)."""

    def __init__(self, http: httplib2.Http, counter: RequestCounter):
        self._http, self._counter = http, counter

    def request(self, uri: str, method: str = "GET", body: Any = None, headers: Any = None, **kwargs: Any) -> Any:
        self._counter.add()
        return self._http.request(uri, method, body=body, headers=headers, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._http, name)


class SheetsConnector:
    """Reads metrics from, and writes progress to, one spreadsheet."""

    name = "Google Sheets"

    def __init__(
        self,
        spreadsheet: str,
        credentials_file: str,
        url: str = "https://sheets.googleapis.com",
        *,
        timeout: float = 30.0,
        evidence_cap: int = DEFAULT_EVIDENCE_CAP,
        retry: RetryPolicy = RetryPolicy(),
        sleep: Callable[[float], None] = time.sleep,
        credential_hint: str = "check the service-account file of the source",
    ):
        self.spreadsheet = spreadsheet
        self.counter = RequestCounter()
        self._evidence_cap = evidence_cap
        self._retry, self._sleep = retry, sleep
        self._hint = credential_hint
        try:
            credentials = service_account.Credentials.from_service_account_file(credentials_file, scopes=SCOPES)
        except (OSError, ValueError, KeyError):
            raise AuthError("cannot read the service-account JSON file", hint=credential_hint) from None
        http = google_auth_httplib2.AuthorizedHttp(credentials, http=_CountingHttp(httplib2.Http(timeout=timeout), self.counter))
        service = build(
            "sheets", "v4", http=http, client_options={"api_endpoint": url.rstrip("/") + "/"},
            cache_discovery=False, static_discovery=True,
        )
        # Built once: googleapiclient rebuilds a resource (and the docstrings of all its methods, tens of
        # MiB of transient allocations) on every `.spreadsheets()` / `.values()` call.
        self._spreadsheets = service.spreadsheets()
        self._values = self._spreadsheets.values()

    def check(self) -> dict[str, Any]:
        """Check the credentials and access once; returns the spreadsheet's title, locale and sheets."""
        fields = "spreadsheetId,properties(title,locale,timeZone),sheets(properties(title,sheetId))"
        return self._execute(lambda: self._spreadsheets.get(spreadsheetId=self.spreadsheet, fields=fields))

    def read(self, reads: Sequence[CellRead]) -> list[Reading | ConnectorError]:
        """Read every cell and range in one values.batchGet; one entry per read, in order.

        A range Google cannot parse fails the whole batch; then each range is read alone, so one bad
        range fails only its own KR.
        """
        ranges = list(dict.fromkeys(r.a1 for r in reads))
        started = time.perf_counter()
        try:
            with self.counter.measure() as tally:
                by_range = dict(zip(ranges, self._batch_get(ranges), strict=True))
        except BadQueryError as error:  # one unparsable range; a missing spreadsheet fails them all
            if len(ranges) == 1:
                return [error for _ in reads]
            return [self._read_alone(r) for r in reads]
        except ConnectorError as error:
            return [error for _ in reads]
        seconds = time.perf_counter() - started
        return [self._reading(r, by_range[r.a1], tally.requests, seconds, len(ranges)) for r in reads]

    def _read_alone(self, read: CellRead) -> Reading | ConnectorError:
        started = time.perf_counter()
        try:
            with self.counter.measure() as tally:
                (values,) = self._batch_get([read.a1])
        except ConnectorError as error:
            return error
        return self._reading(read, values, tally.requests, time.perf_counter() - started, 1)

    def _batch_get(self, ranges: list[str]) -> list[list[list[Any]]]:
        answer = self._execute(
            lambda: self._values.batchGet(
                spreadsheetId=self.spreadsheet, ranges=ranges, valueRenderOption="UNFORMATTED_VALUE",
                dateTimeRenderOption="SERIAL_NUMBER", majorDimension="ROWS",
            )
        )
        value_ranges = answer.get("valueRanges") or []
        if len(value_ranges) != len(ranges):
            raise UnavailableError(f"Google Sheets answered {len(value_ranges)} ranges for {len(ranges)} asked")
        return [vr.get("values") or [] for vr in value_ranges]  # no "values" key: an empty range

    def _reading(self, read: CellRead, rows: list[list[Any]], requests: int, seconds: float, batch: int) -> Reading | ConnectorError:
        sheet = parse_a1(read.a1).sheet
        prefix = f"'{sheet}'!" if sheet else ""
        notes = (f"one batchGet for {batch} ranges",) if batch > 1 else ()
        try:
            if read.agg is None:
                cell = rows[0][0] if rows and rows[0] else ""
                value = _parse(cell, read.a1)
                evidence = Evidence((f"{read.a1}={cell!r}",), 1)
            else:
                cells = [cell for row in rows for cell in row if not (isinstance(cell, str) and not cell.strip())]
                numbers = [_parse(cell, f"{read.a1} cell {i + 1}") for i, cell in enumerate(cells)]
                try:
                    value = aggregate(numbers, read.agg)
                except ValueError as error:
                    raise BadValueError(f"{read.a1}: {error}") from None
                except OverflowError:  # finite cells whose sum is not: 1e308 + 1e308
                    raise BadValueError(f"{read.a1}: the {read.agg} of the range is too large for a number") from None
                items = tuple(f"{prefix}{c!r}" for c in cells[: self._evidence_cap])
                evidence = Evidence(items, len(cells))
        except BadValueError as error:
            return error
        query = f"{read.a1}" if read.agg is None else f"{read.agg}({read.a1})"
        return Reading(value, query, evidence, requests, dt.datetime.now(dt.UTC), seconds, notes)

    # --- publishing ----------------------------------------------------------------------------

    def write(self, updates: Sequence[tuple[str, Sequence[Any]]]) -> int:
        """Write each row of values into its range (as many cells as the range holds), in one
        values.batchUpdate. Returns the number of cells Google reports updated."""
        data = []
        for a1, values in updates:
            shape = cell_shape(parse_a1(a1)) or (1, len(values))
            width = shape[0] * shape[1]
            cells = list(values[:width])
            major = "COLUMNS" if shape[1] == 1 and shape[0] > 1 else "ROWS"
            data.append({"range": a1, "majorDimension": major, "values": [cells]})
        if not data:
            return 0
        body = {"valueInputOption": "RAW", "data": data}
        answer = self._execute(
            lambda: self._values.batchUpdate(spreadsheetId=self.spreadsheet, body=body)
        )
        return int(answer.get("totalUpdatedCells", 0))

    # --- HTTP ----------------------------------------------------------------------------------

    def _execute(self, make_request: Callable[[], Any]) -> Any:
        return call_with_retries(lambda: self._attempt(make_request), self._retry, self._sleep)

    def _attempt(self, make_request: Callable[[], Any]) -> Any:
        try:
            answer = make_request().execute(num_retries=0)
        except HttpError as error:
            raise self._classify(error) from None
        except google.auth.exceptions.RefreshError as error:
            raise AuthError(f"Google refused the service account's token request ({_first_line(error)})", hint=self._hint) from None
        except NETWORK_ERRORS:
            raise UnavailableError("cannot reach Google Sheets") from None
        except ValueError:
            raise UnavailableError("Google Sheets answered with malformed JSON") from None
        if not isinstance(answer, dict):  # googleapiclient hands back the raw text of a body that is not JSON
            raise UnavailableError("Google Sheets answered with malformed JSON")
        return answer

    def _classify(self, error: HttpError) -> ConnectorError:
        status = int(error.resp.status)
        code, message, reasons = _google_error(error.content)
        headers = {k: str(v) for k, v in dict(error.resp).items()}
        if status == 401:
            return AuthError("Google rejected the service account's credentials", hint=self._hint, status=status)
        if status == 429 or code == "RESOURCE_EXHAUSTED" or reasons & {"rateLimitExceeded", "userRateLimitExceeded"}:
            return RateLimitedError(f"Google Sheets quota exceeded: {message}", retry_after=retry_after_seconds(headers), status=status)
        if status == 403:
            return AuthError(
                f"Google Sheets refused access: {message}",
                hint="share the spreadsheet with the service account's client_email", status=status,
            )
        if status == 404:
            return NotFoundError(f"no spreadsheet {self.spreadsheet!r} (or the service account cannot see it)", status=status)
        if status == 400:
            return BadQueryError(f"Google Sheets rejected the request: {message}", status=status)
        return UnavailableError(f"Google Sheets answered {status}: {message}", retry_after=retry_after_seconds(headers), status=status)


def _parse(cell: Any, where: str) -> float:
    try:
        return parse_number(cell)
    except BadCellValue as error:
        raise BadValueError(f"{where}: {error}") from None


def _google_error(content: bytes | str) -> tuple[str, str, set[str]]:
    """(status code name, message, legacy reasons) of a Google error body, both styles."""
    try:
        body = json.loads(content or b"{}")
    except ValueError:
        text = content.decode("utf-8", "replace") if isinstance(content, bytes) else str(content)
        return "", "(an HTML page)" if text.lstrip().startswith("<") else " ".join(text[:200].split()), set()
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return "", "no message", set()
    reasons = {str(e.get("reason")) for e in error.get("errors") or [] if isinstance(e, dict)}
    return str(error.get("status") or ""), str(error.get("message") or "no message"), reasons


def _first_line(error: Exception) -> str:
    text = str(error.args[0] if error.args else error)
    return text.splitlines()[0][:200] if text else type(error).__name__
