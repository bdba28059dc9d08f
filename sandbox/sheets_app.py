"""The Google Sheets API v4 subset okrsync uses, and the OAuth token endpoint that service-account
credentials (google-auth) call through their file's `token_uri`.

API calls need `Authorization: Bearer <token issued here>`. Errors use Google's
{"error": {"code", "message", "status"}} shape."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from sandbox.a1 import RangeError, parse_a1, resolve_box
from sandbox.admin import add_admin_routes
from sandbox.faults import Fault
from sandbox.field_mask import MaskError, apply_mask, parse_mask
from sandbox.middleware import TrafficMiddleware
from sandbox.service_account import GrantError
from sandbox.sheets_store import SheetsError, Spreadsheet, Write
from sandbox.state import SandboxState

JSON_TYPE = "application/json; charset=UTF-8"
STATUS_NAMES = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 404: "NOT_FOUND", 429: "RESOURCE_EXHAUSTED", 500: "INTERNAL", 502: "UNAVAILABLE", 503: "UNAVAILABLE", 504: "DEADLINE_EXCEEDED"}
SEE_SIGN_IN = "Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project."
OPTIONS = {
    "majorDimension": ("major_dimension", "Dimension", ("ROWS", "COLUMNS", "DIMENSION_UNSPECIFIED")),
    "valueRenderOption": ("value_render_option", "ValueRenderOption", ("FORMATTED_VALUE", "UNFORMATTED_VALUE", "FORMULA")),
    "dateTimeRenderOption": ("date_time_render_option", "DateTimeRenderOption", ("SERIAL_NUMBER", "FORMATTED_STRING")),
    "valueInputOption": ("value_input_option", "ValueInputOption", ("RAW", "USER_ENTERED")),
}


class GoogleError(Exception):
    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None, details: list[dict[str, Any]] | None = None):
        super().__init__(status, message)
        self.status, self.message, self.headers, self.details = status, message, headers or {}, details


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(body, ensure_ascii=False, indent=2).encode(), status, headers=headers, media_type=JSON_TYPE)


def error_response(error: GoogleError) -> Response:
    inner: dict[str, Any] = {"code": error.status, "message": error.message, "status": STATUS_NAMES.get(error.status, "UNKNOWN")}
    if error.details:
        inner["details"] = error.details
    return json_response({"error": inner}, error.status, error.headers)


def fault_response(fault: Fault) -> Response:
    if fault.kind == "rate_limit":
        metric = "Read requests"
        message = (
            f"Quota exceeded for quota metric '{metric}' and limit '{metric} per minute per user' of service "
            "'sheets.googleapis.com' for consumer 'project_number:000000000000'."
        )
        details = [{
            "@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "RATE_LIMIT_EXCEEDED", "domain": "googleapis.com",
            "metadata": {"service": "sheets.googleapis.com", "quota_metric": "sheets.googleapis.com/read_requests", "quota_limit_value": "60"},
        }]
        return error_response(GoogleError(429, message, {"Retry-After": f"{fault.retry_after:g}"}, details))
    if fault.kind == "expired_token":
        return error_response(GoogleError(401, f"Request had invalid authentication credentials. {SEE_SIGN_IN}", {"WWW-Authenticate": 'Bearer realm="https://accounts.google.com/"'}))
    messages = {500: "Internal error encountered.", 503: "The service is currently unavailable.", 504: "The request timed out."}
    return error_response(GoogleError(fault.status, messages.get(fault.status, "Bad Gateway")))


def create_sheets_app(state: SandboxState) -> TrafficMiddleware:
    app = FastAPI(title="okrsync sandbox: Google Sheets", openapi_url=None, docs_url=None, redoc_url=None)
    add_admin_routes(app, state, "sheets")

    @app.exception_handler(GoogleError)
    async def google_error(request: Request, error: GoogleError) -> Response:
        return error_response(error)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> Response:
        if request.url.path.startswith("/_admin"):
            return Response(json.dumps({"detail": error.detail}), error.status_code, media_type=JSON_TYPE)
        message = "Method not found." if error.status_code in (404, 405) else str(error.detail)
        return error_response(GoogleError(error.status_code, message))

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, error: RequestValidationError) -> Response:
        return error_response(GoogleError(400, "; ".join(f"Invalid value at '{e['loc'][-1]}': {e['msg']}" for e in error.errors())))

    @app.post("/token")
    async def token(request: Request) -> Response:
        form = {k: v[-1] for k, v in parse_qs((await request.body()).decode("utf-8", "replace")).items()}
        try:
            return json_response(state.tokens.exchange(form.get("grant_type", ""), form.get("assertion", "")), headers={"Cache-Control": "no-store"})
        except GrantError as error:
            return json_response({"error": error.error, "error_description": error.description}, 400)

    def book(request: Request, spreadsheet_id: str) -> Spreadsheet:
        _authenticate(state, request)
        found = state.sheets.spreadsheets.get(spreadsheet_id)
        if found is None:
            raise GoogleError(404, "Requested entity was not found.")
        if not found.shared:
            raise GoogleError(403, "The caller does not have permission")
        return found

    @app.get("/v4/spreadsheets/{spreadsheet_id}")
    def get_spreadsheet(request: Request, spreadsheet_id: str, fields: str | None = None) -> Response:
        with state.sheets.lock:
            answer = _metadata(book(request, spreadsheet_id))
        if fields:
            try:
                answer = apply_mask(answer, parse_mask(fields))
            except MaskError as error:
                raise GoogleError(400, str(error)) from None
        return json_response(answer)

    @app.get("/v4/spreadsheets/{spreadsheet_id}/values:batchGet")
    def batch_get(request: Request, spreadsheet_id: str) -> Response:
        params = request.query_params
        render = _reads(params)
        with state.sheets.lock:
            found = book(request, spreadsheet_id)
            ranges = params.getlist("ranges")
            answer: dict[str, Any] = {"spreadsheetId": found.id}
            if ranges:
                answer["valueRanges"] = [_read(state, found, text, render) for text in ranges]
        return json_response(answer)

    @app.post("/v4/spreadsheets/{spreadsheet_id}/values:batchUpdate")
    async def batch_update(request: Request, spreadsheet_id: str) -> Response:
        body = await _body(request)
        option = _option("valueInputOption", body.get("valueInputOption"), required=True)
        with state.sheets.lock:
            found = book(request, spreadsheet_id)
            writes = []
            for n, entry in enumerate(body.get("data") or []):
                try:
                    writes.append(_plan(state, found, entry.get("range", ""), entry, option))
                except GoogleError as error:
                    raise GoogleError(400, f"Invalid data[{n}]: {error.message}") from None
            for write in writes:
                state.sheets.apply(write)
        return json_response(_totals(found.id, writes))

    @app.get("/v4/spreadsheets/{spreadsheet_id}/values/{a1:path}")
    def get_values(request: Request, spreadsheet_id: str, a1: str) -> Response:
        render = _reads(request.query_params)
        with state.sheets.lock:
            return json_response(_read(state, book(request, spreadsheet_id), a1, render))

    @app.put("/v4/spreadsheets/{spreadsheet_id}/values/{a1:path}")
    async def update_values(request: Request, spreadsheet_id: str, a1: str) -> Response:
        body = await _body(request)
        option = _option("valueInputOption", request.query_params.get("valueInputOption"), required=True)
        with state.sheets.lock:
            found = book(request, spreadsheet_id)
            write = _plan(state, found, a1, body, option)
            state.sheets.apply(write)
        return json_response(write.report(found.id))

    return TrafficMiddleware(app, "sheets", state.faults, state.log, fault_response)


# --- helpers ---------------------------------------------------------------------------------------


def _authenticate(state: SandboxState, request: Request) -> None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    challenge = {"WWW-Authenticate": 'Bearer realm="https://accounts.google.com/"'}
    if scheme.lower() != "bearer" or not token:
        raise GoogleError(401, f"Request is missing required authentication credential. {SEE_SIGN_IN}", challenge)
    if not state.tokens.accepts(token.strip()):
        raise GoogleError(401, f"Request had invalid authentication credentials. {SEE_SIGN_IN}", challenge)


def _option(name: str, value: Any, required: bool = False, default: str = "") -> str:
    field, kind, allowed = OPTIONS[name]
    if value in (None, ""):
        if required:
            raise GoogleError(400, f"'{field}' is required but not specified")
        return default
    if value not in allowed:
        raise GoogleError(400, f"Invalid value at '{field}' (type.googleapis.com/google.apps.sheets.v4.{kind}), \"{value}\"")
    return str(value)


def _reads(params: Any) -> tuple[str, str, str]:
    """(valueRenderOption, dateTimeRenderOption, majorDimension) with Google's defaults."""
    major = _option("majorDimension", params.get("majorDimension"), default="ROWS")
    return (
        _option("valueRenderOption", params.get("valueRenderOption"), default="FORMATTED_VALUE"),
        _option("dateTimeRenderOption", params.get("dateTimeRenderOption"), default="SERIAL_NUMBER"),
        "ROWS" if major == "DIMENSION_UNSPECIFIED" else major,
    )


def _read(state: SandboxState, book: Spreadsheet, text: str, render: tuple[str, str, str]) -> dict[str, Any]:
    try:
        return state.sheets.read(book, text, *render)
    except (RangeError, SheetsError) as error:
        raise GoogleError(400, str(error)) from None


def _plan(state: SandboxState, book: Spreadsheet, text: str, entry: dict[str, Any], option: str) -> Write:
    values = entry.get("values") or []
    if not isinstance(values, list) or not all(isinstance(row, list) for row in values):
        raise GoogleError(400, "Invalid value at 'data.values' (type.googleapis.com/google.protobuf.ListValue)")
    major = _option("majorDimension", entry.get("majorDimension"), default="ROWS")
    try:
        return state.sheets.plan_write(book, text, values, "COLUMNS" if major == "COLUMNS" else "ROWS", option)
    except (RangeError, SheetsError) as error:
        raise GoogleError(400, str(error)) from None


def _totals(spreadsheet_id: str, writes: list[Write]) -> dict[str, Any]:
    rows = {(w.target.sheet.id, r) for w in writes for (r, _), _ in w.cells}
    columns = {(w.target.sheet.id, c) for w in writes for (_, c), _ in w.cells}
    answer: dict[str, Any] = {
        "spreadsheetId": spreadsheet_id,
        "totalUpdatedRows": len(rows),
        "totalUpdatedColumns": len(columns),
        "totalUpdatedCells": sum(len(w.cells) for w in writes),
        "totalUpdatedSheets": len({w.target.sheet.id for w in writes if w.cells}),
    }
    if writes:
        answer["responses"] = [w.report(spreadsheet_id) for w in writes]
    return answer


async def _body(request: Request) -> dict[str, Any]:
    try:
        body = json.loads(await request.body() or b"{}")
    except ValueError:
        raise GoogleError(400, "Invalid JSON payload received.") from None
    if not isinstance(body, dict):
        raise GoogleError(400, "Invalid JSON payload received. Expected an object.")
    return body


def _metadata(book: Spreadsheet) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "spreadsheetId": book.id,
        "properties": {
            "title": book.title,
            "locale": book.locale,
            "autoRecalc": "ON_CHANGE",
            "timeZone": book.time_zone,
            "defaultFormat": {"verticalAlignment": "BOTTOM", "wrapStrategy": "OVERFLOW_CELL", "textFormat": {"fontFamily": "arial,sans,sans-serif", "fontSize": 10}},
        },
        "sheets": [
            {"properties": {"sheetId": s.id, "title": s.title, "index": s.index, "sheetType": "GRID", "gridProperties": {"rowCount": s.rows, "columnCount": s.columns}}}
            for s in book.sheets
        ],
        "spreadsheetUrl": f"https://docs.google.com/spreadsheets/d/{book.id}/edit",
    }
    named = []
    for n, (name, a1) in enumerate(sorted(book.named_ranges.items())):
        parsed = parse_a1(a1)
        sheet = book.sheet(parsed.sheet or "")
        if sheet is None:
            continue
        box = resolve_box(parsed, sheet.rows, sheet.columns)
        named.append({
            "namedRangeId": f"sandbox{n}", "name": name,
            "range": {"sheetId": sheet.id, "startRowIndex": box.row0, "endRowIndex": box.row1 + 1, "startColumnIndex": box.col0, "endColumnIndex": box.col1 + 1},
        })
    if named:
        answer["namedRanges"] = named
    return answer
