"""The Jira REST API subset okrsync uses, as Jira Cloud or Data Center ("Server") answers it.

Cloud: HTTP Basic (email, API token); searches go to /rest/api/{2,3}/search/jql (token paging, no
total) and the old /search answers 410 Gone. Data Center: `Authorization: Bearer <PAT>`;
/rest/api/2/search (startAt, total). Errors use Jira's {"errorMessages", "errors"} shape."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from sandbox import jql
from sandbox.admin import add_admin_routes
from sandbox.faults import Fault
from sandbox.jira_render import JiraRenderer
from sandbox.jira_store import EPIC_LINK, Issue, state_at
from sandbox.middleware import TrafficMiddleware
from sandbox.state import SandboxState

CLOUD_KEYS_PAGE, CLOUD_PAGE, SERVER_PAGE, DEFAULT_PAGE = 5000, 100, 1000, 50
VERSIONS = ("2", "3", "latest")
NOT_AUTHENTICATED = "Client must be authenticated to access this resource."
NO_ISSUE = "Issue does not exist or you do not have permission to see it."
SEARCH_GONE = (
    "The requested API has been removed. Please migrate to the /rest/api/3/search/jql API. "
    "A full migration guideline is available at https://developer.atlassian.com/changelog/#CHANGE-2046"
)
RATE_LIMIT_PAGE = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Oops - an error has occurred</title>
</head><body class="error-page error429"><div id="page"><section id="content" role="main"><h1>Rate limit exceeded</h1>
<p>You have sent too many requests in a given amount of time. Try again later.</p></section></div></body></html>"""


class JiraError(Exception):
    """An error answer in Jira's shape."""

    def __init__(self, status: int, messages: list[str] | None = None, errors: dict[str, str] | None = None, headers: dict[str, str] | None = None):
        super().__init__(status, messages)
        self.status, self.messages, self.errors, self.headers = status, messages or [], errors or {}, headers or {}


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    content = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
    return Response(content, status, headers=headers, media_type="application/json;charset=UTF-8")


def error_response(error: JiraError) -> Response:
    return json_response({"errorMessages": error.messages, "errors": error.errors}, error.status, error.headers)


def fault_response(fault: Fault) -> Response:
    """What Jira sends when rate limiting, failing or refusing an expired token."""
    if fault.kind == "rate_limit":
        headers = {
            "Retry-After": f"{fault.retry_after:g}",
            "X-RateLimit-Limit": "100",
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-FillRate": "10",
            "X-RateLimit-Interval-Seconds": "1",
            "RateLimit-Reason": "jira-quota-tenant-based",
        }
        return Response(RATE_LIMIT_PAGE, 429, headers=headers, media_type="text/html;charset=UTF-8")
    if fault.kind == "expired_token":
        return error_response(JiraError(401, [NOT_AUTHENTICATED], headers=_AUTH_FAILED))
    messages = {500: "Internal server error", 502: "Bad gateway", 503: "Service unavailable", 504: "Gateway timeout"}
    headers = {"Retry-After": f"{fault.retry_after:g}"} if fault.status == 503 else {}
    return error_response(JiraError(fault.status, [messages.get(fault.status, "Server error")], headers=headers))


_AUTH_FAILED = {"X-Seraph-LoginReason": "AUTHENTICATED_FAILED", "WWW-Authenticate": 'OAuth realm="https%3A%2F%2Fsandbox.atlassian.net"'}


def create_jira_app(state: SandboxState) -> TrafficMiddleware:
    app = FastAPI(title="okrsync sandbox: Jira", openapi_url=None, docs_url=None, redoc_url=None)
    add_admin_routes(app, state, "jira")

    @app.exception_handler(JiraError)
    async def jira_error(request: Request, error: JiraError) -> Response:
        return error_response(error)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> Response:
        if request.url.path.startswith("/_admin"):
            return json_response({"detail": error.detail}, error.status_code)
        return error_response(JiraError(error.status_code, [] if error.status_code == 404 else [str(error.detail)]))

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, error: RequestValidationError) -> Response:
        return error_response(JiraError(400, [f"Invalid request: {e.get('loc', [''])[-1]} {e.get('msg', '')}" for e in error.errors()]))

    def begin(request: Request, version: str) -> JiraRenderer:
        """Check the API version and the credentials; a renderer for this request's base URL."""
        if version not in VERSIONS:
            raise JiraError(404)
        _authenticate(state, request)
        base = str(request.base_url).rstrip("/")
        return JiraRenderer(state.jira, base, state.clock.now())

    @app.get("/rest/api/{version}/serverInfo")
    def server_info(request: Request, version: str) -> Response:
        if request.headers.get("authorization"):
            _authenticate(state, request)
        view = JiraRenderer(state.jira, str(request.base_url).rstrip("/"), state.clock.now())
        return json_response(view.server_info())

    @app.get("/rest/api/{version}/myself")
    def myself(request: Request, version: str) -> Response:
        return json_response(begin(request, version).myself())

    @app.get("/rest/api/{version}/field")
    def fields(request: Request, version: str) -> Response:
        return json_response(begin(request, version).fields())

    @app.api_route("/rest/api/{version}/search/jql", methods=["GET", "POST"])
    async def search_jql(request: Request, version: str) -> Response:
        view = begin(request, version)
        if not state.jira.is_cloud:
            raise JiraError(404, ["null for uri: " + str(request.url)])
        params = await _search_params(request)
        text = str(params.get("jql") or "")
        with state.jira.lock:
            found = _run(state, text, view)
            wanted = _wanted_fields(params.get("fields"), default={"id"})
            cap = CLOUD_KEYS_PAGE if wanted is not None and wanted <= {"id", "key"} else CLOUD_PAGE
            size = max(1, min(_int(params.get("maxResults"), DEFAULT_PAGE, "maxResults") or DEFAULT_PAGE, cap))
            start = _read_token(str(params["nextPageToken"]), text) if params.get("nextPageToken") else 0
            page = found[start : start + size]
            issues = [view.issue(s, _without_key(wanted), "") for s in page]
        body: dict[str, Any] = {"issues": issues}
        if start + size < len(found):
            body["nextPageToken"] = _make_token(text, start + size)
        body["isLast"] = start + size >= len(found)
        return json_response(body)

    @app.api_route("/rest/api/{version}/search", methods=["GET", "POST"])
    async def search(request: Request, version: str) -> Response:
        view = begin(request, version)
        if state.jira.is_cloud:
            raise JiraError(410, [SEARCH_GONE])
        params = await _search_params(request)
        with state.jira.lock:
            found = _run(state, str(params.get("jql") or ""), view)
            start = max(0, _int(params.get("startAt"), 0, "startAt"))
            size = max(0, min(_int(params.get("maxResults"), DEFAULT_PAGE, "maxResults"), SERVER_PAGE))
            wanted = _wanted_fields(params.get("fields"), default=None)
            expand = "operations,versionedRepresentations,editmeta,changelog,renderedFields"
            issues = [view.issue(s, _without_key(wanted), expand) for s in found[start : start + size]]
        return json_response({"expand": "schema,names", "startAt": start, "maxResults": size, "total": len(found), "issues": issues})

    @app.post("/rest/api/{version}/search/approximate-count")
    async def approximate_count(request: Request, version: str) -> Response:
        view = begin(request, version)
        if not state.jira.is_cloud:
            raise JiraError(404, ["null for uri: " + str(request.url)])
        body = await _json_body(request)
        with state.jira.lock:
            return json_response({"count": len(_run(state, str(body.get("jql") or ""), view))})

    @app.get("/rest/api/{version}/issue/{key}")
    def get_issue(request: Request, version: str, key: str, fields: str | None = None) -> Response:
        view = begin(request, version)
        wanted = _without_key(_wanted_fields(fields, default=None))
        with state.jira.lock:
            issue = _issue(state, key, view)
            answer = view.issue(state_at(issue, view.now), wanted, "renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations")
        return json_response(answer)

    @app.put("/rest/api/{version}/issue/{key}")
    async def edit_issue(request: Request, version: str, key: str) -> Response:
        view = begin(request, version)
        body = await _json_body(request)
        with state.jira.lock:
            issue = _issue(state, key, view)
            _edit(state, issue, body)
            issue.edited = view.now
        return Response(status_code=204)

    @app.get("/rest/api/{version}/issue/{key}/comment")
    def list_comments(request: Request, version: str, key: str, startAt: int = 0, maxResults: int = 5000) -> Response:  # noqa: N803
        view = begin(request, version)
        with state.jira.lock:
            issue = _issue(state, key, view)
            return json_response(view.comments(issue, max(0, startAt), max(0, maxResults)))

    @app.post("/rest/api/{version}/issue/{key}/comment")
    async def add_comment(request: Request, version: str, key: str) -> Response:
        view = begin(request, version)
        body = await _json_body(request)
        text = body.get("body")
        if not isinstance(text, str) or not text.strip():
            raise JiraError(400, errors={"comment": "Comment body can not be empty!"})
        with state.jira.lock:
            issue = _issue(state, key, view)
            comment = state.jira.add_comment(issue, text, view.now)
            return json_response(view.comment(issue, comment), 201)

    @app.get("/rest/api/{version}/issue/{key}/comment/{comment_id}")
    def get_comment(request: Request, version: str, key: str, comment_id: str) -> Response:
        view = begin(request, version)
        with state.jira.lock:
            issue = _issue(state, key, view)
            return json_response(view.comment(issue, _comment(issue, comment_id, view)))

    @app.put("/rest/api/{version}/issue/{key}/comment/{comment_id}")
    async def edit_comment(request: Request, version: str, key: str, comment_id: str) -> Response:
        view = begin(request, version)
        body = await _json_body(request)
        text = body.get("body")
        if not isinstance(text, str) or not text.strip():
            raise JiraError(400, errors={"comment": "Comment body can not be empty!"})
        with state.jira.lock:
            issue = _issue(state, key, view)
            comment = _comment(issue, comment_id, view)
            comment.body, comment.updated = text, view.now
            return json_response(view.comment(issue, comment))

    @app.get("/rest/api/{version}/issue/{key}/properties/{name}")
    def get_property(request: Request, version: str, key: str, name: str) -> Response:
        view = begin(request, version)
        with state.jira.lock:
            issue = _issue(state, key, view)
            if name not in issue.properties:
                raise JiraError(404, [f"The property with key '{name}' does not exist."])
            return json_response({"key": name, "value": issue.properties[name]})

    @app.put("/rest/api/{version}/issue/{key}/properties/{name}")
    async def set_property(request: Request, version: str, key: str, name: str) -> Response:
        view = begin(request, version)
        if len(name) > 255:
            raise JiraError(400, ["The property key can't be longer than 255 characters."])
        try:
            value = json.loads(await request.body() or b"null")
        except ValueError:
            raise JiraError(400, ["The property value must be valid JSON."]) from None
        with state.jira.lock:
            issue = _issue(state, key, view)
            created = name not in issue.properties
            issue.properties[name] = value
        return Response(status_code=201 if created else 200)

    return TrafficMiddleware(app, "jira", state.faults, state.log, fault_response)


# --- helpers ---------------------------------------------------------------------------------------


def _authenticate(state: SandboxState, request: Request) -> None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    creds = state.credentials
    if state.jira.is_cloud and scheme.lower() == "basic":
        try:
            email, _, token = base64.b64decode(value).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            email = token = ""
        if (email, token) == (creds.jira_email, creds.jira_token):
            return
    elif not state.jira.is_cloud and scheme.lower() == "bearer" and value == creds.jira_pat:
        return
    raise JiraError(401, [NOT_AUTHENTICATED], headers=_AUTH_FAILED)


async def _json_body(request: Request) -> dict[str, Any]:
    try:
        body = json.loads(await request.body() or b"{}")
    except ValueError:
        raise JiraError(400, ["Unexpected character in the request body: not valid JSON."]) from None
    if not isinstance(body, dict):
        raise JiraError(400, ["The request body must be a JSON object."])
    return body


async def _search_params(request: Request) -> dict[str, Any]:
    """Search parameters from the query string (GET; `fields` repeated or comma-separated) or body (POST)."""
    if request.method == "POST":
        return await _json_body(request)
    params: dict[str, Any] = dict(request.query_params)
    fields = request.query_params.getlist("fields")
    if fields:
        params["fields"] = fields
    return params


def _int(value: Any, default: int, name: str) -> int:
    if value in (None, ""):
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        raise JiraError(400, [f"The value '{value}' is not valid for the parameter '{name}'."]) from None


def _wanted_fields(raw: Any, default: set[str] | None) -> set[str] | None:
    """The field ids asked for; None means all (`*all`, `*navigable`)."""
    if raw in (None, "", []):
        return default
    names = [n.strip() for item in (raw if isinstance(raw, list) else [raw]) for n in str(item).split(",") if n.strip()]
    if any(n in ("*all", "*navigable") for n in names):
        return None
    return {n for n in names if not n.startswith("-")}


def _without_key(wanted: set[str] | None) -> set[str] | None:
    """`id` and `key` are top-level members of an issue, not fields."""
    return None if wanted is None else wanted - {"id", "key"}


def _run(state: SandboxState, text: str, view: JiraRenderer) -> list[Any]:
    try:
        query = jql.parse(text, state.jira, view.now)
    except jql.JqlError as error:
        raise JiraError(400, [str(error)]) from None
    if state.jira.is_cloud and not query.bounded:
        raise JiraError(400, ["Unbounded JQL queries are not allowed here. Please add a search restriction to your query."])
    return query.run(state.jira.states(view.now))


def _make_token(text: str, offset: int) -> str:
    digest = hashlib.sha256(text.encode()).hexdigest()[:16]
    return base64.urlsafe_b64encode(json.dumps({"q": digest, "o": offset}).encode()).decode().rstrip("=")


def _read_token(token: str, text: str) -> int:
    try:
        raw = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        if raw["q"] != hashlib.sha256(text.encode()).hexdigest()[:16]:
            raise ValueError
        return int(raw["o"])
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise JiraError(400, ["The provided next page token is invalid or expired."]) from None


def _issue(state: SandboxState, key: str, view: JiraRenderer) -> Issue:
    issue = state.jira.find_issue(key, view.now)
    if issue is None:
        raise JiraError(404, [NO_ISSUE])
    return issue


def _comment(issue: Issue, comment_id: str, view: JiraRenderer) -> Any:
    found = next((c for c in issue.comments if c.id == comment_id and c.created <= view.now), None)
    if found is None:
        raise JiraError(404, [f"Can not find a comment for the id: {comment_id}."])
    return found


def _edit(state: SandboxState, issue: Issue, body: dict[str, Any]) -> None:
    """Apply {"fields": {...}}: the sandbox edits numeric custom fields only."""
    if set(body) - {"fields", "update"} or body.get("update"):
        raise JiraError(400, ["The okrsync sandbox supports only 'fields' in an issue edit."])
    errors, values = {}, {}
    for name, value in (body.get("fields") or {}).items():
        field = state.jira.custom_field(name)
        if field is None or field is EPIC_LINK:
            errors[name] = f"Field '{name}' cannot be set. It is not on the appropriate screen, or unknown."
        elif value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
            errors[field.id] = "Operation value must be a number"
        else:
            values[field.id] = value
    if errors:
        raise JiraError(400, errors=errors)
    for field_id, value in values.items():
        if value is None:
            issue.values.pop(field_id, None)
        else:
            issue.values[field_id] = float(value)
