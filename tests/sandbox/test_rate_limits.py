"""GitHub's rate limits in the sandbox: headers on every answer, budgets per token and resource,
conditional requests (ETag / If-None-Match -> 304) that cost nothing."""

from __future__ import annotations

import pytest
from github import Github, RateLimitExceededException

from sandbox.server import Sandbox

RATE_HEADERS = {"x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset", "x-ratelimit-used", "x-ratelimit-resource"}


def test_a_304_does_not_spend_the_rate_limit(github: Github) -> None:
    requester = github.requester
    status, headers, _ = requester.requestJson("GET", "/repos/acme/app")
    assert status == 200 and set(headers) >= RATE_HEADERS and headers["etag"].startswith('W/"')
    remaining = int(headers["x-ratelimit-remaining"])
    status, again, body = requester.requestJson("GET", "/repos/acme/app", headers={"If-None-Match": headers["etag"]})
    assert status == 304 and body == "" and int(again["x-ratelimit-remaining"]) == remaining
    status, plain, _ = requester.requestJson("GET", "/repos/acme/app")
    assert status == 200 and int(plain["x-ratelimit-remaining"]) == remaining - 1


def test_a_conditional_search_costs_no_search_budget(github: Github) -> None:
    params = {"q": "repo:acme/app is:pr"}
    _, headers, _ = github.requester.requestJson("GET", "/search/issues", parameters=params)
    assert headers["x-ratelimit-resource"] == "search" and headers["x-ratelimit-used"] == "1"
    status, again, _ = github.requester.requestJson("GET", "/search/issues", parameters=params, headers={"If-None-Match": headers["etag"]})
    assert status == 304 and again["x-ratelimit-used"] == "1"


def test_rate_limit_endpoint_is_free(github: Github) -> None:
    first = github.get_rate_limit().resources
    github.get_repo("acme/app")
    second = github.get_rate_limit().resources
    assert (first.core.limit, first.search.limit) == (5000, 30)
    assert second.core.remaining == first.core.remaining - 1 and second.search.remaining == 30


def test_an_exhausted_search_budget_answers_403(sandbox: Sandbox, github: Github) -> None:
    sandbox.set_rate_limit("search", 3)
    for _ in range(3):
        github.requester.requestJsonAndCheck("GET", "/search/issues", parameters={"q": "repo:acme/app"})
    with pytest.raises(RateLimitExceededException) as exhausted:
        github.requester.requestJsonAndCheck("GET", "/search/issues", parameters={"q": "repo:acme/app"})
    assert exhausted.value.status == 403 and exhausted.value.headers["x-ratelimit-remaining"] == "0"
    assert exhausted.value.data["message"].startswith("API rate limit exceeded")
    assert github.get_repo("acme/app").name == "app"  # the core budget is separate


def test_budgets_are_per_token(sandbox: Sandbox, github: Github) -> None:
    github.get_repo("acme/app")
    anonymous = Github(base_url=sandbox.github_url, retry=None, seconds_between_requests=None)
    _, headers, _ = anonymous.requester.requestJson("GET", "/repos/acme/app")
    assert headers["x-ratelimit-limit"] == "60" and headers["x-ratelimit-used"] == "1"
