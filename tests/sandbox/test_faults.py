"""Every fault kind, injected per route and observed through a real client library; the request
log records each one."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
import requests
from github import Github, GithubException, RateLimitExceededException
from googleapiclient.errors import HttpError
from jira import JIRA, JIRAError

from sandbox.faults import Fault, parse_fault
from sandbox.server import Sandbox


def _last(sandbox: Sandbox, service: str) -> dict[str, Any]:
    return sandbox.requests(service)[-1]


def test_latency_fixed_and_jittered(sandbox: Sandbox, jira: JIRA) -> None:
    sandbox.add_fault("latency", "jira", "*/myself", latency_ms=200, jitter_ms=100)
    started = time.perf_counter()
    jira.myself()
    elapsed = time.perf_counter() - started
    assert 0.2 <= elapsed < 1.5
    entry = _last(sandbox, "jira")
    assert entry["fault"] == "latency" and entry["status"] == 200 and 200 <= entry["ms"] <= 400


def test_429_with_retry_after_once(sandbox: Sandbox, jira: JIRA) -> None:
    sandbox.add_fault("rate_limit", "jira", "GET */search/jql", retry_after=7, times=1)
    with pytest.raises(JIRAError) as limited:
        jira.search_issues("project = ONB", fields="key")
    assert limited.value.status_code == 429
    assert limited.value.response.headers["Retry-After"] == "7"
    assert limited.value.response.text.startswith("<!DOCTYPE html>")  # Jira's 429 is an HTML page
    assert len(jira.search_issues("project = ONB", fields="key")) == 7  # `times=1`: the next one passes


def test_sheets_429_resource_exhausted(sandbox: Sandbox, sheets: Any) -> None:
    sandbox.add_fault("rate_limit", "sheets", "*/values:batchGet", retry_after=2)
    with pytest.raises(HttpError) as limited:
        sheets.spreadsheets().values().batchGet(spreadsheetId="1AbCdEf", ranges=["Survey!B2"]).execute(num_retries=0)
    assert limited.value.resp.status == 429 and limited.value.resp["retry-after"] == "2"
    assert json.loads(limited.value.content)["error"]["status"] == "RESOURCE_EXHAUSTED"


def test_github_secondary_rate_limit(sandbox: Sandbox, github: Github) -> None:
    sandbox.add_fault("secondary_rate_limit", route="*/search/issues", retry_after=60)
    with pytest.raises(RateLimitExceededException) as limited:
        github.search_issues("repo:acme/app is:pr").totalCount  # noqa: B018 - the request happens here
    assert limited.value.status == 403 and limited.value.headers["retry-after"] == "60"
    assert "secondary rate limit" in limited.value.data["message"]


def test_server_errors(sandbox: Sandbox, sheets: Any, github: Github) -> None:
    sandbox.add_fault("server_error", "sheets", "*/values/*", status=503)
    with pytest.raises(HttpError) as unavailable:
        sheets.spreadsheets().values().get(spreadsheetId="1AbCdEf", range="Survey!B2").execute(num_retries=0)
    assert unavailable.value.resp.status == 503
    assert json.loads(unavailable.value.content)["error"]["status"] == "UNAVAILABLE"
    sandbox.add_fault("server_error", "github", "GET /repos/*", status=502, times=1)
    with pytest.raises(GithubException) as bad_gateway:
        github.get_repo("acme/app")
    assert bad_gateway.value.status == 502
    assert github.get_repo("acme/app").full_name == "acme/app"


def test_timeout(sandbox: Sandbox) -> None:
    sandbox.add_fault("timeout", "jira", "*/search/jql", seconds=1)
    creds = sandbox.credentials
    impatient = JIRA(server=sandbox.jira_url, basic_auth=(creds.jira_email, creds.jira_token), max_retries=0, timeout=0.3)
    started = time.perf_counter()
    with pytest.raises(requests.exceptions.ReadTimeout):
        impatient.search_issues("project = ONB", fields="key")
    assert time.perf_counter() - started < 2
    # The abandoned request is still being answered: in flight, not logged, until the sandbox is idle.
    assert sandbox.state.log.in_flight == 1 and "search" not in _last(sandbox, "jira")["path"]
    assert sandbox.wait_until_idle(timeout=5)
    assert sandbox.state.log.in_flight == 0
    assert _last(sandbox, "jira")["path"].endswith("/search/jql") and _last(sandbox, "jira")["status"] == 200


def test_dropped_connection(sandbox: Sandbox, github: Github) -> None:
    sandbox.add_fault("drop", "github", "*/issues/3", times=1)
    with pytest.raises(requests.exceptions.ConnectionError):
        github.get_repo("acme/okrs").get_issue(3)
    entry = _last(sandbox, "github")
    assert entry["fault"] == "drop" and entry["status"] == 0
    assert github.get_repo("acme/okrs").get_issue(3).number == 3


def test_401_after_n_requests(sandbox: Sandbox, jira: JIRA) -> None:
    sandbox.reset_log()
    sandbox.add_fault("expired_token", "jira", after=2)
    jira.myself()
    jira.issue("ONB-1")
    with pytest.raises(JIRAError) as expired:
        jira.issue("ONB-1")
    assert expired.value.status_code == 401
    assert [e["status"] for e in sandbox.requests("jira")] == [200, 200, 401]
    sandbox.clear_faults()
    assert sandbox.faults() == [] and jira.issue("ONB-1").key == "ONB-1"


def test_malformed_json(sandbox: Sandbox, sheets: Any, github: Github) -> None:
    sandbox.add_fault("malformed_json", "sheets", "*/values:batchGet")
    answer = sheets.spreadsheets().values().batchGet(spreadsheetId="1AbCdEf", ranges=["Survey!B2"]).execute(num_retries=0)
    assert isinstance(answer, str) and answer.startswith("{")  # googleapiclient hands back the text it cannot parse
    with pytest.raises(json.JSONDecodeError):
        json.loads(answer)
    sandbox.add_fault("malformed_json", "github", "GET /repos/*", times=1)
    with pytest.raises(json.JSONDecodeError):
        github.get_repo("acme/app")


def test_faults_through_the_admin_endpoint(sandbox: Sandbox, github: Github) -> None:
    admin = f"{sandbox.github_url}/_admin"
    created = requests.post(f"{admin}/faults", json={"kind": "server_error", "service": "github", "route": "*/rate_limit", "status": 500}, timeout=5)
    assert created.status_code == 201
    with pytest.raises(GithubException) as failed:
        github.get_rate_limit()
    assert failed.value.status == 500
    assert requests.get(f"{admin}/faults", timeout=5).json()[0]["applied"] == 1
    assert requests.delete(f"{admin}/faults", timeout=5).status_code == 204
    assert github.get_rate_limit().resources.search.limit == 30
    log = requests.get(f"{admin}/requests", params={"service": "github"}, timeout=5).json()
    assert log["counts"] == {"github GET /rate_limit": 2} and [r["status"] for r in log["requests"]] == [500, 200]
    refused = requests.post(f"{admin}/faults", json={"kind": "secondary_rate_limit", "service": "jira"}, timeout=5)
    assert refused.status_code == 400 and "GitHub's" in refused.json()["detail"]


def test_fault_specs_from_the_command_line() -> None:
    fault = parse_fault("rate_limit@jira:GET */search/jql,retry_after=2,times=1")
    assert (fault.kind, fault.service, fault.route, fault.retry_after, fault.times) == ("rate_limit", "jira", "GET */search/jql", 2, 1)
    assert parse_fault("latency,latency_ms=50,jitter_ms=20") == Fault("latency", latency_ms=50, jitter_ms=20)
    with pytest.raises(ValueError, match="unknown fault kind"):
        parse_fault("meteor@jira")
    with pytest.raises(ValueError, match="unknown fault setting"):
        parse_fault("drop,probability=0.5")
