"""Publishing is idempotent: one sticky comment (or range) per KR, created once, edited in place,
left alone when unchanged, and never duplicated by a rerun after a crash or by a retried request.

Jira and GitHub comments are kept by small stateful fakes behind `responses` (they answer the list,
get, create and edit endpoints from one dict of comments), so each test can run the connector
several times, like successive syncs, and look at both the requests and the resulting comments.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses

from connectors.github import GitHubConnector
from connectors.jira import JiraConnector
from connectors.publishing import (
    ProgressUpdate,
    content_hash,
    render_github,
    render_jira,
    sheet_hash,
    sheet_row,
)
from connectors.sheets import SheetsConnector
from tests.connectors import payloads as p
from tests.connectors.conftest import SheetsHttp, writes

UPDATE = ProgressUpdate(
    kr_id="O1-KR1",
    title="Close 40 onboarding bugs",
    value=12,
    unit=None,
    start=0,
    target=40,
    direction="increase",
    progress=0.3,
    score=0.3,
    status="at_risk",
    expected_progress=0.45,
    query='project = ONB AND type = Bug AND resolved >= "2026-10-01 02:00"',
)


def moved(update: ProgressUpdate, value: float) -> ProgressUpdate:
    progress = (value - update.start) / (update.target - update.start)
    return dataclasses.replace(update, value=value, progress=progress, score=progress)


class FakeComments:
    """One issue's comments, served the way Jira (v2) or GitHub serve them, `page_size` a page."""

    def __init__(self, mock: responses.RequestsMock, page_size: int) -> None:
        mock.assert_all_requests_are_fired = False  # a run uses only some of the endpoints
        self.mock = mock
        self.page_size = page_size
        self.comments: dict[str, str] = {}  # id -> body, in creation order
        self.ids = itertools.count(10100)
        self.fail_next_create_after_storing = False  # the server creates the comment, the answer is lost

    def seed(self, *bodies: str) -> list[str]:
        return [self._store(body) for body in bodies]

    def _store(self, body: str) -> str:
        comment_id = str(next(self.ids))
        self.comments[comment_id] = body
        return comment_id

    def holding(self, marker: str) -> list[str]:
        return [cid for cid, body in self.comments.items() if marker in body]

    def create(self, request: requests.PreparedRequest) -> Any:
        comment_id = self._store(json.loads(request.body)["body"])
        if self.fail_next_create_after_storing:
            self.fail_next_create_after_storing = False
            return requests.exceptions.ReadTimeout("read timed out")
        return 201, {}, json.dumps(self.render(comment_id))

    def edit(self, request: requests.PreparedRequest) -> Any:
        comment_id = self._id(request)
        if comment_id not in self.comments:
            return self.missing()
        self.comments[comment_id] = json.loads(request.body)["body"]
        return 200, {}, json.dumps(self.render(comment_id))

    def get(self, request: requests.PreparedRequest) -> Any:
        comment_id = self._id(request)
        if comment_id not in self.comments:
            return self.missing()
        return 200, {}, json.dumps(self.render(comment_id))

    @staticmethod
    def _id(request: requests.PreparedRequest) -> str:
        return urlsplit(request.url).path.rsplit("/", 1)[-1]

    def render(self, comment_id: str) -> dict[str, Any]:
        raise NotImplementedError

    def missing(self) -> Any:
        raise NotImplementedError


class FakeJiraComments(FakeComments):
    def __init__(self, mock: responses.RequestsMock, issue: str = "ONB-1", page_size: int = 100) -> None:
        super().__init__(mock, page_size)
        base = f"^{re.escape(p.JIRA_CLOUD)}/rest/api/2/issue/{issue}/comment"
        listing, one = re.compile(base + r"(\?.*)?$"), re.compile(base + r"/\d+(\?.*)?$")
        mock.add_callback("GET", listing, self.list, content_type="application/json")
        mock.add_callback("POST", listing, self.create, content_type="application/json")
        mock.add_callback("GET", one, self.get, content_type="application/json")
        mock.add_callback("PUT", one, self.edit, content_type="application/json")

    def list(self, request: requests.PreparedRequest) -> Any:
        query = parse_qs(urlsplit(request.url).query)
        start, size = int(query["startAt"][0]), min(int(query["maxResults"][0]), self.page_size)
        page = [self.render(cid) for cid in list(self.comments)[start : start + size]]
        return 200, {}, json.dumps({**p.jira_comment_page(page, start, len(self.comments)), "maxResults": size})

    def render(self, comment_id: str) -> dict[str, Any]:
        return p.jira_comment(comment_id, self.comments[comment_id])

    def missing(self) -> Any:
        return 404, {}, json.dumps(p.jira_errors("Can not find a comment for the id."))


class FakeGitHubComments(FakeComments):
    REPO, NUMBER = "acme/okrs", 3

    def __init__(self, mock: responses.RequestsMock, page_size: int = 100) -> None:
        super().__init__(mock, page_size)
        host = r"^https://api\.github\.com(?::443)?"
        listing = re.compile(rf"{host}/repos/{self.REPO}/issues/{self.NUMBER}/comments(\?.*)?$")
        one = re.compile(rf"{host}/repos/{self.REPO}/issues/comments/\d+(\?.*)?$")
        mock.add_callback("GET", listing, self.list, content_type="application/json")
        mock.add_callback("POST", listing, self.create, content_type="application/json")
        mock.add_callback("GET", one, self.get, content_type="application/json")
        mock.add_callback("PATCH", one, self.edit, content_type="application/json")

    def list(self, request: requests.PreparedRequest) -> Any:
        query = parse_qs(urlsplit(request.url).query)
        page, size = int(query.get("page", ["1"])[0]), min(int(query["per_page"][0]), self.page_size)
        ids = list(self.comments)
        last = max(1, -(-len(ids) // size))
        headers = p.github_rate_headers()
        url = f"https://api.github.com/repos/{self.REPO}/issues/{self.NUMBER}/comments?per_page={size}"
        if link := p.github_link(url, page, last):
            headers["Link"] = link
        return 200, headers, json.dumps([self.render(cid) for cid in ids[(page - 1) * size : page * size]])

    def render(self, comment_id: str) -> dict[str, Any]:
        return p.github_comment(self.REPO, self.NUMBER, int(comment_id), self.comments[comment_id])

    def missing(self) -> Any:
        return 404, p.github_rate_headers(), json.dumps(p.github_error("Not Found"))


@dataclasses.dataclass
class Target:
    """A comment target: the connector, its fake, the issue, and the renderer for its markup."""

    connector: JiraConnector | GitHubConnector
    fake: FakeComments
    issue: str
    render: Callable[[ProgressUpdate], str]
    edit_method: str

    def upsert(self, update: ProgressUpdate, comment_id: str | None) -> tuple[str, bool]:
        return self.connector.upsert_comment(self.issue, update.marker, self.render(update), comment_id)


@pytest.fixture(params=["jira", "github"])
def target(
    request: pytest.FixtureRequest, http: responses.RequestsMock, make_jira: Callable[..., JiraConnector],
    make_github: Callable[..., GitHubConnector],
) -> Target:
    if request.param == "jira":
        return Target(make_jira(), FakeJiraComments(http, page_size=2), "ONB-1", render_jira, "PUT")
    return Target(make_github(), FakeGitHubComments(http, page_size=2), "acme/okrs#3", render_github, "PATCH")


# --- comments ------------------------------------------------------------------------------------


def test_first_run_creates_second_writes_nothing_third_edits_in_place(http: responses.RequestsMock, target: Target) -> None:
    target.fake.seed("Looks good to me", "Any news on the onboarding bugs? 🐛")

    comment_id, written = target.upsert(UPDATE, None)
    assert written and [w.split()[0] for w in writes(http)] == ["POST"]
    assert target.fake.holding(UPDATE.marker) == [comment_id]

    before = len(http.calls)
    again_id, written = target.upsert(dataclasses.replace(UPDATE), comment_id)  # same numbers, next run
    assert (again_id, written) == (comment_id, False)
    assert len(writes(http)) == 1  # no POST, PUT or PATCH
    assert len(http.calls) - before == 1  # one GET of the known comment

    edited_id, written = target.upsert(moved(UPDATE, 20), comment_id)
    assert (edited_id, written) == (comment_id, True)
    assert [w.split()[0] for w in writes(http)] == ["POST", target.edit_method]
    assert writes(http)[-1].split("?")[0].endswith((f"/comment/{comment_id}", f"/comments/{comment_id}"))
    assert target.fake.holding(UPDATE.marker) == [comment_id]  # still one okrsync comment, now with the new value
    assert target.fake.comments[comment_id] == target.render(moved(UPDATE, 20))
    assert len(target.fake.comments) == 3


def test_rerun_after_a_crash_finds_the_comment_by_its_marker(http: responses.RequestsMock, target: Target) -> None:
    target.fake.seed("first!", "second", "third")  # the okrsync comment lands on the second page
    comment_id, _ = target.upsert(UPDATE, None)
    # the run crashed before the comment id was stored: the next run knows no id

    found_id, written = target.upsert(UPDATE, None)
    assert (found_id, written) == (comment_id, False)
    assert [w.split()[0] for w in writes(http)] == ["POST"]

    edited_id, written = target.upsert(moved(UPDATE, 30), None)
    assert (edited_id, written) == (comment_id, True)
    assert [w.split()[0] for w in writes(http)] == ["POST", target.edit_method]
    assert target.fake.holding(UPDATE.marker) == [comment_id]


def test_the_comments_of_several_krs_on_one_issue_are_found_with_one_listing(
    http: responses.RequestsMock, target: Target, make_jira: Callable[..., JiraConnector],
    make_github: Callable[..., GitHubConnector],
) -> None:
    updates = [dataclasses.replace(UPDATE, kr_id=f"O1-KR{n}") for n in (1, 2, 3)]
    target.fake.seed("first!", "second", "third")  # two pages of two

    def listings() -> int:
        return len([c for c in http.calls if c.request.method == "GET" and re.search(r"/comments?(\?|$)", c.request.url)])

    ids = [target.upsert(update, None)[0] for update in updates]
    assert (listings(), len(writes(http))) == (2, 3)  # the issue listed once (two pages), then three POSTs

    # The next run (a new connector), which lost the ids (a crash): one listing finds all three.
    target.connector = make_jira() if isinstance(target.connector, JiraConnector) else make_github()
    found = [target.upsert(moved(update, 20), None) for update in updates]
    assert found == [(comment_id, True) for comment_id in ids]
    assert listings() == 2 + 3  # three pages now (six comments)
    assert [w.split()[0] for w in writes(http)] == ["POST"] * 3 + [target.edit_method] * 3
    assert all(target.fake.holding(update.marker) == [i] for update, i in zip(updates, ids, strict=True))


def test_a_comment_deleted_by_hand_is_created_again(http: responses.RequestsMock, target: Target) -> None:
    comment_id, _ = target.upsert(UPDATE, None)
    del target.fake.comments[comment_id]

    new_id, written = target.upsert(UPDATE, comment_id)

    assert written and new_id != comment_id
    assert target.fake.holding(UPDATE.marker) == [new_id]


def test_a_comment_edited_by_hand_is_put_back(http: responses.RequestsMock, target: Target) -> None:
    comment_id, _ = target.upsert(UPDATE, None)
    target.fake.comments[comment_id] = target.fake.comments[comment_id].replace("12", "99")

    assert target.upsert(UPDATE, comment_id) == (comment_id, True)
    assert target.fake.comments[comment_id] == target.render(UPDATE)


def test_one_krs_marker_never_matches_another_krs_comment(http: responses.RequestsMock, target: Target) -> None:
    kr10 = dataclasses.replace(UPDATE, kr_id="O1-KR10", title="Ship 10 onboarding flows")
    (kr10_id,) = target.fake.seed(target.render(kr10))

    kr1_id, written = target.upsert(UPDATE, None)

    assert written and kr1_id != kr10_id
    assert target.fake.comments[kr10_id] == target.render(kr10)  # O1-KR10's comment is untouched
    assert [w.split()[0] for w in writes(http)] == ["POST"]


def test_a_create_whose_answer_was_lost_is_not_sent_twice(http: responses.RequestsMock, target: Target) -> None:
    target.fake.fail_next_create_after_storing = True  # the comment is created, then the answer times out

    comment_id, written = target.upsert(UPDATE, None)

    assert written
    assert target.fake.holding(UPDATE.marker) == [comment_id]  # one comment, not two
    assert [w.split()[0] for w in writes(http)] == ["POST"]


def test_jira_numeric_field_is_set_without_notifications(http: responses.RequestsMock, make_jira: Callable[..., JiraConnector]) -> None:
    http.get(f"{p.JIRA_CLOUD}/rest/api/2/field", json=p.jira_fields())
    http.put(f"{p.JIRA_CLOUD}/rest/api/2/issue/ONB-1", status=204,
             match=[responses.matchers.query_param_matcher({"notifyUsers": "false"}),
                    responses.matchers.json_params_matcher({"fields": {p.STORY_POINTS: 12.5}})])

    make_jira().set_number_field("ONB-1", "Story Points", 12.5)

    assert http.calls[-1].request.headers["Content-Type"] == "application/json"


# --- Sheets ranges -------------------------------------------------------------------------------

BATCH_UPDATE = f"https://sheets.googleapis.com/v4/spreadsheets/{p.SPREADSHEET}/values:batchUpdate"


def publish_rows(sheets: SheetsConnector, published: dict[str, str], targets: list[tuple[str, ProgressUpdate]], updated_at: str) -> int:
    """What the publish flow does for Sheets targets (docs/connectors.md): compare each row's content
    hash with the one last published and write only the changed rows, all in one batchUpdate."""
    changed = [(a1, update) for a1, update in targets if published.get(a1) != sheet_hash(update)]
    if not changed:
        return 0
    cells = sheets.write([(a1, sheet_row(update, updated_at)) for a1, update in changed])
    published.update({a1: sheet_hash(update) for a1, update in changed})
    return cells


def sent(request: tuple[str, str, Any, Any]) -> dict[str, Any]:
    uri, method, body, _ = request
    assert (method, uri.split("?")[0]) == ("POST", BATCH_UPDATE)
    return json.loads(body)


def test_sheet_ranges_first_written_then_skipped_then_rewritten_in_place(sheets_http: SheetsHttp, sheets: SheetsConnector) -> None:
    kr2 = dataclasses.replace(UPDATE, kr_id="O1-KR2", value=0.55, start=0.4, target=0.8, progress=0.375, status="on_track")
    targets = [("'OKR Board 🚀'!C3:F3", UPDATE), ("'OKR Board 🚀'!C4", kr2)]
    published: dict[str, str] = {}
    sheets_http.token().answer(200, p.batch_update(("'OKR Board 🚀'!C3:F3", 1, 4), ("'OKR Board 🚀'!C4", 1, 1)))

    assert publish_rows(sheets, published, targets, "2026-11-02T10:15:00Z") == 5
    assert sent(sheets_http.api_requests[-1]) == {
        "valueInputOption": "RAW",
        "data": [
            {"range": "'OKR Board 🚀'!C3:F3", "majorDimension": "ROWS", "values": [[12, 0.3, "at risk", "2026-11-02T10:15:00Z"]]},
            {"range": "'OKR Board 🚀'!C4", "majorDimension": "ROWS", "values": [[0.55]]},  # a single cell gets the value
        ],
    }

    # the next run: same numbers, a later time: nothing is sent
    assert publish_rows(sheets, published, [(a1, dataclasses.replace(u)) for a1, u in targets], "2026-11-03T10:15:00Z") == 0
    assert len(sheets_http.api_requests) == 1

    # new numbers for O1-KR1: its range is overwritten in place (no append), the other left alone
    sheets_http.answer(200, p.batch_update(("'OKR Board 🚀'!C3:F3", 1, 4)))
    assert publish_rows(sheets, published, [(targets[0][0], moved(UPDATE, 20)), targets[1]], "2026-11-04T10:15:00Z") == 4
    assert sent(sheets_http.api_requests[-1])["data"] == [
        {"range": "'OKR Board 🚀'!C3:F3", "majorDimension": "ROWS", "values": [[20, 0.5, "at risk", "2026-11-04T10:15:00Z"]]}]
    assert not any(":append" in r[0] for r in sheets_http.request_sequence)


def test_sheet_rerun_after_a_crash_rewrites_the_same_range(sheets_http: SheetsHttp, sheets: SheetsConnector) -> None:
    a1 = "'OKR Board'!C3:F3"
    sheets_http.token().answer(200, p.batch_update((a1, 1, 4))).answer(200, p.batch_update((a1, 1, 4)))

    publish_rows(sheets, {}, [(a1, UPDATE)], "2026-11-02T10:15:00Z")
    publish_rows(sheets, {}, [(a1, UPDATE)], "2026-11-02T10:16:00Z")  # the hash was never stored

    first, second = (sent(r) for r in sheets_http.api_requests)
    assert first["data"][0]["range"] == second["data"][0]["range"] == a1  # the same four cells, nothing added
    assert second["data"][0]["values"] == [[12, 0.3, "at risk", "2026-11-02T10:16:00Z"]]


def test_a_column_range_is_written_as_a_column(sheets_http: SheetsHttp, sheets: SheetsConnector) -> None:
    sheets_http.token().answer(200, p.batch_update(("Board!D2:D5", 4, 1)))

    assert sheets.write([("Board!D2:D5", sheet_row(UPDATE, "2026-11-02"))]) == 4
    assert sent(sheets_http.api_requests[0])["data"] == [
        {"range": "Board!D2:D5", "majorDimension": "COLUMNS", "values": [[12, 0.3, "at risk", "2026-11-02"]]}]


def test_nothing_to_write_sends_nothing(sheets_http: SheetsHttp, sheets: SheetsConnector) -> None:
    assert sheets.write([]) == 0
    assert sheets_http.request_sequence == []


# --- rendering -----------------------------------------------------------------------------------

HOSTILE = (
    '<script>alert("x")</script> **bold** _it_ [click](https://evil.example) {code}x{code} [link|https://evil.example] '
    "|a|b| # h1. -x- ^s^ ~t~ !img.png!"
)


def test_same_numbers_render_the_same_text_and_hash() -> None:
    for render in (render_jira, render_github):
        assert render(UPDATE) == render(dataclasses.replace(UPDATE))
        assert content_hash(render(UPDATE)) == content_hash(render(dataclasses.replace(UPDATE)))
        assert content_hash(render(UPDATE)) != content_hash(render(moved(UPDATE, 13)))
    assert sheet_hash(UPDATE) == sheet_hash(dataclasses.replace(UPDATE)) != sheet_hash(moved(UPDATE, 13))


def test_github_comment_escapes_html_and_markdown() -> None:
    update = dataclasses.replace(UPDATE, title=HOSTILE, query='is:pr label:"<img src=x onerror=alert(1)>"',
                                 stale_reason="GitHub said <b>no</b> *loudly*")

    body = render_github(update)

    assert body.splitlines()[0] == "<!-- okrsync:kr=O1-KR1 -->"
    assert "<script>" not in body and "<img" not in body and "<b>" not in body
    assert "&lt;script&gt;" in body
    assert r"\*\*bold\*\*" in body and r"\_it\_" in body
    assert r"\[click\]\(https://evil.example\)" in body
    assert r"\|a\|b\|" in body  # a pipe cannot open a table cell
    assert "<code>is:pr label:&quot;&lt;img src=x onerror=alert(1)&gt;&quot;</code>" in body
    assert r"Not refreshed: GitHub said &lt;b&gt;no&lt;/b&gt; \*loudly\*" in body


def test_jira_comment_escapes_wiki_markup() -> None:
    update = dataclasses.replace(UPDATE, title=HOSTILE, stale_reason="Jira said [~admin] {color:red}no{color}")

    body = render_jira(update)

    assert body.endswith("okrsync:kr=O1-KR1{color}")
    title = body.splitlines()[0]
    for raw in ("{code}", "[link|", "**bold**", "_it_", "!img.png!", "^s^", "~t~"):
        assert raw not in title
    assert r"\{code\}x\{code\}" in title and r"\[link\|https://evil.example\]" in title and r"\*\*bold\*\*" in title
    assert r"Jira said \[\~admin\] \{color:red\}no\{color\}" in body


@pytest.mark.parametrize("query", ['summary ~ "{noformat}{color:red}hi"', 'summary ~ "{no{noformat}format} [~admin]"'])
def test_jira_query_cannot_break_out_of_its_noformat_block(query: str) -> None:
    body = render_jira(dataclasses.replace(UPDATE, query=query))

    (source,) = [line for line in body.splitlines() if line.startswith("Source: ")]
    assert source.count("{noformat}") == 2 and source.startswith("Source: {noformat}") and source.endswith("{noformat}")


def test_unicode_titles_are_kept() -> None:
    update = dataclasses.replace(UPDATE, title="Réduire le churn de 5 % 🚀 — équipe Zürich")

    assert "Réduire le churn de 5 % 🚀 — équipe Zürich" in render_github(update)
    assert "Réduire le churn de 5 % 🚀 — équipe Zürich" in render_jira(update)


def test_github_mentions_in_titles_never_notify() -> None:
    from connectors.publishing import ProgressUpdate, render_github

    update = ProgressUpdate("K1", "Ask @acme/admins and @alice", 1, None, 0, 2, "increase", 0.5, 0.5, "on_track", 0.5)
    body = render_github(update)
    assert "@acme" not in body and "@alice" not in body
    assert "@\u2060alice" in body
