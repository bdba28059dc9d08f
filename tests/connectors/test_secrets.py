"""Secrets never reach an error: not its message, hint, str, repr or formatted traceback.

Every failure path of every connector is driven with real-looking credentials, and each resulting
error is searched for the token, the email/password, their Basic-auth encoding, the Google access
token and pieces of the service account's private key.
"""

from __future__ import annotations

import base64
import json
import socket
import traceback
from collections.abc import Callable, Iterable
from pathlib import Path

import pytest
import requests
import responses

from connectors.errors import AuthError, ConnectorError
from connectors.github import GitHubConnector
from connectors.jira import JiraConnector
from connectors.sheets import CellRead, SheetsConnector
from tests.connectors import payloads as p
from tests.connectors.conftest import ONE_TRY, SheetsHttp, add_jira_check, gh

JIRA_SECRETS = [p.JIRA_TOKEN, p.JIRA_EMAIL, p.JIRA_PAT, base64.b64encode(f"{p.JIRA_EMAIL}:{p.JIRA_TOKEN}".encode()).decode()]


def everything_shown(error: BaseException) -> str:
    """All the text an error can put in front of a person or into a log."""
    parts = [str(error), repr(error), "".join(traceback.format_exception(error))]
    if isinstance(error, ConnectorError):
        parts += [error.message, error.hint or ""]
    return "\n".join(parts)


def assert_no_secret(error: BaseException, secrets: Iterable[str]) -> None:
    shown = everything_shown(error)
    for secret in secrets:
        assert secret not in shown, f"{type(error).__name__} shows a secret: {shown}"


JIRA_FAILURES = [
    pytest.param({"status": 401, "body": "User is not authorized"}, id="401"),
    pytest.param({"status": 400, "json": p.jira_errors("Field 'assignee' does not exist or cannot be viewed by anonymous users."),
                  "headers": {"X-Seraph-Loginreason": "AUTHENTICATED_FAILED"}}, id="400-authenticated-failed"),
    pytest.param({"status": 403, "body": "", "headers": {"X-Authentication-Denied-Reason": "CAPTCHA_CHALLENGE"}}, id="403"),
    pytest.param({"status": 404, "json": p.jira_errors("Issue does not exist or you do not have permission to see it.")}, id="404"),
    pytest.param({"status": 400, "json": p.jira_errors("Error in the JQL Query: Expecting operator but got 'query'.")}, id="400-jql"),
    pytest.param({"status": 429, "body": p.JIRA_429_HTML, "headers": p.JIRA_429_HEADERS}, id="429"),
    pytest.param({"status": 500, "json": {"message": "NullPointerException"}}, id="500"),
    pytest.param({"status": 200, "body": "<html>Not JSON</html>"}, id="malformed"),
    pytest.param({"body": requests.exceptions.ReadTimeout("read timed out")}, id="timeout"),
    pytest.param({"body": requests.exceptions.ConnectionError("Connection refused")}, id="connection"),
]


@pytest.mark.parametrize("base", [p.JIRA_CLOUD, p.JIRA_DC], ids=["cloud-email-token", "dc-pat"])
@pytest.mark.parametrize("answer", JIRA_FAILURES)
def test_jira_errors_hold_no_secret(http: responses.RequestsMock, make_jira: Callable[..., JiraConnector], base: str, answer: dict) -> None:
    add_jira_check(http, base, "Cloud" if base == p.JIRA_CLOUD else "Server")
    http.get(f"{base}/rest/api/{3 if base == p.JIRA_CLOUD else 2}/search{'/jql' if base == p.JIRA_CLOUD else ''}", **answer)

    with pytest.raises(ConnectorError) as raised:
        make_jira(base, retry=ONE_TRY).count("assignee = currentUser()")

    assert_no_secret(raised.value, JIRA_SECRETS)


def test_jira_auth_error_on_check_holds_no_secret(http: responses.RequestsMock, make_jira: Callable[..., JiraConnector]) -> None:
    http.get(f"{p.JIRA_CLOUD}/rest/api/2/serverInfo", status=401, json=p.jira_errors("User is not logged in."))

    with pytest.raises(AuthError) as raised:
        make_jira().check()

    assert raised.value.message == "Jira rejected the credentials"
    assert_no_secret(raised.value, JIRA_SECRETS)


GITHUB_FAILURES = [
    pytest.param({"status": 401, "json": p.github_error("Bad credentials")}, id="401"),
    pytest.param({"status": 403, "json": p.github_error("Resource not accessible by personal access token")}, id="403"),
    pytest.param({"status": 403, "json": p.github_error(p.GITHUB_SECONDARY_LIMIT), "headers": {"Retry-After": "60"}}, id="403-secondary"),
    pytest.param({"status": 404, "json": p.github_error("Not Found")}, id="404"),
    pytest.param({"status": 422, "json": p.GITHUB_SEARCH_422}, id="422"),
    pytest.param({"status": 502, "body": "<html><body>Bad gateway</body></html>"}, id="502"),
    pytest.param({"status": 200, "body": '{"total_count": 3, "items": ['}, id="malformed"),
    pytest.param({"body": requests.exceptions.ReadTimeout("read timed out")}, id="timeout"),
]


@pytest.mark.parametrize("answer", GITHUB_FAILURES)
def test_github_errors_hold_no_secret(http: responses.RequestsMock, make_github: Callable[..., GitHubConnector], answer: dict) -> None:
    http.get(gh("/search/issues"), **answer)

    with pytest.raises(ConnectorError) as raised:
        make_github(retry=ONE_TRY).count("repo:acme/app is:pr")

    assert_no_secret(raised.value, [p.GITHUB_TOKEN])


def _google_secrets(service_account_file: Path) -> list[str]:
    info = json.loads(service_account_file.read_text())
    key_lines = [line for line in info["private_key"].splitlines() if line and not line.startswith("-----")]
    return [p.ACCESS_TOKEN, info["private_key_id"], *key_lines[1:4]]


SHEETS_FAILURES = [
    pytest.param(lambda h: h.answer(400, {"error": "invalid_grant", "error_description": "Invalid JWT Signature."}), id="token-refused"),
    pytest.param(lambda h: [h.token().answer(401, p.SHEETS_UNAUTHENTICATED) for _ in range(3)], id="401"),
    pytest.param(lambda h: h.token().answer(403, p.SHEETS_PERMISSION_DENIED), id="403"),
    pytest.param(lambda h: h.token().answer(404, p.SHEETS_NOT_FOUND), id="404"),
    pytest.param(lambda h: h.token().answer(429, p.SHEETS_RESOURCE_EXHAUSTED), id="429"),
    pytest.param(lambda h: h.token().answer(503, p.SHEETS_BACKEND_ERROR), id="503"),
    pytest.param(lambda h: h.token().fail(socket.timeout("timed out")), id="timeout"),
]


@pytest.mark.parametrize("queue", SHEETS_FAILURES)
def test_sheets_errors_hold_no_secret(
    sheets_http: SheetsHttp, make_sheets: Callable[..., SheetsConnector], service_account_file: Path, queue: Callable[[SheetsHttp], object]
) -> None:
    queue(sheets_http)

    with pytest.raises(ConnectorError) as raised:
        make_sheets(retry=ONE_TRY).check()

    assert_no_secret(raised.value, _google_secrets(service_account_file))


def test_sheets_read_errors_hold_no_secret(
    sheets_http: SheetsHttp, make_sheets: Callable[..., SheetsConnector], service_account_file: Path
) -> None:
    sheets_http.token().answer(400, p.sheets_unparsable_range("'Secret sheet'!A1"))

    (error,) = make_sheets(retry=ONE_TRY).read([CellRead("'Secret sheet'!A1")])

    assert isinstance(error, ConnectorError)
    assert_no_secret(error, _google_secrets(service_account_file))


def test_an_unreadable_key_file_error_holds_no_secret(tmp_path: Path, service_account_file: Path) -> None:
    info = json.loads(service_account_file.read_text())
    info["private_key"] = info["private_key"][:200] + "garbage"  # a damaged key: part of it is still secret
    broken = tmp_path / "sa.json"
    broken.write_text(json.dumps(info))

    with pytest.raises(AuthError) as raised:
        SheetsConnector(p.SPREADSHEET, str(broken))

    assert_no_secret(raised.value, [info["private_key"][40:120], info["private_key_id"]])


def test_readings_hold_no_secret(http: responses.RequestsMock, jira_cloud: JiraConnector) -> None:
    http.get(f"{p.JIRA_CLOUD}/rest/api/3/search/jql", json=p.jira_cloud_page([p.jira_issue("ONB-1", 10001)]))

    shown = json.dumps(jira_cloud.count("project = ONB").to_json())

    assert all(secret not in shown for secret in JIRA_SECRETS)
