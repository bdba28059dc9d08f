"""GitHub search qualifiers against counts worked out by hand on a small data set, directly and
through PyGithub; a qualifier the sandbox does not support answers 422, never a count."""

from __future__ import annotations

import datetime as dt

import pytest
from github import Github, GithubException

from sandbox import github_search
from sandbox.github_store import GitHubStore
from sandbox.server import Sandbox

NOW = dt.datetime(2026, 11, 15, tzinfo=dt.UTC)


def _item(number: int, kind: str, user: str, created: str, **extra: object) -> dict[str, object]:
    return {"number": number, "kind": kind, "user": user, "created_at": f"{created}T10:00:00Z", **extra}


# At NOW, org/one#6 does not exist yet and org/one#7 is open (it merges later).
SMALL = {
    "now": "2026-11-15T00:00:00Z",
    "github": {
        "users": ["ann", "ben", "cat"],
        "repos": [
            {
                "name": "org/one",
                "milestones": [{"number": 1, "title": "M1"}, {"number": 2, "title": "M 2"}],
                "issues": [
                    _item(1, "pr", "ann", "2026-10-01", merged_at="2026-10-03T12:00:00Z", labels=["bug"], milestone="M1"),
                    _item(2, "pr", "ben", "2026-10-05", closed_at="2026-10-06T12:00:00Z", labels=["feature"]),
                    _item(3, "pr", "ann", "2026-10-20", labels=["bug", "ui"], milestone="M 2", title="Make the signup faster"),
                    _item(4, "issue", "cat", "2026-09-15", closed_at="2026-10-02T12:00:00Z", labels=["bug"], milestone="M1", assignees=["ann"]),
                    _item(5, "issue", "ann", "2026-10-10", assignees=["ben"], body="The signup page is slow"),
                    _item(6, "pr", "ben", "2026-11-20"),
                    _item(7, "pr", "cat", "2026-11-01", merged_at="2026-11-25T12:00:00Z"),
                ],
            },
            {
                "name": "org/two",
                "issues": [
                    _item(1, "pr", "ann", "2026-10-02", merged_at="2026-10-02T18:00:00Z"),
                    _item(2, "issue", "ben", "2026-10-03", labels=["good first issue"]),
                ],
            },
        ],
    },
}

COUNTS = {
    "repo:org/one is:pr": 4,
    "repo:org/one is:pr is:merged": 1,
    "is:pr is:merged merged:>=2026-10-01": 2,
    "repo:org/one is:pr created:2026-10-01..2026-10-31": 3,
    "repo:org/one repo:org/two type:pr created:*..2026-10-02": 2,
    "is:issue is:open": 2,
    "is:issue": 3,
    "state:closed": 4,
    "is:pr is:unmerged": 1,
    "label:bug": 3,
    "label:bug,feature": 4,
    "label:bug label:ui": 1,
    "-label:bug repo:org/one": 3,
    'label:"good first issue"': 1,
    "milestone:M1": 2,
    'milestone:"M 2"': 1,
    "no:milestone": 5,
    "no:label is:pr": 2,
    "author:ann": 4,
    "assignee:ben": 1,
    "closed:<2026-10-03": 2,
    "created:>2026-10-02": 5,
    "org:org": 8,
    "signup": 2,
    "signup in-title-or-body-only is:pr": 0,
}

REFUSED = {
    "reactions:>5": "does not support the search qualifier 'reactions'",
    "is:locked": "does not support 'is:locked'",
    "repo:org/none": "cannot be searched",
    "author:nobody": "cannot be searched",
    "bug OR feature": "boolean operator OR",
    "created:someday": "'someday' is not a valid date",
    "label:>5": "does not take a range",
    "label:": "could not be parsed",
}


@pytest.fixture(scope="module")
def store() -> GitHubStore:
    return GitHubStore(SMALL["github"])  # type: ignore[arg-type]


def _items(store: GitHubStore) -> list[object]:
    return [item for repo in store.repos.values() for item in repo.items.values()]


@pytest.mark.parametrize(("query", "expected"), COUNTS.items())
def test_counts_match_the_hand_computed_ones(store: GitHubStore, query: str, expected: int) -> None:
    assert len(github_search.parse(query, store).run(_items(store), NOW, None, "desc")) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(("query", "message"), REFUSED.items())
def test_unsupported_qualifiers_are_refused(store: GitHubStore, query: str, message: str) -> None:
    with pytest.raises(github_search.SearchError) as refused:
        github_search.parse(query, store)
    assert message in str(refused.value)


def test_sorting(store: GitHubStore) -> None:
    found = github_search.parse("repo:org/one is:pr sort:created-asc", store).run(_items(store), NOW, None, "desc")  # type: ignore[arg-type]
    assert [i.number for i in found] == [1, 2, 3, 7]


def test_counts_through_pygithub_and_the_clock(sandbox: Sandbox, github: Github) -> None:
    sandbox.load(SMALL)
    for query in ("repo:org/one is:pr", "is:pr is:merged merged:>=2026-10-01", "label:bug,feature", "no:milestone"):
        _, data = github.requester.requestJsonAndCheck("GET", "/search/issues", parameters={"q": query})
        assert data["total_count"] == COUNTS[query], query
    assert github.search_issues("repo:org/one is:pr is:merged").totalCount == 1
    sandbox.advance(days=15)  # org/one#6 is opened, #7 merges
    assert github.search_issues("repo:org/one is:pr is:merged").totalCount == 2
    assert github.search_issues("repo:org/one is:pr").totalCount == 5


def test_an_unsupported_qualifier_answers_422(sandbox: Sandbox, github: Github) -> None:
    sandbox.load(SMALL)
    with pytest.raises(GithubException) as refused:
        list(github.search_issues("is:pr review:approved"))
    assert refused.value.status == 422
    assert refused.value.data["errors"][0] == {
        "message": "The okrsync sandbox does not support the search qualifier 'review'.", "resource": "Search", "field": "q", "code": "invalid",
    }
