"""Fixtures for the sandbox's own tests: the sandbox and the real client libraries pointed at it."""

from __future__ import annotations

from typing import Any

import pytest
from github import Auth, Github
from google.oauth2 import service_account
from googleapiclient.discovery import build
from jira import JIRA

from sandbox.pytest_plugin import sandbox  # noqa: F401 - the fixture
from sandbox.server import Sandbox

SCOPES = ["https://www.googleapis.com/auth/spreadsheets"]


@pytest.fixture
def jira(sandbox: Sandbox) -> JIRA:  # noqa: F811
    """The jira library on the sandbox's Jira Cloud, no retries, short timeouts."""
    creds = sandbox.credentials
    return JIRA(server=sandbox.jira_url, basic_auth=(creds.jira_email, creds.jira_token), max_retries=0, timeout=5)


@pytest.fixture
def github(sandbox: Sandbox) -> Github:  # noqa: F811
    """PyGithub on the sandbox's GitHub, without its retries and request spacing."""
    return Github(base_url=sandbox.github_url, auth=Auth.Token(sandbox.credentials.github_token), retry=None, seconds_between_requests=None, seconds_between_writes=None, timeout=5)


@pytest.fixture
def sheets(sandbox: Sandbox) -> Any:  # noqa: F811
    """google-api-python-client's Sheets service, with the sandbox's service-account file."""
    credentials = service_account.Credentials.from_service_account_file(str(sandbox.service_account_file), scopes=SCOPES)
    return build("sheets", "v4", credentials=credentials, client_options={"api_endpoint": sandbox.sheets_url}, cache_discovery=False)
