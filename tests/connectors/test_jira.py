"""Jira: counts and field aggregates on Cloud and Data Center, pagers that never loop, errors, retries.

Each test builds the connector as the flows do, answers with Jira-shaped bodies (tests/connectors/
payloads.py) and checks both the requests sent and the Reading made of the answers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses
from responses import matchers

from connectors.errors import (
    AuthError,
    BadQueryError,
    BadValueError,
    ConnectorError,
    NotFoundError,
    RateLimitedError,
    UnavailableError,
)
from connectors.jira import JiraConnector
from connectors.reading import Reading
from connectors.retry import RetryPolicy
from mapping.placeholders import cycle_window, render_jql
from mapping.schema import Cycle
from tests.connectors import payloads as p
from tests.connectors.conftest import ONE_TRY, Sleeps, add_jira_check

CLOUD_SEARCH = f"{p.JIRA_CLOUD}/rest/api/3/search/jql"
DC_SEARCH = f"{p.JIRA_DC}/rest/api/2/search"
JQL = "project = ONB AND type = Bug AND statusCategory = Done"


def params(call: responses.Call) -> dict[str, list[str]]:
    return parse_qs(urlsplit(call.request.url).query)


def paths(mock: responses.RequestsMock) -> list[str]:
    return [urlsplit(call.request.url).path for call in mock.calls]


def keys(*numbers: int, project: str = "ONB", base: str = p.JIRA_CLOUD, api: int = 3) -> list[dict]:
    return [p.jira_issue(f"{project}-{n}", 10000 + n, base, api) for n in numbers]


# --- deployment type and check ---------------------------------------------------------------------


def test_check_reads_deployment_user_and_time_zone_once(http: responses.RequestsMock, jira_cloud: JiraConnector) -> None:
    server = jira_cloud.check()
    again = jira_cloud.check()

    assert again is server
    assert (server.deployment, server.is_cloud, server.user, server.timezone) == ("Cloud", True, "OKR Bot", "Europe/Berlin")
    assert paths(http) == ["/rest/api/2/serverInfo", "/rest/api/2/myself"]
    assert http.calls[0].request.headers["Authorization"].startswith("Basic ")


def test_data_center_is_not_cloud_and_authenticates_with_a_bearer_token(http: responses.RequestsMock, jira_dc: JiraConnector) -> None:
    server = jira_dc.check()

    assert (server.deployment, server.is_cloud, server.version, server.user) == ("Server", False, "9.12.2", "OKR Bot")
    assert http.calls[0].request.headers["Authorization"] == f"Bearer {p.JIRA_PAT}"


# --- counts --------------------------------------------------------------------------------------


def test_cloud_count_pages_through_tokens_on_search_jql(http: responses.RequestsMock, jira_cloud: JiraConnector) -> None:
    asked = {"jql": JQL, "fields": "key", "maxResults": "5000"}
    http.get(CLOUD_SEARCH, json=p.jira_cloud_page(keys(1, 2, 3), "CAEaAggD"), match=[matchers.query_param_matcher(asked)])
    http.get(CLOUD_SEARCH, json=p.jira_cloud_page(keys(4, 5), "CAEaAggE"),
             match=[matchers.query_param_matcher({**asked, "nextPageToken": "CAEaAggD"})])
    http.get(CLOUD_SEARCH, json=p.jira_cloud_page(keys(6, 7)), match=[matchers.query_param_matcher({**asked, "nextPageToken": "CAEaAggE"})])

    reading = jira_cloud.count(JQL)

    assert reading.value == 7
    assert reading.query == JQL
    assert reading.evidence.items == tuple(f"ONB-{n}" for n in range(1, 8))
    assert reading.evidence.total == 7 and not reading.evidence.truncated
    assert reading.requests == 3  # the pages only; serverInfo and myself are the run's discovery
    assert reading.notes == ()
    assert "/rest/api/2/search" not in paths(http)
    assert jira_cloud.counter.total == 5


def test_data_center_count_is_one_request_using_total(http: responses.RequestsMock, jira_dc: JiraConnector) -> None:
    http.get(DC_SEARCH, json=p.jira_server_page(keys(*range(1, 51), base=p.JIRA_DC, api=2), 0, 50, 1234),
             match=[matchers.query_param_matcher({"jql": JQL, "maxResults": "50", "fields": "key"})])

    reading = jira_dc.count(JQL)

    assert reading.value == 1234
    assert reading.requests == 1
    assert reading.evidence.total == 1234 and len(reading.evidence.items) == 50 and reading.evidence.truncated
    assert "/rest/api/3/search/jql" not in paths(http)


def test_evidence_is_capped_at_evidence_cap_with_the_true_total(
    http: responses.RequestsMock, make_jira: Callable[..., JiraConnector]
) -> None:
    add_jira_check(http, p.JIRA_CLOUD, "Cloud")
    add_jira_check(http, p.JIRA_DC, "Server")
    http.get(CLOUD_SEARCH, json=p.jira_cloud_page(keys(*range(1, 8))))
    http.get(DC_SEARCH, json=p.jira_server_page(keys(1, 2, 3, base=p.JIRA_DC, api=2), 0, 3, 7),
             match=[matchers.query_param_matcher({"jql": JQL, "maxResults": "3", "fields": "key"})])

    cloud = make_jira(p.JIRA_CLOUD, evidence_cap=3).count(JQL)
    data_center = make_jira(p.JIRA_DC, evidence_cap=3).count(JQL)

    for reading in (cloud, data_center):
        assert reading.value == 7
        assert reading.evidence.items == ("ONB-1", "ONB-2", "ONB-3")
        assert reading.evidence.total == 7 and reading.evidence.truncated
        assert reading.to_json()["evidence"] == {"items": ["ONB-1", "ONB-2", "ONB-3"], "total": 7, "truncated": True}


def test_empty_result_is_zero_with_no_evidence(http: responses.RequestsMock, make_jira: Callable[..., JiraConnector]) -> None:
    add_jira_check(http, p.JIRA_CLOUD, "Cloud")
    add_jira_check(http, p.JIRA_DC, "Server")
    http.get(CLOUD_SEARCH, json=p.jira_cloud_page([]))
    http.get(DC_SEARCH, json=p.jira_server_page([], 0, 50, 0))

    for base in (p.JIRA_CLOUD, p.JIRA_DC):
        reading = make_jira(base).count("project = ONB AND resolved >= -1d")
        assert (reading.value, reading.requests) == (0, 1)
        assert reading.evidence.items == () and reading.evidence.total == 0


def test_unicode_jql_and_keys_are_sent_and_kept_exactly(http: responses.RequestsMock, jira_cloud: JiraConnector) -> None:
    jql = 'project = ÉTÉ AND summary ~ "Café ☕ 🚀" AND labels = "naïve"'
    issues = [p.jira_issue("ÉTÉ-1", 10001), p.jira_issue("ÉTÉ-22", 10022)]
    asked = {"jql": jql, "fields": "key", "maxResults": "5000"}
    http.get(CLOUD_SEARCH, json=p.jira_cloud_page(issues), match=[matchers.query_param_matcher(asked)])

    reading = jira_cloud.count(jql)

    assert params(http.calls[-1])["jql"] == [jql]
    assert reading.query == jql
    assert reading.evidence.items == ("ÉTÉ-1", "ÉTÉ-22")


def test_rendered_cycle_placeholders_are_the_exact_query_sent(http: responses.RequestsMock, jira_cloud: JiraConnector) -> None:
    server = jira_cloud.check()
    cycle = Cycle(name="2026-Q4", start=dt.date(2026, 10, 1), end=dt.date(2026, 12, 31))
    jql = render_jql("project = ONB AND resolved >= {cycle.start} AND resolved <= {cycle.end}", cycle_window(cycle), server.timezone)
    asked = {"jql": jql, "fields": "key", "maxResults": "5000"}
    http.get(CLOUD_SEARCH, json=p.jira_cloud_page(keys(1)), match=[matchers.query_param_matcher(asked)])

    reading = jira_cloud.count(jql)

    assert jql == 'project = ONB AND resolved >= "2026-10-01 02:00" AND resolved <= "2027-01-01 00:59"'
    assert reading.query == jql


# --- approximate counts --------------------------------------------------------------------------


def test_approximate_count_only_when_asked_and_labelled(http: responses.RequestsMock, jira_cloud: JiraConnector) -> None:
    http.post(f"{p.JIRA_CLOUD}/rest/api/3/search/approximate-count", json={"count": 153},
              match=[matchers.json_params_matcher({"jql": JQL})])

    reading = jira_cloud.count(JQL, approximate=True)

    assert reading.value == 153
    assert reading.notes == ("approximate",)
    assert reading.requests == 1
    assert reading.evidence.total == 153 and reading.evidence.items == ()


def test_approximate_count_is_refused_on_data_center(http: responses.RequestsMock, jira_dc: JiraConnector) -> None:
    with pytest.raises(BadQueryError) as raised:
        jira_dc.count(JQL, approximate=True)

    assert raised.value.error_class == "bad_query"
    assert "Cloud" in str(raised.value)
    assert paths(http) == ["/rest/api/2/serverInfo", "/rest/api/2/myself"]  # no search was sent


# --- pagers that never loop ----------------------------------------------------------------------


def test_a_repeated_page_token_stops_with_a_clear_error(http: responses.RequestsMock, jira_cloud: JiraConnector, sleeps: Sleeps) -> None:
    http.get(CLOUD_SEARCH, json=p.jira_cloud_page(keys(1, 2), "CAEaAggD"))
    http.get(CLOUD_SEARCH, json=p.jira_cloud_page(keys(3, 4), "CAEaAggD"))

    with pytest.raises(UnavailableError, match="repeated a page token"):
        jira_cloud.count(JQL)

    assert paths(http).count("/rest/api/3/search/jql") == 2
    assert sleeps == []  # not retried: a looping pager is not a transient failure


def test_max_results_zero_with_total_does_not_loop(http: responses.RequestsMock, jira_dc: JiraConnector, sleeps: Sleeps) -> None:
    quirk = {"expand": "schema,names", "startAt": 0, "maxResults": 0, "total": 6, "issues": []}
    http.get(f"{p.JIRA_DC}/rest/api/2/field", json=p.jira_fields())
    http.get(DC_SEARCH, json=quirk)  # the sum pages: Jira answers an empty page before the total
    http.get(DC_SEARCH, json=quirk)  # the count: one request, the total is all it needs

    with pytest.raises(UnavailableError, match="empty page at 0 of 6"):
        aggregate(jira_dc, "Story Points", JQL, "sum")
    reading = jira_dc.count(JQL)

    assert paths(http).count("/rest/api/2/search") == 2
    assert (reading.value, reading.requests) == (6, 1)
    assert sleeps == []


def test_cloud_page_without_a_token_ends_the_search(http: responses.RequestsMock, jira_cloud: JiraConnector) -> None:
    http.get(CLOUD_SEARCH, json={"issues": [p.jira_issue("ONB-1", 10001)], "isLast": False})

    assert jira_cloud.count(JQL).value == 1


# --- sum and avg of a custom field ----------------------------------------------------------------


def _points(n: int, value: float | None, base: str = p.JIRA_CLOUD, api: int = 3) -> dict:
    return p.jira_issue(f"ONB-{n}", 10000 + n, base, api, **{p.STORY_POINTS: value})


def aggregate(connector: JiraConnector, field: str, jql: str, agg: str) -> Reading:
    """One sum or average, its error raised."""
    (reading,) = connector.field_aggregates(jql, [(field, agg)])
    if isinstance(reading, ConnectorError):
        raise reading
    return reading


def test_story_points_by_display_name_sum_and_avg_read_the_field_list_and_the_issues_once(
    http: responses.RequestsMock, jira_cloud: JiraConnector
) -> None:
    asked = {"jql": JQL, "fields": f"key,{p.STORY_POINTS}", "maxResults": "100"}
    http.get(f"{p.JIRA_CLOUD}/rest/api/2/field", json=p.jira_fields())
    http.get(CLOUD_SEARCH, json=p.jira_cloud_page([_points(1, 3), _points(2, 5.5), _points(3, None)], "CAEaAggD"),
             match=[matchers.query_param_matcher(asked)])
    http.get(CLOUD_SEARCH, json=p.jira_cloud_page([_points(4, 8), _points(5, 13)]),
             match=[matchers.query_param_matcher({**asked, "nextPageToken": "CAEaAggD"})])

    # display names match case-insensitively
    total, mean = jira_cloud.field_aggregates(JQL, [("Story Points", "sum"), ("story points", "avg")])

    assert isinstance(total, Reading) and isinstance(mean, Reading)
    assert total.value == 29.5
    assert mean.value == pytest.approx(29.5 / 4)  # the issue without a value is left out, not counted as 0
    assert total.notes == mean.notes == ("1 issues without a value",)
    assert total.query == f"sum(Story Points) over {JQL}"
    assert mean.query == f"avg(story points) over {JQL}"
    assert total.evidence.items == mean.evidence.items == ("ONB-1", "ONB-2", "ONB-3", "ONB-4", "ONB-5")
    assert total.evidence.total == 5
    assert total.requests == mean.requests == 2  # the two pages both are computed from
    assert paths(http)[2:] == ["/rest/api/2/field", "/rest/api/3/search/jql", "/rest/api/3/search/jql"]  # after the check


def test_two_fields_over_one_jql_are_read_in_one_pass(http: responses.RequestsMock, jira_cloud: JiraConnector) -> None:
    def issue(n: int, points: object, days: object) -> dict:
        return p.jira_issue(f"ONB-{n}", 10000 + n, **{p.STORY_POINTS: points, p.CYCLE_TIME: days})

    asked = {"jql": JQL, "fields": f"key,{p.STORY_POINTS},{p.CYCLE_TIME}", "maxResults": "100"}
    http.get(f"{p.JIRA_CLOUD}/rest/api/2/field", json=p.jira_fields())
    http.get(CLOUD_SEARCH, json=p.jira_cloud_page([issue(1, 3, 2.5), issue(2, 5, None), issue(3, 8, "NaN")]),
             match=[matchers.query_param_matcher(asked)])

    wanted = [("Story Points", "sum"), ("Cycle Time", "avg"), ("Velocity", "sum"), ("Story Points", "avg")]
    points, cycle, velocity, mean = jira_cloud.field_aggregates(JQL, wanted)

    assert isinstance(points, Reading) and isinstance(mean, Reading)
    assert (points.value, mean.value) == (16, 16 / 3)
    assert points.notes == ("one read of the issues for 2 fields (its requests counted for each)",)
    assert isinstance(cycle, BadValueError) and "ONB-3 has Cycle Time='NaN'" in str(cycle)  # fails alone
    assert isinstance(velocity, BadQueryError) and "no field named 'Velocity'" in str(velocity)
    assert paths(http).count("/rest/api/3/search/jql") == 1


def test_data_center_sum_pages_by_start_at_until_total(http: responses.RequestsMock, jira_dc: JiraConnector) -> None:
    asked = {"jql": JQL, "fields": f"key,{p.STORY_POINTS}", "maxResults": "1000"}
    http.get(f"{p.JIRA_DC}/rest/api/2/field", json=p.jira_fields())
    pages = [[_points(1, 1, p.JIRA_DC, 2), _points(2, 2, p.JIRA_DC, 2)], [_points(3, 3, p.JIRA_DC, 2), _points(4, None, p.JIRA_DC, 2)],
             [_points(5, 5, p.JIRA_DC, 2)]]
    for start, issues in zip((0, 2, 4), pages, strict=True):  # the server caps maxResults at 2
        http.get(DC_SEARCH, json=p.jira_server_page(issues, start, 2, 5),
                 match=[matchers.query_param_matcher({**asked, "startAt": str(start)})])

    reading = aggregate(jira_dc, p.STORY_POINTS, JQL, "sum")  # by id, too

    assert reading.value == 11
    assert reading.requests == 3
    assert reading.evidence.total == 5
    assert reading.notes == ("1 issues without a value",)


def test_sum_over_no_values_is_zero_but_avg_is_a_bad_value(http: responses.RequestsMock, jira_cloud: JiraConnector) -> None:
    http.get(f"{p.JIRA_CLOUD}/rest/api/2/field", json=p.jira_fields())
    http.get(CLOUD_SEARCH, json=p.jira_cloud_page([_points(1, None), _points(2, None)]))

    total = aggregate(jira_cloud, "Story Points", JQL, "sum")
    with pytest.raises(BadValueError) as raised:
        aggregate(jira_cloud, "Story Points", JQL, "avg")

    assert total.value == 0 and total.notes == ("2 issues without a value",)
    assert raised.value.error_class == "bad_value"


def test_a_non_numeric_field_value_is_a_bad_value(http: responses.RequestsMock, jira_cloud: JiraConnector) -> None:
    http.get(f"{p.JIRA_CLOUD}/rest/api/2/field", json=p.jira_fields())
    http.get(CLOUD_SEARCH, json=p.jira_cloud_page([_points(1, 3), p.jira_issue("ONB-2", 10002, **{p.STORY_POINTS: "five"})]))

    with pytest.raises(BadValueError, match="ONB-2 has Story Points='five'"):
        aggregate(jira_cloud, "Story Points", JQL, "sum")


@pytest.mark.parametrize(
    ("field", "message"),
    [
        ("Velocity", "no field named 'Velocity'"),
        ("Budget", r"several Jira fields are named 'Budget' \(customfield_10050, customfield_10051\)"),
        ("Team", "is a string field, not a number"),
    ],
)
def test_field_names_that_cannot_be_summed_are_bad_queries(
    http: responses.RequestsMock, jira_cloud: JiraConnector, field: str, message: str
) -> None:
    http.get(f"{p.JIRA_CLOUD}/rest/api/2/field", json=p.jira_fields())

    with pytest.raises(BadQueryError, match=message):
        aggregate(jira_cloud, field, JQL, "sum")

    assert "/rest/api/3/search/jql" not in paths(http)


# --- errors --------------------------------------------------------------------------------------

ERROR_CASES = [
    pytest.param(401, "User is not authorized", {"Content-Type": "text/plain"}, AuthError, id="401"),
    pytest.param(
        400,
        p.jira_errors("Field 'assignee' does not exist or this field cannot be viewed by anonymous users."),
        {"X-Seraph-Loginreason": "AUTHENTICATED_FAILED"},  # the header's spelling as Jira Cloud sends it
        AuthError,
        id="cloud-400-authenticated-failed",
    ),
    pytest.param(400, p.jira_errors("The value 'x' does not exist"), {"X-Seraph-LoginReason": "AUTHENTICATED_FAILED"}, AuthError,
                 id="400-authenticated-failed-canonical-case"),
    pytest.param(403, "", {"X-Authentication-Denied-Reason": "CAPTCHA_CHALLENGE; login-url=https://acme/login.jsp"}, AuthError, id="403"),
    pytest.param(404, p.jira_errors("Issue does not exist or you do not have permission to see it."), {}, NotFoundError, id="404"),
    pytest.param(
        400,
        p.jira_errors("Error in the JQL Query: 'true' is a reserved JQL word. You must surround it in quotation marks "
                      "to use it in a query. (line 1, character 80)"),
        {},
        BadQueryError,
        id="400-errorMessages",
    ),
    pytest.param(429, p.JIRA_429_HTML, p.JIRA_429_HEADERS, RateLimitedError, id="429-html"),
    pytest.param(500, {"errorMessages": [], "errors": {"code1": "err1", "code2": "err2"}}, {}, UnavailableError, id="500"),
    pytest.param(503, "<html><body><h1>503 Service Unavailable</h1></body></html>", {"Content-Type": "text/html"}, UnavailableError,
                 id="503"),
    pytest.param(200, "<html>Not JSON</html>", {"Content-Type": "application/json"}, UnavailableError, id="malformed-json"),
    pytest.param(200, '{"issues": [{"key": "ONB-1"}], "isLa', {"Content-Type": "application/json"}, UnavailableError, id="truncated-json"),
]


@pytest.mark.parametrize(("status", "body", "headers", "error"), ERROR_CASES)
def test_each_answer_is_classified(
    http: responses.RequestsMock, make_jira: Callable[..., JiraConnector], status: int, body: object, headers: dict, error: type
) -> None:
    add_jira_check(http)
    jira = make_jira(retry=ONE_TRY)
    kwargs = {"json": body} if isinstance(body, dict) else {"body": body}
    http.get(CLOUD_SEARCH, status=status, headers=headers, **kwargs)

    with pytest.raises(error) as raised:
        jira.count(JQL)

    assert raised.value.error_class == error.error_class
    if status >= 400:
        assert raised.value.status == status
    assert "<html" not in str(raised.value).lower()


def test_bad_query_message_carries_jiras_error_messages(http: responses.RequestsMock, make_jira: Callable[..., JiraConnector]) -> None:
    add_jira_check(http)
    messages = ("The value 'VULN' does not exist for the field 'project'.", "Field 'Tenable Plugin ID' does not exist.")
    http.get(CLOUD_SEARCH, status=400, json=p.jira_errors(*messages))

    with pytest.raises(BadQueryError) as raised:
        make_jira().count("project = VULN")

    assert str(raised.value) == (
        "Jira rejected the query: The value 'VULN' does not exist for the field 'project'.; Field 'Tenable Plugin ID' does not exist."
    )


def test_credential_errors_tell_the_user_what_to_do(http: responses.RequestsMock, make_jira: Callable[..., JiraConnector]) -> None:
    http.get(f"{p.JIRA_CLOUD}/rest/api/2/serverInfo", status=401, json=p.jira_errors("User is not logged in."))

    with pytest.raises(AuthError) as raised:
        make_jira(credential_hint="check JIRA_EMAIL and JIRA_API_TOKEN of source 'jira'").check()

    assert str(raised.value) == "Jira rejected the credentials (check JIRA_EMAIL and JIRA_API_TOKEN of source 'jira')"
    assert len(http.calls) == 1  # one clear error, not retried


@pytest.mark.parametrize(
    "failure",
    [requests.exceptions.ReadTimeout("read timed out"), requests.exceptions.ConnectTimeout("connect timed out"),
     requests.exceptions.ConnectionError("Connection refused")],
    ids=["read-timeout", "connect-timeout", "connection-refused"],
)
def test_timeouts_and_connection_errors_are_unavailable(
    http: responses.RequestsMock, make_jira: Callable[..., JiraConnector], failure: Exception
) -> None:
    add_jira_check(http)
    http.get(CLOUD_SEARCH, body=failure)

    with pytest.raises(UnavailableError) as raised:
        make_jira(retry=ONE_TRY).count(JQL)

    assert raised.value.error_class == "unavailable"


def test_jira_errors_with_a_single_error_message_string(http: responses.RequestsMock, make_jira: Callable[..., JiraConnector]) -> None:
    add_jira_check(http)
    http.get(CLOUD_SEARCH, status=500, json={"errorMessages": "Index is being rebuilt"})

    with pytest.raises(UnavailableError) as raised:
        make_jira(retry=ONE_TRY).count(JQL)

    assert str(raised.value) == "Jira answered 500: Index is being rebuilt"


# --- retries -------------------------------------------------------------------------------------


def test_429_with_retry_after_is_waited_then_succeeds(http: responses.RequestsMock, jira_dc: JiraConnector, sleeps: Sleeps) -> None:
    http.get(DC_SEARCH, status=429, body=p.JIRA_429_HTML, headers={**p.JIRA_429_HEADERS, "Retry-After": "7"})
    http.get(DC_SEARCH, json=p.jira_server_page(keys(1, 2, base=p.JIRA_DC, api=2), 0, 50, 2))

    reading = jira_dc.count(JQL)

    assert reading.value == 2
    assert sleeps == [7.0]  # exactly what Jira asked for, through the injected sleep
    assert reading.requests == 2  # the refused request counts too
    assert paths(http).count("/rest/api/2/search") == 2


def test_retry_after_zero_retries_at_once(http: responses.RequestsMock, jira_dc: JiraConnector, sleeps: Sleeps) -> None:
    http.get(DC_SEARCH, status=429, body="", headers={"Retry-After": "0"})
    http.get(DC_SEARCH, json=p.jira_server_page([], 0, 50, 0))

    assert jira_dc.count(JQL).requests == 2
    assert sleeps == [0.0]


def test_retry_after_beyond_max_wait_fails_as_rate_limited_without_waiting(
    http: responses.RequestsMock, make_jira: Callable[..., JiraConnector], sleeps: Sleeps
) -> None:
    add_jira_check(http, p.JIRA_DC, "Server")
    http.get(DC_SEARCH, status=429, body=p.JIRA_429_HTML, headers={**p.JIRA_429_HEADERS, "Retry-After": "3600"})

    with pytest.raises(RateLimitedError) as raised:
        make_jira(p.JIRA_DC, retry=RetryPolicy(max_wait=90)).count(JQL)

    assert raised.value.retry_after == 3600
    assert sleeps == []
    assert paths(http).count("/rest/api/2/search") == 1


def test_unavailable_is_retried_with_bounded_backoff_then_fails(
    http: responses.RequestsMock, make_jira: Callable[..., JiraConnector], sleeps: Sleeps
) -> None:
    add_jira_check(http, p.JIRA_DC, "Server")
    for _ in range(4):
        http.get(DC_SEARCH, status=503, body="")
    policy = RetryPolicy(attempts=4, max_wait=90, backoff=1, backoff_cap=20)

    with pytest.raises(UnavailableError, match="Jira answered 503"):
        make_jira(p.JIRA_DC, retry=policy).count(JQL)

    assert len(sleeps) == 3 and all(0 <= s <= 20 for s in sleeps) and sum(sleeps) <= 90
    assert paths(http).count("/rest/api/2/search") == 4


@pytest.mark.parametrize("status", [400, 401, 404])
def test_errors_that_will_not_heal_are_not_retried(
    http: responses.RequestsMock, make_jira: Callable[..., JiraConnector], sleeps: Sleeps, status: int
) -> None:
    add_jira_check(http, p.JIRA_DC, "Server")
    http.get(DC_SEARCH, status=status, json=p.jira_errors("nope"))

    with pytest.raises((AuthError, BadQueryError, NotFoundError)):
        make_jira(p.JIRA_DC).count(JQL)

    assert sleeps == [] and paths(http).count("/rest/api/2/search") == 1


def test_the_cloud_pager_stops_after_max_pages(
    http: responses.RequestsMock, jira_cloud: JiraConnector, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("connectors.jira.MAX_PAGES", 3)
    for n in range(3):  # every page names a new token: a pager that trusts it would never stop
        http.get(CLOUD_SEARCH, json=p.jira_cloud_page(keys(n), f"token-{n}"))

    with pytest.raises(UnavailableError, match="more than 3 pages"):
        jira_cloud.count(JQL)

    assert paths(http).count("/rest/api/3/search/jql") == 3
