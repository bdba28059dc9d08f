"""Jira: count the issues of a JQL query, sum or average a numeric field over them, publish progress.

Built on the `jira` library's session (auth, connection reuse) with its own retries switched off:
okrsync's retry policy (connectors/retry.py) is the only one. Searches go through the raw REST
endpoints because the library's pagers loop forever on two answers Jira really gives (a repeated
nextPageToken; `maxResults: 0` with `total > 0`) and cannot ask for 5,000 keys a page.

- Jira Cloud (`serverInfo.deploymentType == "Cloud"`): GET /rest/api/3/search/jql, token pagination,
  no total: a count pages through keys, 5,000 a page. Opt-in approximate count:
  POST /rest/api/3/search/approximate-count (one request, labelled "approximate").
- Data Center / Server: GET /rest/api/2/search with `total`: a count is one request.
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import requests
from jira import JIRA, JIRAError

from connectors.counting import CountingAdapter, RequestCounter
from connectors.errors import (
    AuthError,
    BadQueryError,
    BadValueError,
    ConnectorError,
    NotFoundError,
    RateLimitedError,
    UnavailableError,
)
from connectors.publishing import CommentIndex, holds_marker
from connectors.reading import DEFAULT_EVIDENCE_CAP, Evidence, Reading, timed_reading
from connectors.retry import RetryPolicy, call_with_retries, retry_after_seconds

CLOUD_KEYS_PAGE = 5000  # /search/jql answers up to 5,000 issues a page when only keys are asked for
CLOUD_FIELDS_PAGE = 100  # ... and 100 when other fields are
SERVER_PAGE = 1000  # Data Center's default jira.search.views.default.max
MAX_PAGES = 1000


@dataclass(frozen=True)
class JiraServer:
    """What okrsync needs to know about a Jira site, read once per run."""

    deployment: str  # "Cloud", "Server" or "DataCenter"
    version: str
    user: str
    timezone: str | None  # the API user's profile zone: JQL dates are read in it

    @property
    def is_cloud(self) -> bool:
        return self.deployment == "Cloud"


class JiraConnector:
    """Reads metrics from, and publishes to, one Jira site (Cloud, Data Center or a local sandbox)."""

    name = "Jira"

    def __init__(
        self,
        url: str,
        token: str,
        email: str | None = None,
        *,
        timeout: float = 30.0,
        evidence_cap: int = DEFAULT_EVIDENCE_CAP,
        retry: RetryPolicy = RetryPolicy(),
        sleep: Callable[[float], None] = time.sleep,
        credential_hint: str = "check the source's email and token",
    ):
        auth: dict[str, Any] = {"basic_auth": (email, token)} if email else {"token_auth": token}
        self._client = JIRA(server=url, get_server_info=False, max_retries=0, timeout=timeout, **auth)
        self.counter = RequestCounter()
        for prefix in ("http://", "https://"):
            self._client._session.mount(prefix, CountingAdapter(self.counter))
        self._url = url.rstrip("/")
        self._evidence_cap = evidence_cap
        self._retry, self._sleep = retry, sleep
        self._hint = credential_hint
        self._server: JiraServer | None = None
        self._fields: list[dict[str, Any]] | None = None
        self._fields_lock = threading.Lock()
        self._okrsync_comments = CommentIndex(self._comments)

    # --- reading -------------------------------------------------------------------------------

    def check(self) -> JiraServer:
        """Read the deployment type and check the credentials once (serverInfo, myself)."""
        if self._server is None:
            info = self._get("/rest/api/2/serverInfo")
            me = self._get("/rest/api/2/myself")
            self._server = JiraServer(
                deployment=str(info.get("deploymentType") or "Server"),
                version=str(info.get("version", "")),
                user=str(me.get("displayName") or me.get("name") or me.get("accountId") or ""),
                timezone=me.get("timeZone") or info.get("serverTimeZone"),
            )
        return self._server

    def count(self, jql: str, *, approximate: bool = False) -> Reading:
        """Number of issues matching `jql` (exact unless `approximate`, which only Cloud offers)."""
        server = self.check()
        with timed_reading(self.counter) as done:
            if approximate:
                if not server.is_cloud:
                    raise BadQueryError("approximate counts exist only on Jira Cloud", hint="remove 'approximate: true'")
                answer = self._send("POST", "/rest/api/3/search/approximate-count", body={"jql": jql})
                total = _number(answer, "count")
                return done(float(total), jql, Evidence((), int(total)), ("approximate",))
            if server.is_cloud:
                keys = [issue["key"] for issue in self._cloud_issues(jql, fields=["key"], page=CLOUD_KEYS_PAGE)]
                return done(float(len(keys)), jql, self._evidence(keys, len(keys)))
            answer = self._get("/rest/api/2/search", {"jql": jql, "maxResults": self._evidence_cap, "fields": "key"})
            total = int(_number(answer, "total"))
            keys = [issue["key"] for issue in answer.get("issues", [])]
            return done(float(total), jql, self._evidence(keys, total))

    def field_aggregates(self, jql: str, wanted: Sequence[tuple[str, str]]) -> list[Reading | ConnectorError]:
        """Each (field, agg) of `wanted`, the `sum` or `avg` of a numeric field over the issues of `jql`,
        from one read of those issues with all the fields asked for (Jira Cloud gives 100 issues a page
        however many fields). Issues without a value are left out. One entry per item, in order: a field
        that cannot be read or summed fails alone; a failed read of the issues raises."""
        self.check()
        ids: dict[str, str | ConnectorError] = {}
        for field, _ in wanted:
            try:
                ids[field] = self.resolve_field(field)
            except ConnectorError as error:
                ids[field] = error
        fields = list(dict.fromkeys(i for i in ids.values() if isinstance(i, str)))
        with timed_reading(self.counter) as done:
            issues = list(self._issues(jql, fields)) if fields else []
            keys = [issue["key"] for issue in issues]
            note = (f"one read of the issues for {len(fields)} fields (its requests counted for each)",) if len(fields) > 1 else ()
            readings: list[Reading | ConnectorError] = []
            for field, agg in wanted:
                field_id = ids[field]
                if isinstance(field_id, ConnectorError):
                    readings.append(field_id)
                    continue
                try:
                    value, notes = _aggregate(issues, field, field_id, agg)
                except BadValueError as error:
                    readings.append(error)
                    continue
                readings.append(done(value, f"{agg}({field}) over {jql}", self._evidence(keys, len(keys)), notes + note))
            return readings

    def resolve_field(self, field: str) -> str:
        """A field's id from its display name ('Story Points') or id; the field list is read once."""
        with self._fields_lock:  # two queries starting together read the list once
            if self._fields is None:
                self._fields = self._get("/rest/api/2/field")
        by_id = {f["id"]: f for f in self._fields}
        if field in by_id:
            matches = [by_id[field]]
        else:
            matches = [f for f in self._fields if str(f.get("name", "")).casefold() == field.casefold()]
        if not matches:
            raise BadQueryError(f"Jira has no field named {field!r}", hint="use the name shown in Jira or its id")
        if len(matches) > 1:
            ids = ", ".join(f["id"] for f in matches)
            raise BadQueryError(f"several Jira fields are named {field!r} ({ids})", hint="use the field's id instead")
        kind = (matches[0].get("schema") or {}).get("type")
        if kind not in (None, "number"):
            raise BadQueryError(f"Jira field {field!r} is a {kind} field, not a number")
        return str(matches[0]["id"])

    def _issues(self, jql: str, fields: list[str]) -> Iterator[dict[str, Any]]:
        """The issues of `jql` with the key and these fields, page by page."""
        fields = ["key", *fields]
        return self._cloud_issues(jql, fields, CLOUD_FIELDS_PAGE) if self.check().is_cloud else self._server_issues(jql, fields)

    def _cloud_issues(self, jql: str, fields: list[str], page: int) -> Iterator[dict[str, Any]]:
        seen: set[str] = set()
        token: str | None = None
        for _ in range(MAX_PAGES):
            params: dict[str, Any] = {"jql": jql, "fields": ",".join(fields), "maxResults": page}
            if token:
                params["nextPageToken"] = token
            answer = self._get("/rest/api/3/search/jql", params)
            yield from answer.get("issues", [])
            token = answer.get("nextPageToken")
            if answer.get("isLast", not token) or not token:
                return
            if token in seen:
                raise UnavailableError("Jira repeated a page token; stopped paging instead of looping")
            seen.add(token)
        raise UnavailableError(f"Jira answered more than {MAX_PAGES} pages; stopped paging")

    def _server_issues(self, jql: str, fields: list[str]) -> Iterator[dict[str, Any]]:
        start = 0
        for _ in range(MAX_PAGES):
            params = {"jql": jql, "fields": ",".join(fields), "maxResults": SERVER_PAGE, "startAt": start}
            answer = self._get("/rest/api/2/search", params)
            issues = answer.get("issues", [])
            total = int(_number(answer, "total"))
            yield from issues
            start += len(issues)
            if start >= total:
                return
            if not issues:  # maxResults: 0 with total > 0: a naive pager loops here forever
                raise UnavailableError(f"Jira answered an empty page at {start} of {total} issues (maxResults 0)")
        raise UnavailableError(f"Jira answered more than {MAX_PAGES} pages; stopped paging")

    # --- publishing ----------------------------------------------------------------------------

    def _comments(self, issue_key: str) -> Iterator[dict[str, Any]]:
        """Every comment of the issue, page by page."""
        start = 0
        for _ in range(MAX_PAGES):
            answer = self._get(f"/rest/api/2/issue/{issue_key}/comment", {"startAt": start, "maxResults": 100})
            comments = answer.get("comments", [])
            yield from comments
            start += len(comments)
            if not comments or start >= int(answer.get("total", start)):
                return
        raise UnavailableError(f"Jira answered more than {MAX_PAGES} pages of comments on {issue_key}")

    def upsert_comment(self, issue_key: str, marker: str, body: str, comment_id: str | None = None) -> tuple[str, bool]:
        """Create or edit the okrsync comment holding `marker`; returns (comment id, whether written).

        The comment is found by id when known, else by its marker, so a rerun after a crash edits the
        comment it had created instead of adding a second one. An unchanged body is not written.
        """
        current = None
        if comment_id:
            try:
                current = self._get(f"/rest/api/2/issue/{issue_key}/comment/{comment_id}")
            except NotFoundError:
                current = None
        if current is None or not holds_marker(current.get("body"), marker):
            # a known id that is gone or reused means someone changed the issue: list it again
            current = self._okrsync_comments.find(issue_key, marker, fresh=comment_id is not None)
        if current is None:
            created = self._create_comment(issue_key, marker, body)
            self._okrsync_comments.remember(issue_key, created)
            return str(created["id"]), True
        if current.get("body") == body:
            return str(current["id"]), False
        self._send("PUT", f"/rest/api/2/issue/{issue_key}/comment/{current['id']}", body={"body": body})
        self._okrsync_comments.remember(issue_key, {**current, "body": body})
        return str(current["id"]), True

    def _create_comment(self, issue_key: str, marker: str, body: str) -> Any:
        """POST the comment. A POST that failed (a timeout, a 5xx) may still have created it, so before
        sending it again the comment is looked for by its marker: a retry never adds a second one."""
        tries = 0

        def create() -> Any:
            nonlocal tries
            tries += 1
            if tries > 1 and (found := self._okrsync_comments.find(issue_key, marker, fresh=True)) is not None:
                return found
            return self._attempt("POST", f"/rest/api/2/issue/{issue_key}/comment", None, {"body": body})

        return call_with_retries(create, self._retry, self._sleep)

    def set_number_field(self, issue_key: str, field: str, value: float) -> None:
        """Set a numeric field of the issue (one request, no notification)."""
        field_id = self.resolve_field(field)
        self._send("PUT", f"/rest/api/2/issue/{issue_key}", body={"fields": {field_id: value}}, params={"notifyUsers": "false"})

    # --- HTTP ----------------------------------------------------------------------------------

    def _evidence(self, keys: list[str], total: int) -> Evidence:
        return Evidence(tuple(keys[: self._evidence_cap]), total)

    def _get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        return self._send("GET", path, params=params)

    def _send(self, method: str, path: str, *, params: dict[str, Any] | None = None, body: Any = None) -> Any:
        return call_with_retries(lambda: self._attempt(method, path, params, body), self._retry, self._sleep)

    def _attempt(self, method: str, path: str, params: dict[str, Any] | None, body: Any) -> Any:
        url = f"{self._url}{path}"
        data = None if body is None else json.dumps(body)
        try:
            response = self._client._session.request(method, url, params=params, data=data)
        except JIRAError as error:
            raise self._classify(error.status_code, error.response, error.text) from None
        except requests.Timeout:
            raise UnavailableError(f"Jira did not answer {method} {path} in time") from None
        except requests.ConnectionError:
            raise UnavailableError(f"cannot connect to Jira at {self._url}") from None
        if response.status_code == 204 or not response.content:
            return {}
        try:
            return response.json()
        except ValueError:
            raise UnavailableError(f"Jira answered {method} {path} with malformed JSON") from None

    def _classify(self, status: int | None, response: requests.Response | None, text: str | None) -> ConnectorError:
        # header names are case-insensitive: Jira Cloud sends "X-Seraph-Loginreason", Data Center "X-Seraph-LoginReason"
        headers = {key.lower(): value for key, value in response.headers.items()} if response is not None else {}
        detail = _jira_messages(response) or _short(text)
        if status == 401 or (status in (400, 403) and headers.get("x-seraph-loginreason", "").startswith("AUTHENTICATED_FAILED")):
            return AuthError("Jira rejected the credentials", hint=self._hint, status=status)
        if status == 403:
            return AuthError(f"Jira refused access: {detail}", hint="give the API user access to the project", status=status)
        if status == 404:
            return NotFoundError(f"Jira found nothing there: {detail}", status=status)
        if status == 400:
            return BadQueryError(f"Jira rejected the query: {detail}", status=status)
        if status == 429:
            return RateLimitedError("Jira is rate limiting okrsync (429)", retry_after=retry_after_seconds(headers), status=status)
        if status is None:
            return UnavailableError(f"Jira did not answer: {detail}")
        return UnavailableError(f"Jira answered {status}: {detail}", retry_after=retry_after_seconds(headers), status=status)


def _aggregate(issues: list[dict[str, Any]], field: str, field_id: str, agg: str) -> tuple[float, tuple[str, ...]]:
    """The sum or average of one field over the issues that have a value; notes on those that have none."""
    values = [_finite(raw, f"{issue['key']} has {field}") for issue in issues
              if (raw := (issue.get("fields") or {}).get(field_id)) is not None]
    notes = (f"{len(issues) - len(values)} issues without a value",) if len(values) < len(issues) else ()
    if agg != "sum" and not values:
        raise BadValueError(f"no issue of the query has a value for {field!r}, so there is no average")
    try:
        return (math.fsum(values) if agg == "sum" else math.fsum(values) / len(values)), notes
    except OverflowError:  # finite values whose sum is not: 1e308 + 1e308
        raise BadValueError(f"the {agg} of {field} over the query is too large for a number") from None


def _finite(raw: Any, what: str) -> float:
    """A numeric field's value as a finite float; BadValueError for text, NaN, Infinity or a huge integer."""
    if isinstance(raw, bool) or not isinstance(raw, (int, float)):
        raise BadValueError(f"{what}={_short(repr(raw), 60)}, not a number")
    try:
        value = float(raw)
    except OverflowError:  # an integer beyond any float
        value = math.inf
    if not math.isfinite(value):
        raise BadValueError(f"{what}={_short(repr(raw) if isinstance(raw, float) else 'a huge integer', 60)}, not a finite number")
    return value


def _number(answer: Any, key: str) -> float:
    value = answer.get(key) if isinstance(answer, dict) else None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise UnavailableError(f"Jira's answer has no numeric {key!r}")
    return float(value)


def _jira_messages(response: requests.Response | None) -> str:
    """Jira's errorMessages and errors, joined; empty when the body is not Jira's error JSON."""
    if response is None:
        return ""
    try:
        body = response.json()
    except ValueError:
        return ""
    if not isinstance(body, dict):
        return ""
    found, errors = body.get("errorMessages") or [], body.get("errors") or {}
    messages = [found] if isinstance(found, str) else [str(m) for m in found]  # Jira sometimes sends one string
    messages += [f"{k}: {v}" for k, v in errors.items()] if isinstance(errors, dict) else [str(errors)]
    return _short("; ".join(messages))


def _short(text: str | None, limit: int = 300) -> str:
    text = " ".join((text or "").split())
    if text.lstrip().startswith("<"):
        return "(an HTML page)"
    return text if len(text) <= limit else text[: limit - 1] + "…"
