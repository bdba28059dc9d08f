"""GitHub: count search results, read a milestone's progress, publish progress as an issue comment.

Built on PyGithub's Requester (auth, base URL for GitHub Enterprise, connection reuse) with its
retries and request spacing switched off: okrsync's retry policy is the only one. Reads are raw REST
calls because PyGithub has no ETag cache and its search `totalCount` stops at 1,000; okrsync reads
the response's own `total_count` and flags `incomplete_results`.

Every GET is conditional (If-None-Match) when an earlier answer is cached: a 304 costs no rate
limit. The search API allows 30 requests a minute; the budget GitHub reports in its rate-limit
headers is tracked per resource, and a request that would overdraw it waits for the reset (within
the retry policy's bounds) instead of being refused.
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections.abc import Callable, MutableMapping
from dataclasses import dataclass
from typing import Any

import requests
from github import Auth, Github
from requests.utils import parse_header_links

from connectors.counting import RequestCounter
from connectors.errors import (
    AuthError,
    BadQueryError,
    ConnectorError,
    NotFoundError,
    RateLimitedError,
    UnavailableError,
)
from connectors.publishing import CommentIndex, holds_marker
from connectors.reading import DEFAULT_EVIDENCE_CAP, Evidence, Reading, timed_reading
from connectors.retry import RetryPolicy, call_with_retries, retry_after_seconds

MAX_PAGES = 100
SECONDARY_LIMIT_WORDS = ("secondary rate limit", "abuse detection")


@dataclass(frozen=True)
class Answer:
    """A JSON answer and the headers that came with it (or with the cached copy)."""

    data: Any
    headers: dict[str, str]
    cached: bool = False


class GitHubConnector:
    """Reads metrics from, and publishes to, GitHub or GitHub Enterprise Server."""

    name = "GitHub"

    def __init__(
        self,
        url: str,
        token: str,
        *,
        timeout: float = 30,
        evidence_cap: int = DEFAULT_EVIDENCE_CAP,
        retry: RetryPolicy = RetryPolicy(),
        sleep: Callable[[float], None] = time.sleep,
        cache: MutableMapping[str, dict[str, Any]] | None = None,
        credential_hint: str = "check the source's token",
    ):
        self._github = Github(
            auth=Auth.Token(token), base_url=url.rstrip("/"), timeout=math.ceil(timeout), per_page=100,
            retry=None, seconds_between_requests=None, seconds_between_writes=None, lazy=True,
        )
        self.counter = RequestCounter()
        self.cache: MutableMapping[str, dict[str, Any]] = cache if cache is not None else {}
        self.conditional_hits = 0  # GETs answered 304 from the cache (no rate limit spent)
        self._evidence_cap = max(1, min(evidence_cap, 100))
        self._retry, self._sleep = retry, sleep
        self._hint = credential_hint
        self._budget: dict[str, tuple[int, float]] = {}  # resource -> (remaining, reset epoch)
        self._lock = threading.Lock()
        self._checked = False
        self._okrsync_comments = CommentIndex(self._issue_comments)

    @property
    def search_remaining(self) -> int | None:
        """Search requests GitHub said are left in the current minute, when it has said."""
        with self._lock:
            budget = self._budget.get("search")
        return budget[0] if budget else None

    # --- reading -------------------------------------------------------------------------------

    def check(self) -> dict[str, Any]:
        """Check the token once and read the rate-limit budgets (GET /rate_limit costs none)."""
        answer = self._request("GET", "/rate_limit", conditional=False)
        for resource, numbers in (answer.data.get("resources") or {}).items():
            self._note_budget(resource, numbers.get("remaining"), numbers.get("reset"))
        self._checked = True
        return answer.data

    def count(self, query: str) -> Reading:
        """`total_count` of an issue/PR search; `incomplete_results: true` is flagged, not trusted silently."""
        with timed_reading(self.counter) as done:
            params = {"q": query, "per_page": self._evidence_cap}
            answer = self._request("GET", "/search/issues", params, resource="search")
            total = answer.data.get("total_count")
            if isinstance(total, bool) or not isinstance(total, int):
                raise UnavailableError("GitHub's search answer has no total_count")
            numbers = [_item_ref(item) for item in answer.data.get("items") or []][: self._evidence_cap]
            notes = ("incomplete_results",) if answer.data.get("incomplete_results") else ()
            return done(float(total), query, Evidence(tuple(numbers), total), notes + (("not_modified",) if answer.cached else ()))

    def milestone_progress(self, repo: str, title: str) -> Reading:
        """closed / (open + closed) issues of the milestone titled `title` in `repo`."""
        with timed_reading(self.counter) as done:
            milestones = self._pages(f"/repos/{repo}/milestones", {"state": "all", "per_page": 100})
            found = next((m for m in milestones if m.get("title") == title), None)
            if found is None:
                titles = ", ".join(sorted(str(m.get("title")) for m in milestones)[:10]) or "(none)"
                raise NotFoundError(f"{repo} has no milestone titled {title!r}; it has: {titles}")
            closed, opened = int(found.get("closed_issues", 0)), int(found.get("open_issues", 0))
            value = closed / (opened + closed) if opened + closed else 0.0
            evidence = Evidence((f"{repo} milestone #{found.get('number')}: {closed} closed, {opened} open",), closed + opened)
            return done(value, f"{repo} milestone {title!r}", evidence)

    # --- publishing ----------------------------------------------------------------------------

    def upsert_comment(self, issue: str, marker: str, body: str, comment_id: str | None = None) -> tuple[str, bool]:
        """Create or edit the comment holding `marker` on 'owner/repo#N'; returns (comment id, written).

        Found by id when known, else by its marker, so a rerun after a crash never adds a second one.
        """
        repo, number = issue.split("#", 1)
        current = None
        if comment_id:
            try:
                current = self._request("GET", f"/repos/{repo}/issues/comments/{comment_id}", conditional=False).data
            except NotFoundError:
                current = None
        if current is None or not holds_marker(current.get("body"), marker):
            # a known id that is gone or reused means someone changed the issue: list it again
            current = self._okrsync_comments.find(issue, marker, fresh=comment_id is not None)
        if current is None:
            created = self._create_comment(repo, number, marker, body)
            self._okrsync_comments.remember(issue, created)
            return str(created["id"]), True
        if current.get("body") == body:
            return str(current["id"]), False
        self._request("PATCH", f"/repos/{repo}/issues/comments/{current['id']}", body={"body": body})
        self._okrsync_comments.remember(issue, {**current, "body": body})
        return str(current["id"]), True

    def _issue_comments(self, issue: str) -> list[dict[str, Any]]:
        """Every comment of 'owner/repo#N'."""
        repo, number = issue.split("#", 1)
        return self._pages(f"/repos/{repo}/issues/{number}/comments", {"per_page": 100}, conditional=False)

    def _create_comment(self, repo: str, number: str, marker: str, body: str) -> Any:
        """POST the comment. A POST that failed (a timeout, a 5xx) may still have created it, so before
        sending it again the comment is looked for by its marker: a retry never adds a second one."""
        tries = 0

        def create() -> Any:
            nonlocal tries
            tries += 1
            if tries > 1 and (found := self._okrsync_comments.find(f"{repo}#{number}", marker, fresh=True)) is not None:
                return found
            path = f"/repos/{repo}/issues/{number}/comments"
            return self._attempt("POST", path, None, {"body": body}, "core", False).data

        return call_with_retries(create, self._retry, self._sleep)

    # --- HTTP ----------------------------------------------------------------------------------

    def _pages(self, path: str, params: dict[str, Any], conditional: bool = True) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        url: str | None = path
        for _ in range(MAX_PAGES):
            if url is None:
                return items
            answer = self._request("GET", url, params if url == path else None, conditional=conditional)
            items.extend(answer.data or [])
            url = _next_link(answer.headers)
        raise UnavailableError(f"GitHub answered more than {MAX_PAGES} pages for {path}")

    def _request(
        self,
        method: str,
        path: str,
        params: dict[str, Any] | None = None,
        *,
        body: Any = None,
        resource: str = "core",
        conditional: bool = True,
    ) -> Answer:
        return call_with_retries(
            lambda: self._attempt(method, path, params, body, resource, conditional and method == "GET"),
            self._retry,
            self._sleep,
        )

    def _attempt(self, method: str, path: str, params: dict[str, Any] | None, body: Any, resource: str, conditional: bool) -> Answer:
        self._spend(resource)
        key = json.dumps([path, sorted((params or {}).items())], default=str)
        cached = self.cache.get(key) if conditional else None
        headers = {"If-None-Match": cached["etag"]} if cached else {}
        self.counter.add()
        try:
            status, response_headers, text = self._github.requester.requestJson(method, path, params, headers, body)
        except requests.Timeout:
            raise UnavailableError(f"GitHub did not answer {method} {path} in time") from None
        except requests.ConnectionError:
            raise UnavailableError("cannot connect to GitHub") from None
        self._note_budget(
            response_headers.get("x-ratelimit-resource", resource),
            response_headers.get("x-ratelimit-remaining"),
            response_headers.get("x-ratelimit-reset"),
        )
        if status == 304 and cached:
            with self._lock:
                self.conditional_hits += 1
            return Answer(cached["data"], {**cached["headers"], **response_headers}, cached=True)
        if status >= 400:
            raise self._classify(status, response_headers, text)
        try:
            data = json.loads(text) if text else {}
        except ValueError:
            raise UnavailableError(f"GitHub answered {method} {path} with malformed JSON") from None
        etag = response_headers.get("etag")
        if conditional and etag:
            self.cache[key] = {"etag": etag, "data": _slim(data), "headers": {"link": response_headers.get("link", "")}}
        return Answer(data, response_headers)

    def _note_budget(self, resource: str, remaining: Any, reset: Any) -> None:
        try:
            numbers = (int(remaining), float(reset))
        except (TypeError, ValueError):
            return
        with self._lock:
            self._budget[resource] = numbers

    def _spend(self, resource: str) -> None:
        """Refuse (as rate limited, to be retried after the reset) a request the budget cannot pay."""
        with self._lock:
            remaining, reset = self._budget.get(resource, (1, 0.0))
            wait = reset - time.time()
            if remaining <= 0 and wait > 0:
                raise RateLimitedError(f"GitHub's {resource} budget is spent until the reset", retry_after=wait + 1)
            if remaining > 0:
                self._budget[resource] = (remaining - 1, reset)

    def _classify(self, status: int, headers: dict[str, str], text: str) -> ConnectorError:
        message, details = _error_message(text)
        lowered = message.lower()
        if status == 401:
            return AuthError("GitHub rejected the token", hint=self._hint, status=status)
        if status in (403, 429) and (
            headers.get("x-ratelimit-remaining") == "0" or "retry-after" in headers or status == 429
            or any(word in lowered for word in SECONDARY_LIMIT_WORDS) or "rate limit" in lowered
        ):
            wait = retry_after_seconds(headers)
            if wait is None and any(word in lowered for word in SECONDARY_LIMIT_WORDS):
                wait = 60.0  # GitHub's advice for a secondary limit without Retry-After
            return RateLimitedError(f"GitHub is rate limiting okrsync ({status}): {message}", retry_after=wait, status=status)
        if status == 403:
            return AuthError(f"GitHub refused access: {message}", hint="give the token access to the repository", status=status)
        if status == 404:
            return NotFoundError("GitHub found nothing there (or the token cannot see it)", status=status)
        if status == 422:
            return BadQueryError(f"GitHub rejected the query: {details or message}", status=status)
        return UnavailableError(f"GitHub answered {status}: {message}", retry_after=retry_after_seconds(headers), status=status)


def _item_ref(item: dict[str, Any]) -> str:
    """'owner/repo#123' from a search item."""
    repository = str(item.get("repository_url", "")).rsplit("/repos/", 1)[-1]
    return f"{repository}#{item.get('number')}" if repository else f"#{item.get('number')}"


def _slim(data: Any) -> Any:
    """What okrsync reads of an answer, to keep cached copies small."""
    if isinstance(data, dict) and "items" in data:
        items = [{"number": i.get("number"), "repository_url": i.get("repository_url")} for i in data["items"]]
        return {"total_count": data.get("total_count"), "incomplete_results": data.get("incomplete_results"), "items": items}
    if isinstance(data, list):
        keep = ("id", "number", "title", "open_issues", "closed_issues", "body")
        return [{k: item[k] for k in keep if k in item} for item in data if isinstance(item, dict)]
    return data


def _next_link(headers: dict[str, str]) -> str | None:
    links = parse_header_links(headers.get("link", "")) if headers.get("link") else []
    return next((link["url"] for link in links if link.get("rel") == "next"), None)


def _error_message(text: str) -> tuple[str, str]:
    """GitHub's `message`, and its `errors[].message` joined; plain text when the body is not JSON."""
    try:
        body = json.loads(text) if text else {}
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    plain = "(an HTML page)" if text.lstrip().startswith("<") else " ".join(text.split())[:200]  # a proxy's error page
    message = str(body.get("message") or plain or "no message")
    details = "; ".join(str(e.get("message") or e) for e in body.get("errors") or [] if e)
    return message, details
