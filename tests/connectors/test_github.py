"""GitHub: exact search counts, milestone progress across Link pages, ETag 304s, budgets, errors, retries.

PyGithub sends https://api.github.com:443/...; `gh()` registers both spellings of a URL.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses
from responses import matchers

from connectors.errors import (
    AuthError,
    BadQueryError,
    NotFoundError,
    RateLimitedError,
    UnavailableError,
)
from connectors.github import GitHubConnector
from connectors.retry import RetryPolicy
from tests.connectors import payloads as p
from tests.connectors.conftest import ONE_TRY, Sleeps, gh

QUERY = "repo:acme/app is:pr is:merged merged:>=2026-10-01"
SEARCH = gh("/search/issues")
ETAG = 'W/"5e8867ffb4e7630e852b2b231f3b9cdb"'


def search_headers(remaining: int = 29, **extra: str) -> dict[str, str]:
    return {**p.github_rate_headers("search", remaining, 30, int(time.time()) + 60), **extra}


def prs(*numbers: int, repo: str = "acme/app") -> list[dict]:
    return [p.github_search_item(repo, n, f"PR {n}") for n in numbers]


def query_of(call: responses.Call) -> dict[str, list[str]]:
    return parse_qs(urlsplit(call.request.url).query)


# --- counts --------------------------------------------------------------------------------------


def test_count_reads_total_count_exactly_above_1000(http: responses.RequestsMock, make_github: Callable[..., GitHubConnector]) -> None:
    # PyGithub's totalCount would report 1,000 here (it is computed from the last page link)
    http.get(SEARCH, json=p.github_search(5321, prs(901, 902, 903, 904, 905)),
             headers=search_headers(Link='<https://api.github.com/search/issues?q=x&per_page=5&page=2>; rel="next", '
                                          '<https://api.github.com/search/issues?q=x&per_page=5&page=200>; rel="last"'),
             match=[matchers.query_param_matcher({"q": QUERY, "per_page": "5"})])

    reading = make_github(evidence_cap=5).count(QUERY)

    assert reading.value == 5321
    assert reading.query == QUERY
    assert reading.requests == 1
    assert reading.evidence.items == ("acme/app#901", "acme/app#902", "acme/app#903", "acme/app#904", "acme/app#905")
    assert reading.evidence.total == 5321 and reading.evidence.truncated
    assert reading.notes == ()
    assert http.calls[0].request.headers["Authorization"] == f"token {p.GITHUB_TOKEN}"


def test_incomplete_results_are_flagged_in_the_notes(http: responses.RequestsMock, github: GitHubConnector) -> None:
    http.get(SEARCH, json=p.github_search(7, prs(1, 2), incomplete=True), headers=search_headers())

    reading = github.count(QUERY)

    assert reading.value == 7
    assert "incomplete_results" in reading.notes


def test_empty_search_is_zero(http: responses.RequestsMock, github: GitHubConnector) -> None:
    http.get(SEARCH, json=p.github_search(0, []), headers=search_headers())

    reading = github.count("repo:acme/app is:pr label:doesnotexist")

    assert (reading.value, reading.evidence.items, reading.evidence.total) == (0, (), 0)


def test_unicode_query_is_sent_exactly(http: responses.RequestsMock, github: GitHubConnector) -> None:
    query = 'repo:acme/app is:issue label:"🐛 bug" "Café crème"'
    http.get(SEARCH, json=p.github_search(1, [p.github_search_item("acme/app", 7, "Crème brûlée 🍮", pull_request=False)]),
             headers=search_headers(), match=[matchers.query_param_matcher({"q": query, "per_page": "50"})])

    reading = github.count(query)

    assert query_of(http.calls[0])["q"] == [query]
    assert reading.query == query and reading.evidence.items == ("acme/app#7",)


def test_a_search_answer_without_total_count_is_unavailable(
    http: responses.RequestsMock, make_github: Callable[..., GitHubConnector]
) -> None:
    http.get(SEARCH, json={"items": []}, headers=search_headers())

    with pytest.raises(UnavailableError, match="no total_count"):
        make_github(retry=ONE_TRY).count(QUERY)


# --- ETag / If-None-Match -------------------------------------------------------------------------


def test_second_count_is_a_conditional_request_answered_304(http: responses.RequestsMock, github: GitHubConnector) -> None:
    http.get(SEARCH, json=p.github_search(42, prs(1, 2, 3)), headers=search_headers(ETag=ETAG))
    http.get(SEARCH, status=304, body="", headers=search_headers(28, ETag=ETAG), match=[matchers.header_matcher({"If-None-Match": ETAG})])

    first = github.count(QUERY)
    second = github.count(QUERY)

    assert "If-None-Match" not in http.calls[0].request.headers
    assert http.calls[1].request.headers["If-None-Match"] == ETAG
    assert second.value == first.value == 42
    assert second.evidence == first.evidence
    assert "not_modified" in second.notes and "not_modified" not in first.notes
    assert github.conditional_hits == 1
    assert (first.requests, second.requests, github.counter.total) == (1, 1, 2)


def test_the_etag_cache_outlives_the_connector(http: responses.RequestsMock, make_github: Callable[..., GitHubConnector]) -> None:
    cache: dict = {}  # the flows keep it in the store between runs
    http.get(SEARCH, json=p.github_search(3, prs(1, 2, 3), incomplete=True), headers=search_headers(ETag=ETAG))
    http.get(SEARCH, status=304, body="", headers=search_headers(ETag=ETAG), match=[matchers.header_matcher({"If-None-Match": ETAG})])

    make_github(cache=cache).count(QUERY)
    next_run = make_github(cache=cache)
    reading = next_run.count(QUERY)

    assert reading.value == 3 and next_run.conditional_hits == 1
    assert "incomplete_results" in reading.notes  # still flagged from the cached answer


# --- milestones ----------------------------------------------------------------------------------

MILESTONES = gh("/repos/acme/app/milestones")
PAGED = "https://api.github.com/repositories/3544490/milestones?state=all&per_page=100"


def add_milestone_pages(mock: responses.RequestsMock, etags: bool = False) -> None:
    pages = [
        [p.github_milestone("acme/app", n, f"v1.{n}", 0, 4) for n in range(1, 4)],
        [p.github_milestone("acme/app", n, f"v2.{n}", 1, 2) for n in range(4, 7)],
        [p.github_milestone("acme/app", 7, "v3.0 🚀 Ünïcode", 10, 30)],
    ]
    for number, milestones in enumerate(pages, start=1):
        headers = p.github_rate_headers()
        if link := p.github_link(PAGED, number, 3):
            headers["Link"] = link
        if etags:
            headers["ETag"] = f'W/"milestones-page-{number}"'
        if number == 1:
            mock.get(MILESTONES, json=milestones, headers=headers,
                     match=[matchers.query_param_matcher({"state": "all", "per_page": "100"})])
        else:
            mock.get(gh("/repositories/3544490/milestones"), json=milestones, headers=headers,
                     match=[matchers.query_param_matcher({"state": "all", "per_page": "100", "page": str(number)})])


def test_milestone_progress_follows_link_pages(http: responses.RequestsMock, github: GitHubConnector) -> None:
    add_milestone_pages(http)

    reading = github.milestone_progress("acme/app", "v3.0 🚀 Ünïcode")

    assert reading.value == 0.75  # 30 closed / (10 open + 30 closed)
    assert reading.requests == 3
    assert reading.query == "acme/app milestone 'v3.0 🚀 Ünïcode'"
    assert reading.evidence.items == ("acme/app milestone #7: 30 closed, 10 open",) and reading.evidence.total == 40


def test_milestone_pages_are_conditional_too(http: responses.RequestsMock, github: GitHubConnector) -> None:
    add_milestone_pages(http, etags=True)
    for number in (1, 2, 3):  # the 304s carry no Link: the cached copy's Link leads to the next page
        url = MILESTONES if number == 1 else gh("/repositories/3544490/milestones")
        http.get(url, status=304, body="", headers=p.github_rate_headers(),
                 match=[matchers.header_matcher({"If-None-Match": f'W/"milestones-page-{number}"'})])

    first = github.milestone_progress("acme/app", "v2.5")
    second = github.milestone_progress("acme/app", "v2.5")

    assert first.value == second.value == pytest.approx(2 / 3)
    assert github.conditional_hits == 3
    assert second.requests == 3


def test_a_deprecation_only_link_header_is_not_a_next_page(http: responses.RequestsMock, github: GitHubConnector) -> None:
    headers = {**p.github_rate_headers(), "Link": p.GITHUB_DEPRECATION_LINK}
    http.get(MILESTONES, json=[p.github_milestone("acme/app", 1, "v3.0", 3, 1)], headers=headers)

    reading = github.milestone_progress("acme/app", "v3.0")

    assert (reading.value, reading.requests) == (0.25, 1)


def test_unknown_milestone_is_not_found_and_lists_the_titles(http: responses.RequestsMock, github: GitHubConnector) -> None:
    http.get(MILESTONES, json=[p.github_milestone("acme/app", 1, "v2.0", 0, 3), p.github_milestone("acme/app", 2, "v1.0", 0, 1)],
             headers=p.github_rate_headers())

    with pytest.raises(NotFoundError, match=r"acme/app has no milestone titled 'v3.0'; it has: v1.0, v2.0"):
        github.milestone_progress("acme/app", "v3.0")


def test_repository_without_milestones(http: responses.RequestsMock, github: GitHubConnector) -> None:
    http.get(MILESTONES, json=[], headers=p.github_rate_headers())

    with pytest.raises(NotFoundError, match=r"it has: \(none\)"):
        github.milestone_progress("acme/app", "v3.0")


# --- errors --------------------------------------------------------------------------------------


def _far() -> str:
    return str(int(time.time()) + 3600)


ERROR_CASES = [
    pytest.param(401, p.github_error("Bad credentials"), {}, AuthError, None, id="401-bad-credentials"),
    pytest.param(403, p.github_error("Resource not accessible by personal access token"), p.github_rate_headers(), AuthError, None,
                 id="403-no-access"),
    pytest.param(403, p.github_error(p.GITHUB_PRIMARY_LIMIT), "primary", RateLimitedError, "reset", id="403-primary-limit"),
    pytest.param(403, p.github_error(p.GITHUB_SECONDARY_LIMIT), {"Retry-After": "60", "Content-Type": "application/json; charset=utf-8"},
                 RateLimitedError, 60, id="403-secondary-retry-after"),
    pytest.param(403, p.github_error("You have triggered an abuse detection mechanism. Please wait a few minutes before you try again."),
                 {"Content-Type": "application/json; charset=utf-8"}, RateLimitedError, 60, id="403-abuse-without-retry-after"),
    pytest.param(429, p.github_error("m", "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"),
                 {"Retry-After": "17"}, RateLimitedError, 17, id="429-secondary"),
    pytest.param(404, p.github_error("Not Found"), p.github_rate_headers(), NotFoundError, None, id="404"),
    pytest.param(422, p.GITHUB_SEARCH_422, search_headers(), BadQueryError, None, id="422"),
    pytest.param(500, {"error": "Server Error"}, p.github_rate_headers(), UnavailableError, None, id="500"),
    pytest.param(503, "<html><body><h1>503 Service Unavailable</h1>No server is available to handle this request.</body></html>",
                 {"Content-Type": "application/json; charset=utf-8"}, UnavailableError, None, id="503-html"),
    pytest.param(200, '{"total_count":12,"incomplete_results":false,"items":[{"url":"https://api.github.com/repos/acme/app/issues/1",',
                 search_headers(), UnavailableError, None, id="malformed-json"),
]


@pytest.mark.parametrize(("status", "body", "headers", "error", "retry_after"), ERROR_CASES)
def test_each_answer_is_classified(
    http: responses.RequestsMock, make_github: Callable[..., GitHubConnector], status: int, body: object, headers: object,
    error: type, retry_after: object,
) -> None:
    if headers == "primary":
        headers = {**p.github_rate_headers("core", 0, 5000, int(_far())), "Content-Type": "application/json; charset=utf-8"}
    kwargs = {"json": body} if isinstance(body, dict) else {"body": body}
    http.get(SEARCH, status=status, headers=headers, **kwargs)

    with pytest.raises(error) as raised:
        make_github(retry=ONE_TRY).count(QUERY)

    assert raised.value.error_class == error.error_class
    assert "<html" not in str(raised.value).lower()
    if retry_after == "reset":
        assert 3590 < raised.value.retry_after <= 3600
    elif retry_after is not None:
        assert raised.value.retry_after == retry_after


def test_422_message_carries_githubs_explanation(http: responses.RequestsMock, github: GitHubConnector) -> None:
    http.get(SEARCH, status=422, json=p.GITHUB_SEARCH_422, headers=search_headers())

    with pytest.raises(BadQueryError, match="GitHub rejected the query: The listed users and repositories cannot be searched"):
        github.count("repo:acme/does-not-exist is:pr")


@pytest.mark.parametrize(
    "failure",
    [requests.exceptions.ReadTimeout("read timed out"), requests.exceptions.ConnectionError("Connection refused")],
    ids=["timeout", "connection-refused"],
)
def test_timeouts_and_connection_errors_are_unavailable(
    http: responses.RequestsMock, make_github: Callable[..., GitHubConnector], failure: Exception
) -> None:
    http.get(SEARCH, body=failure)

    with pytest.raises(UnavailableError) as raised:
        make_github(retry=ONE_TRY).count(QUERY)

    assert raised.value.error_class == "unavailable"


# --- retries and budgets -------------------------------------------------------------------------


def test_secondary_limit_with_retry_after_is_waited_then_succeeds(
    http: responses.RequestsMock, github: GitHubConnector, sleeps: Sleeps
) -> None:
    http.get(SEARCH, status=403, json=p.github_error(p.GITHUB_SECONDARY_LIMIT), headers={"Retry-After": "60"})
    http.get(SEARCH, json=p.github_search(12, prs(1)), headers=search_headers())

    reading = github.count(QUERY)

    assert reading.value == 12
    assert sleeps == [60.0]
    assert reading.requests == 2 and len(http.calls) == 2


def test_500_then_success(http: responses.RequestsMock, github: GitHubConnector, sleeps: Sleeps) -> None:
    http.get(SEARCH, status=500, json={"error": "Server Error"}, headers=p.github_rate_headers())
    http.get(SEARCH, json=p.github_search(12, prs(1)), headers=search_headers())

    assert github.count(QUERY).requests == 2
    assert len(sleeps) == 1 and 0 <= sleeps[0] <= 20


def test_retry_after_beyond_max_wait_fails_without_waiting(
    http: responses.RequestsMock, make_github: Callable[..., GitHubConnector], sleeps: Sleeps
) -> None:
    http.get(SEARCH, status=403, json=p.github_error(p.GITHUB_SECONDARY_LIMIT), headers={"Retry-After": "600"})

    with pytest.raises(RateLimitedError):
        make_github(retry=RetryPolicy(max_wait=90)).count(QUERY)

    assert sleeps == [] and len(http.calls) == 1


def test_primary_limit_until_a_distant_reset_fails_without_hammering(
    http: responses.RequestsMock, github: GitHubConnector, sleeps: Sleeps
) -> None:
    headers = {**p.github_rate_headers("search", 0, 30, int(_far())), "Content-Type": "application/json; charset=utf-8"}
    http.get(SEARCH, status=403, json=p.github_error(p.GITHUB_PRIMARY_LIMIT), headers=headers)

    with pytest.raises(RateLimitedError):
        github.count(QUERY)

    assert sleeps == [] and len(http.calls) == 1


def test_a_spent_budget_is_refused_locally_without_a_request(
    http: responses.RequestsMock, make_github: Callable[..., GitHubConnector], sleeps: Sleeps
) -> None:
    http.get(gh("/rate_limit"), json=p.github_rate_limit(search_remaining=0, search_reset=int(_far())), headers=p.github_rate_headers())
    github = make_github()

    github.check()
    with pytest.raises(RateLimitedError, match="search budget is spent"):
        github.count(QUERY)

    assert [urlsplit(c.request.url).path for c in http.calls] == ["/rate_limit"]
    assert sleeps == []  # the reset is an hour away: more than the policy's max_wait


def test_the_budget_from_answer_headers_is_respected(http: responses.RequestsMock, make_github: Callable[..., GitHubConnector]) -> None:
    http.get(SEARCH, json=p.github_search(1, prs(1)), headers=p.github_rate_headers("search", 0, 30, int(_far())))
    github = make_github(retry=ONE_TRY)

    github.count(QUERY)
    with pytest.raises(RateLimitedError):
        github.count("repo:acme/app is:issue")

    assert len(http.calls) == 1


def test_check_reads_budgets_with_one_request(http: responses.RequestsMock, github: GitHubConnector) -> None:
    http.get(gh("/rate_limit"), json=p.github_rate_limit(), headers=p.github_rate_headers())

    answer = github.check()

    assert answer["resources"]["search"]["limit"] == 30
    assert github.counter.total == 1


def test_check_with_a_bad_token_is_one_auth_error(
    http: responses.RequestsMock, make_github: Callable[..., GitHubConnector], sleeps: Sleeps
) -> None:
    http.get(gh("/rate_limit"), status=401, json=p.github_error("Bad credentials"))

    with pytest.raises(AuthError) as raised:
        make_github(credential_hint="check GITHUB_TOKEN of source 'gh'").check()

    assert str(raised.value) == "GitHub rejected the token (check GITHUB_TOKEN of source 'gh')"
    assert sleeps == [] and len(http.calls) == 1


def test_the_link_pager_stops_after_max_pages(
    http: responses.RequestsMock, github: GitHubConnector, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("connectors.github.MAX_PAGES", 2)
    headers = {**p.github_rate_headers(), "Link": f'<{PAGED}&page=2>; rel="next"'}
    http.get(MILESTONES, json=[p.github_milestone("acme/app", 1, "v1", 0, 1)], headers=headers)
    http.get(gh("/repositories/3544490/milestones"), json=[p.github_milestone("acme/app", 2, "v2", 0, 1)],
             headers={**p.github_rate_headers(), "Link": f'<{PAGED}&page=3>; rel="next"'})

    with pytest.raises(UnavailableError, match="more than 2 pages"):
        github.milestone_progress("acme/app", "v9")
