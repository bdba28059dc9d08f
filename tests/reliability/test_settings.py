"""The two knobs the fault tests turn: a source's `timeout` (configuration) and the retry policy's waits
(OKRSYNC_RETRY_MAX_WAIT, OKRSYNC_RETRY_BACKOFF). Their effect on real faults is in test_faults.py."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from connectors.retry import RetryPolicy
from flows.connect import build_connector, retry_policy
from mapping import schema


def test_retry_policy_defaults_and_environment() -> None:
    assert retry_policy({}) == RetryPolicy()
    policy = retry_policy({"OKRSYNC_RETRY_MAX_WAIT": "1.5", "OKRSYNC_RETRY_BACKOFF": " 0.05 "})
    assert (policy.attempts, policy.max_wait, policy.backoff, policy.backoff_cap) == (4, 1.5, 0.05, 20.0)
    assert retry_policy({"OKRSYNC_RETRY_MAX_WAIT": "0"}).max_wait == 0  # retries only what needs no wait


@pytest.mark.parametrize("value", ["soon", "-1", "nan", "1e9"])
def test_retry_policy_refuses_what_is_not_seconds(value: str) -> None:
    with pytest.raises(ValueError, match="OKRSYNC_RETRY_BACKOFF must be a number of seconds from 0 to 3600"):
        retry_policy({"OKRSYNC_RETRY_BACKOFF": value})


def test_source_timeout() -> None:
    source = schema.JiraSource(type="jira", url="https://acme.atlassian.net", token="${T}", timeout=2.5)
    connector = build_connector(source, {"T": "token", "OKRSYNC_RETRY_MAX_WAIT": "3"})
    assert connector._client._session.timeout == 2.5  # type: ignore[union-attr]
    assert connector._retry.max_wait == 3  # type: ignore[union-attr]
    assert schema.GitHubSource(type="github", token="${T}").timeout == 30
    with pytest.raises(ValidationError):
        schema.SheetsSource(type="google_sheets", spreadsheet="s", credentials="${C}", timeout=0)
