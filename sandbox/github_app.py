"""The GitHub REST API subset okrsync uses, under `/` (github.com) and `/api/v3` (GitHub Enterprise).

Tokens come as `Authorization: token X` or `Bearer X`. Every answer carries x-ratelimit-* headers;
core (5,000 an hour) and search (30 a minute) budgets are kept per token and an exhausted one
answers 403. Every GET has an ETag; a matching If-None-Match answers 304 and costs nothing."""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from sandbox import github_search
from sandbox.admin import add_admin_routes
from sandbox.faults import Fault
from sandbox.github_render import GitHubRenderer
from sandbox.github_store import Item, Repo
from sandbox.middleware import TrafficMiddleware
from sandbox.rate_limit import Budget
from sandbox.state import SandboxState

DOCS = "https://docs.github.com/rest"
SECONDARY_DOCS = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"
SECONDARY_MESSAGE = (
    "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. "
    "If you reach out to GitHub Support for help, please include the request ID 0000:0000:0000000:0000000:00000000."
)
SEARCH_CAP = 1000  # GitHub serves the first 1,000 results of a search
JSON_TYPE = "application/json; charset=utf-8"


class GitHubError(Exception):
    def __init__(self, status: int, message: str, errors: list[dict[str, Any]] | None = None, docs: str = DOCS, headers: dict[str, str] | None = None):
        super().__init__(status, message)
        self.status, self.message, self.errors, self.docs, self.headers = status, message, errors, docs, headers or {}

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"message": self.message}
        if self.errors is not None:
            body["errors"] = self.errors
        return {**body, "documentation_url": self.docs, "status": str(self.status)}


@dataclass
class Reply:
    body: Any
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


def error_response(error: GitHubError, budget: Budget | None = None) -> Response:
    headers = {**(budget.headers() if budget else {}), **error.headers}
    return Response(json.dumps(error.body()).encode(), error.status, headers=headers, media_type=JSON_TYPE)


def fault_response(fault: Fault) -> Response:
    if fault.kind in ("rate_limit", "secondary_rate_limit"):
        status = 429 if fault.kind == "rate_limit" else 403
        error = GitHubError(status, SECONDARY_MESSAGE, docs=SECONDARY_DOCS, headers={"Retry-After": f"{fault.retry_after:g}"})
    elif fault.kind == "expired_token":
        error = GitHubError(401, "Bad credentials")
    else:
        error = GitHubError(fault.status, "Service Unavailable" if fault.status == 503 else "Server Error")
    return error_response(error)


def create_github_app(state: SandboxState) -> TrafficMiddleware:
    app = FastAPI(title="okrsync sandbox: GitHub", openapi_url=None, docs_url=None, redoc_url=None)
    add_admin_routes(app, state, "github")

    @app.exception_handler(GitHubError)
    async def github_error(request: Request, error: GitHubError) -> Response:
        return error_response(error)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> Response:
        if request.url.path.startswith("/_admin"):
            return Response(json.dumps({"detail": error.detail}), error.status_code, media_type=JSON_TYPE)
        return error_response(GitHubError(error.status_code, "Not Found" if error.status_code == 404 else str(error.detail)))

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, error: RequestValidationError) -> Response:
        return error_response(GitHubError(422, "Invalid request.", [{"message": str(e.get("msg")), "code": "invalid"} for e in error.errors()]))

    def route(method: str, path: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Serve `path` at the root (github.com) and under /api/v3 (GitHub Enterprise)."""

        def register(endpoint: Callable[..., Any]) -> Callable[..., Any]:
            for prefix in ("", "/api/v3"):
                app.add_api_route(prefix + path, endpoint, methods=[method])
            return endpoint

        return register

    def serve(request: Request, resource: str, compute: Callable[[GitHubRenderer], Reply], *, write: bool = False) -> Response:
        """Authenticate, answer (or 304), and spend the token's rate limit as GitHub does."""
        token = _token(state, request, write)
        base = str(request.base_url).rstrip("/")
        prefix = "/api/v3" if request.url.path.startswith("/api/v3/") else ""
        view = GitHubRenderer(base + prefix, base, state.clock.now())
        spent = _spend(state, token, resource) if write else None  # a write is paid for before it is made
        try:
            with state.github.lock:
                reply = compute(view)
        except GitHubError as error:
            return error_response(error, spent or _spend(state, token, resource))
        content = json.dumps(reply.body, separators=(",", ":")).encode()
        headers = dict(reply.headers)
        if not write:
            etag = 'W/"' + hashlib.sha256(content).hexdigest()[:40] + '"'
            headers.update({"ETag": etag, "Cache-Control": "private, max-age=60, s-maxage=60", "Vary": "Accept, Authorization, Cookie, X-GitHub-OTP"})
            if etag in [t.strip() for t in request.headers.get("if-none-match", "").split(",")]:
                return Response(status_code=304, headers={**headers, **state.rate_limits.peek(token, resource).headers()})
        headers.update((spent or _spend(state, token, resource)).headers())
        headers["X-GitHub-Media-Type"] = "github.v3; format=json"
        return Response(content, reply.status, headers=headers, media_type=JSON_TYPE)

    @route("GET", "/rate_limit")
    def rate_limit(request: Request) -> Response:
        token = _token(state, request, write=False)
        core, search = state.rate_limits.peek(token, "core"), state.rate_limits.peek(token, "search")
        body = GitHubRenderer.rate_limit(core, search)
        return Response(json.dumps(body).encode(), headers=core.headers(), media_type=JSON_TYPE)

    @route("GET", "/search/issues")
    def search_issues(request: Request, q: str | None = None, per_page: int = 30, page: int = 1, sort: str | None = None, order: str = "desc") -> Response:
        def compute(view: GitHubRenderer) -> Reply:
            if not q:
                raise GitHubError(422, "Validation Failed", [{"resource": "Search", "field": "q", "code": "missing"}], "https://docs.github.com/v3/search")
            try:
                found = github_search.parse(q, state.github).run(_all_items(state), view.now, sort, order)
            except github_search.SearchError as error:
                raise GitHubError(422, "Validation Failed", [{"message": str(error), "resource": "Search", "field": "q", "code": "invalid"}], "https://docs.github.com/v3/search") from None
            size, number = max(1, min(per_page, 100)), max(1, page)
            if (number - 1) * size >= SEARCH_CAP and found:
                raise GitHubError(422, "Only the first 1000 search results are available", docs="https://docs.github.com/v3/search/")
            window = found[(number - 1) * size : number * size]
            body = {"total_count": len(found), "incomplete_results": False, "items": [view.item(i, 1.0) for i in window]}
            return Reply(body, headers=_links(request, number, size, min(len(found), SEARCH_CAP)))

        return serve(request, "search", compute)

    @route("GET", "/repos/{owner}/{name}")
    def get_repo(request: Request, owner: str, name: str) -> Response:
        return serve(request, "core", lambda view: Reply(view.repo(_repo(state, owner, name))))

    @route("GET", "/repos/{owner}/{name}/milestones")
    def milestones(request: Request, owner: str, name: str, sort: str = "due_on", direction: str = "asc", per_page: int = 30, page: int = 1) -> Response:
        def compute(view: GitHubRenderer) -> Reply:
            repo = _repo(state, owner, name)
            wanted = request.query_params.get("state", "open")  # `state` is also this module's SandboxState
            if wanted not in ("open", "closed", "all"):
                raise GitHubError(422, "Validation Failed", [{"resource": "Milestone", "field": "state", "code": "invalid"}])
            chosen = [m for m in repo.milestones if m.created_at <= view.now and wanted in ("all", "closed" if m.is_closed(view.now) else "open")]
            if sort == "completeness":
                rendered = sorted((view.milestone(repo, m) for m in chosen), key=lambda m: m["closed_issues"] / max(1, m["open_issues"] + m["closed_issues"]))
            else:
                rendered = [view.milestone(repo, m) for m in sorted(chosen, key=lambda m: (m.due_on is None, m.due_on, m.number))]
            if direction == "desc":
                rendered.reverse()
            return _page(request, rendered, per_page, page)

        return serve(request, "core", compute)

    @route("GET", "/repos/{owner}/{name}/issues/{number}")
    def get_issue(request: Request, owner: str, name: str, number: int) -> Response:
        return serve(request, "core", lambda view: Reply(view.item(_item(state, owner, name, number, view))))

    @route("GET", "/repos/{owner}/{name}/issues/{number}/comments")
    def list_comments(request: Request, owner: str, name: str, number: int, per_page: int = 30, page: int = 1) -> Response:
        def compute(view: GitHubRenderer) -> Reply:
            item = _item(state, owner, name, number, view)
            return _page(request, [view.comment(c) for c in item.comments if c.created_at <= view.now], per_page, page)

        return serve(request, "core", compute)

    @route("POST", "/repos/{owner}/{name}/issues/{number}/comments")
    async def add_comment(request: Request, owner: str, name: str, number: int) -> Response:
        text = await _comment_body(request)

        def compute(view: GitHubRenderer) -> Reply:
            item = _item(state, owner, name, number, view)
            comment = state.github.add_comment(item, text, view.now)
            body = view.comment(comment)
            return Reply(body, 201, {"Location": body["url"]})

        return serve(request, "core", compute, write=True)

    @route("GET", "/repos/{owner}/{name}/issues/comments/{comment_id}")
    def get_comment(request: Request, owner: str, name: str, comment_id: int) -> Response:
        return serve(request, "core", lambda view: Reply(view.comment(_comment(state, owner, name, comment_id, view))))

    @route("PATCH", "/repos/{owner}/{name}/issues/comments/{comment_id}")
    async def edit_comment(request: Request, owner: str, name: str, comment_id: int) -> Response:
        text = await _comment_body(request)

        def compute(view: GitHubRenderer) -> Reply:
            comment = _comment(state, owner, name, comment_id, view)
            comment.body, comment.updated_at = text, view.now
            return Reply(view.comment(comment))

        return serve(request, "core", compute, write=True)

    return TrafficMiddleware(app, "github", state.faults, state.log, fault_response)


# --- helpers ---------------------------------------------------------------------------------------


def _token(state: SandboxState, request: Request, write: bool) -> str | None:
    """The caller's token (None: anonymous); a wrong one answers 401 Bad credentials."""
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if not scheme:
        if write:
            raise GitHubError(401, "Requires authentication")
        return None
    if scheme.lower() in ("token", "bearer") and value.strip() == state.credentials.github_token:
        return value.strip()
    raise GitHubError(401, "Bad credentials")


def _spend(state: SandboxState, token: str | None, resource: str) -> Budget:
    budget, allowed = state.rate_limits.spend(token, resource)
    if not allowed:
        who = f"user ID {state.github.api_user.id}" if token else "127.0.0.1"
        message = f"API rate limit exceeded for {who}. If you reach out to GitHub Support for help, please include the request ID 0000:0000:0000000:0000000:00000000."
        raise GitHubError(403, message, docs="https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-primary-rate-limits", headers=budget.headers())
    return budget


def _all_items(state: SandboxState) -> list[Item]:
    return [item for repo in state.github.repos.values() for item in repo.items.values()]


def _repo(state: SandboxState, owner: str, name: str) -> Repo:
    repo = state.github.repo(owner, name)
    if repo is None:
        raise GitHubError(404, "Not Found", docs="https://docs.github.com/rest/repos/repos#get-a-repository")
    return repo


def _item(state: SandboxState, owner: str, name: str, number: int, view: GitHubRenderer) -> Item:
    item = _repo(state, owner, name).items.get(number)
    if item is None or item.created_at > view.now:
        raise GitHubError(404, "Not Found", docs="https://docs.github.com/rest/issues/issues#get-an-issue")
    return item


def _comment(state: SandboxState, owner: str, name: str, comment_id: int, view: GitHubRenderer) -> Any:
    comment = state.github.comments.get(comment_id)
    repo = _repo(state, owner, name)
    if comment is None or comment.issue.repo is not repo or comment.created_at > view.now:
        raise GitHubError(404, "Not Found", docs="https://docs.github.com/rest/issues/comments#get-an-issue-comment")
    return comment


async def _comment_body(request: Request) -> str:
    try:
        body = json.loads(await request.body() or b"{}")
    except ValueError:
        raise GitHubError(400, "Problems parsing JSON") from None
    text = body.get("body") if isinstance(body, dict) else None
    if not isinstance(text, str):
        raise GitHubError(422, 'Invalid request.\n\n"body" wasn\'t supplied.')
    return text


def _page(request: Request, rows: list[Any], per_page: int, page: int) -> Reply:
    size, number = max(1, min(per_page, 100)), max(1, page)
    return Reply(rows[(number - 1) * size : number * size], headers=_links(request, number, size, len(rows)))


def _links(request: Request, page: int, size: int, total: int) -> dict[str, str]:
    """GitHub's Link header (prev, next, last, first), on URLs of this very host, port and prefix."""
    last = max(1, math.ceil(total / size))
    links = []
    if page > 1:
        links.append((min(page - 1, last), "prev"))
    if page < last:
        links += [(page + 1, "next"), (last, "last")]
    if page > 1:
        links.append((1, "first"))
    if not links:
        return {}
    return {"Link": ", ".join(f'<{request.url.include_query_params(page=n)}>; rel="{rel}"' for n, rel in links)}
