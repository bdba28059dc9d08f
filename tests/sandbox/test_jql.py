"""JQL evaluation against counts worked out by hand on a small data set, directly and through the
jira library; clauses the sandbox cannot evaluate are refused (400), never miscounted."""

from __future__ import annotations

import datetime as dt

import pytest
from jira import JIRA, JIRAError

from sandbox import jql
from sandbox.jira_store import JiraStore
from sandbox.server import Sandbox

NOW = dt.datetime(2026, 11, 15, tzinfo=dt.UTC)


def _issue(key: str, kind: str, created: str, *steps: tuple[str, str] | tuple[str, str, str], **extra: object) -> dict[str, object]:
    transitions = [{"at": f"{at}T09:00:00Z", "status": status, **({"resolution": rest[0]} if rest else {})} for at, status, *rest in steps]
    return {"key": key, "type": kind, "created": f"{created}T09:00:00Z", "transitions": transitions, **extra}


# At NOW, A-7 does not exist yet and B-2 is still To Do (both dated later).
SMALL = {
    "now": "2026-11-15T00:00:00Z",
    "jira": {
        "users": [{"name": "ann", "display_name": "Ann Archer"}, {"name": "ben", "display_name": "Ben Bloom"}],
        "projects": [{"key": "A", "name": "Alpha"}, {"key": "B", "name": "Beta"}],
        "versions": [{"name": "1.0", "project": "A"}, {"name": "2.0", "project": "A"}],
        "custom_fields": [{"id": "customfield_10016", "name": "Story Points"}],
        "issues": [
            _issue("A-1", "Epic", "2026-09-01", ("2026-09-02", "In Progress")),
            _issue("A-2", "Bug", "2026-10-02", ("2026-10-05", "Done", "Done"), parent="A-1", assignee="ann", labels=["ui"], fields={"Story Points": 3}, fix_versions=["1.0"]),
            _issue("A-3", "Bug", "2026-10-10", ("2026-10-11", "In Progress"), ("2026-10-20", "Done", "Won't Do"), parent="A-1", assignee="ben", labels=["ui", "backend"], fields={"Story Points": 5}),
            _issue("A-4", "Story", "2026-10-15", ("2026-10-16", "In Progress"), assignee="ann", fields={"Story Points": 8}),
            _issue("A-5", "Story", "2026-11-01", labels=["backend"], fields={"Story Points": 2}),
            _issue("A-6", "Task", "2026-11-10", ("2026-11-12", "Done", "Done"), assignee="ben", fix_versions=["2.0"]),
            _issue("A-7", "Bug", "2026-11-20"),
            _issue("A-8", "Bug", "2026-09-20", ("2026-09-25", "Done", "Done"), labels=["ui"], fields={"Story Points": 1}),
            _issue("B-1", "Task", "2026-10-01", ("2026-10-02", "In Review"), assignee="ann", fields={"Story Points": 13}),
            _issue("B-2", "Bug", "2026-10-03", ("2026-11-30", "Done", "Done"), fields={"Story Points": 2}),
            _issue("B-3", "Bug", "2026-10-04", ("2026-10-06", "Closed", "Duplicate")),
        ],
    },
}

COUNTS = {
    "project = A": 7,
    "project = Alpha AND type = Bug": 3,
    "project = A AND type = Bug AND statusCategory = Done AND resolved >= 2026-10-01": 2,
    "statusCategory = Done": 5,
    'statusCategory = "In Progress"': 3,
    "resolution = Unresolved": 5,
    "resolution IS EMPTY": 5,
    "resolution = Done": 3,
    "resolution != Duplicate": 4,
    "assignee = ann": 3,
    'assignee = "Ben Bloom"': 2,
    "assignee != ann": 2,
    "assignee is EMPTY": 5,
    "labels = ui": 3,
    "labels in (ui, backend)": 4,
    "labels not in (ui)": 1,
    "labels is empty": 6,
    '"Story Points" >= 5': 3,
    "cf[10016] < 3": 3,
    "customfield_10016 = 3": 1,
    '"Story Points" is EMPTY': 3,
    '"Epic Link" = A-1': 2,
    "parent = A-1": 2,
    'fixVersion = "1.0"': 1,
    'fixVersion in ("1.0", "2.0")': 2,
    'status = "In Progress"': 2,
    'status in ("In Progress", "In Review")': 3,
    "status != Done": 6,
    "created >= 2026-10-01 AND created < 2026-11-01": 6,
    "updated >= 2026/11/01": 2,
    "(project = B OR labels = backend) AND NOT statusCategory = Done": 3,
    "resolved >= -30d": 2,
    "created >= startOfMonth()": 2,
    "issuetype in (Bug, Task) ORDER BY created DESC": 7,
    "project = B order by key": 3,
    "key in (A-2, B-1) and priority = Medium": 2,
}

REFUSED = {
    "summary ~ onboarding": "does not support searching by 'summary'",
    "status > Done": "The operator '>' is not supported by the 'status' field.",
    "labels ~ ui": "The operator '~' is not supported by the 'labels' field.",
    "universe = 42": "Field 'universe' does not exist or you do not have permission to view it.",
    "project = NOPE": "The value 'NOPE' does not exist for the field 'project'.",
    "assignee = nobody": "The value 'nobody' does not exist for the field 'assignee'.",
    "status was Done": "does not support the history operator 'WAS'",
    "project = A AND": "Error in the JQL Query",
    "project A": "Expecting operator but got 'A'",
    "created >= someday": "Date value 'someday' for field 'created' is invalid.",
    "created >= endOfTime()": "Unable to find JQL function 'endOfTime()'.",
    'summary = "unfinished': "The quoted string 'unfinished' has not been completed.",
}


@pytest.fixture(scope="module")
def store() -> JiraStore:
    return JiraStore(SMALL["jira"], "Cloud")  # type: ignore[arg-type]


@pytest.mark.parametrize(("query", "expected"), COUNTS.items())
def test_counts_match_the_hand_computed_ones(store: JiraStore, query: str, expected: int) -> None:
    assert len(jql.parse(query, store, NOW).run(store.states(NOW))) == expected


def test_order_by_sorts_and_the_default_is_key_descending(store: JiraStore) -> None:
    found = jql.parse("issuetype in (Bug, Task) ORDER BY created DESC", store, NOW).run(store.states(NOW))
    assert [s.issue.key for s in found] == ["A-6", "A-3", "B-3", "B-2", "A-2", "B-1", "A-8"]
    default = jql.parse("project = B", store, NOW).run(store.states(NOW))
    assert [s.issue.key for s in default] == ["B-3", "B-2", "B-1"]


@pytest.mark.parametrize(("query", "message"), REFUSED.items())
def test_unsupported_or_invalid_clauses_are_refused(store: JiraStore, query: str, message: str) -> None:
    with pytest.raises(jql.JqlError) as refused:
        jql.parse(query, store, NOW)
    assert message in str(refused.value)


def test_counts_through_the_jira_library_and_the_clock(sandbox: Sandbox, jira: JIRA) -> None:
    sandbox.load(SMALL)
    for query in ("project = A", "statusCategory = Done", '"Story Points" >= 5', "parent = A-1"):
        assert len(jira.search_issues(query, maxResults=False, fields="key")) == COUNTS[query]
    sandbox.advance(days=20)  # A-7 is created, B-2 is done
    assert len(jira.search_issues("statusCategory = Done", maxResults=False, fields="key")) == 6
    assert len(jira.search_issues("project = A", maxResults=False, fields="key")) == 8


def test_an_unsupported_clause_answers_400_in_jiras_shape(sandbox: Sandbox, jira: JIRA) -> None:
    sandbox.load(SMALL)
    with pytest.raises(JIRAError) as refused:
        jira.search_issues("status was Done", fields="key")
    assert refused.value.status_code == 400
    body = refused.value.response.json()
    assert set(body) == {"errorMessages", "errors"} and "WAS" in body["errorMessages"][0]
