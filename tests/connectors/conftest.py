"""Fixtures for the connector tests: HTTP mocks, a recording `sleep`, connectors built as flows build them.

Jira and GitHub are mocked at the requests level with `responses`; every registered answer must be
used (assert_all_requests_are_fired). PyGithub sends its URLs with an explicit port
(https://api.github.com:443/...), so GitHub answers are registered with `gh()`, a regex that takes
both forms. Google Sheets is mocked at the httplib2 level: `httplib2.Http` is replaced by a
`SheetsHttp` (googleapiclient's HttpMockSequence that also raises exceptions), so the connector's
own service-account credentials, token request and AuthorizedHttp run unchanged.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httplib2
import pytest
import responses
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from googleapiclient.http import HttpMockSequence

from connectors.github import GitHubConnector
from connectors.jira import JiraConnector
from connectors.retry import RetryPolicy
from connectors.sheets import SheetsConnector
from tests.connectors import payloads as p

WRITES = ("POST", "PUT", "PATCH", "DELETE")


class Sleeps(list[float]):
    """The injected `sleep`: records every wait instead of waiting."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def http() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        yield mock


def gh(path: str) -> re.Pattern[str]:
    """A GitHub API URL as PyGithub sends it (with or without :443), query string aside."""
    return re.compile(rf"^https://api\.github\.com(?::443)?{re.escape(path)}(?:\?.*)?$")


def methods(mock: responses.RequestsMock) -> list[str]:
    return [call.request.method for call in mock.calls]


def writes(mock: responses.RequestsMock) -> list[str]:
    return [f"{call.request.method} {call.request.url}" for call in mock.calls if call.request.method in WRITES]


# --- Jira ----------------------------------------------------------------------------------------


def add_jira_check(
    mock: responses.RequestsMock, base: str = p.JIRA_CLOUD, deployment: str = "Cloud", time_zone: str = "Europe/Berlin"
) -> None:
    """serverInfo and myself, the two requests of JiraConnector.check()."""
    mock.get(f"{base}/rest/api/2/serverInfo", json=p.jira_server_info(base, deployment))
    mock.get(f"{base}/rest/api/2/myself", json=p.jira_myself(base, time_zone, cloud=deployment == "Cloud"))


@pytest.fixture
def make_jira(sleeps: Sleeps) -> Callable[..., JiraConnector]:
    def make(base: str = p.JIRA_CLOUD, **kwargs: Any) -> JiraConnector:
        if base == p.JIRA_CLOUD:
            kwargs.setdefault("email", p.JIRA_EMAIL)
            kwargs.setdefault("token", p.JIRA_TOKEN)
        else:
            kwargs.setdefault("token", p.JIRA_PAT)
        kwargs.setdefault("sleep", sleeps)
        return JiraConnector(base, **kwargs)

    return make


@pytest.fixture
def jira_cloud(http: responses.RequestsMock, make_jira: Callable[..., JiraConnector]) -> JiraConnector:
    """A Jira Cloud connector whose check() answers are registered."""
    add_jira_check(http, p.JIRA_CLOUD, "Cloud")
    return make_jira(p.JIRA_CLOUD)


@pytest.fixture
def jira_dc(http: responses.RequestsMock, make_jira: Callable[..., JiraConnector]) -> JiraConnector:
    """A Jira Data Center connector (personal access token) whose check() answers are registered."""
    add_jira_check(http, p.JIRA_DC, "Server")
    return make_jira(p.JIRA_DC)


# --- GitHub --------------------------------------------------------------------------------------


@pytest.fixture
def make_github(sleeps: Sleeps) -> Callable[..., GitHubConnector]:
    def make(**kwargs: Any) -> GitHubConnector:
        kwargs.setdefault("sleep", sleeps)
        return GitHubConnector(p.GITHUB_API, p.GITHUB_TOKEN, **kwargs)

    return make


@pytest.fixture
def github(make_github: Callable[..., GitHubConnector]) -> GitHubConnector:
    return make_github()


# --- Google Sheets -------------------------------------------------------------------------------


class SheetsHttp(HttpMockSequence):
    """HttpMockSequence whose queued answer may be an exception (a timeout, a refused connection)."""

    def __init__(self) -> None:
        super().__init__([])

    def answer(self, status: int, body: Any, headers: dict[str, str] | None = None) -> SheetsHttp:
        content = body if isinstance(body, str | bytes) else p.as_json(body)
        self._iterable.append(({"status": str(status), **p.GOOGLE_HEADERS, **(headers or {})}, content))
        return self

    def token(self) -> SheetsHttp:
        return self.answer(200, p.google_token(), {"content-type": "application/json; charset=utf-8"})

    def fail(self, error: BaseException) -> SheetsHttp:
        self._iterable.append((error, b""))
        return self

    def request(
        self, uri: str, method: str = "GET", body: Any = None, headers: Any = None, redirections: int = 1, connection_type: Any = None
    ) -> Any:
        if self._iterable and isinstance(self._iterable[0][0], BaseException):
            self.request_sequence.append((uri, method, body, headers))
            error, _ = self._iterable.pop(0)
            raise error
        if not self._iterable:
            raise AssertionError(f"unexpected request {method} {uri}")
        return super().request(uri, method, body, headers, redirections, connection_type)

    @property
    def pending(self) -> int:
        return len(self._iterable)

    @property
    def api_requests(self) -> list[tuple[str, str, Any, Any]]:
        """The requests to the Sheets API, token requests aside."""
        return [r for r in self.request_sequence if not r[0].startswith(p.TOKEN_URI)]


@pytest.fixture(scope="session")
def service_account_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real service-account JSON with a freshly generated RSA key; its token_uri is mocked."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
    path = tmp_path_factory.mktemp("google") / "service-account.json"
    path.write_text(json.dumps(p.service_account_info(pem)))
    return path


@pytest.fixture
def sheets_http(monkeypatch: pytest.MonkeyPatch) -> Iterator[SheetsHttp]:
    fake = SheetsHttp()
    monkeypatch.setattr(httplib2, "Http", lambda *args, **kwargs: fake)
    yield fake
    assert fake.pending == 0, "not every queued Google answer was used"


@pytest.fixture
def make_sheets(sheets_http: SheetsHttp, service_account_file: Path, sleeps: Sleeps) -> Callable[..., SheetsConnector]:
    def make(**kwargs: Any) -> SheetsConnector:
        kwargs.setdefault("sleep", sleeps)
        return SheetsConnector(p.SPREADSHEET, str(service_account_file), **kwargs)

    return make


@pytest.fixture
def sheets(make_sheets: Callable[..., SheetsConnector]) -> SheetsConnector:
    return make_sheets()


ONE_TRY = RetryPolicy(attempts=1)
