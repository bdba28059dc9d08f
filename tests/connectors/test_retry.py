"""The one retry policy: what the server asked for is waited, the total wait is bounded, the rest backs off."""

from __future__ import annotations

import datetime as dt
from email.utils import format_datetime

import pytest

from connectors.errors import (
    AuthError,
    BadQueryError,
    BadValueError,
    NotFoundError,
    RateLimitedError,
    UnavailableError,
)
from connectors.retry import (
    NO_RETRY,
    RetryPolicy,
    call_with_retries,
    retry_after_seconds,
)
from tests.connectors.conftest import Sleeps

NOW = dt.datetime(2026, 11, 2, 10, 15, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"Retry-After": "120"}, 120.0),
        ({"retry-after": "0"}, 0.0),  # Jira Data Center often says 0
        ({"Retry-After": "1.5"}, 1.5),
        ({"Retry-After": format_datetime(NOW + dt.timedelta(seconds=30), usegmt=True)}, 30.0),
        ({"Retry-After": format_datetime(NOW - dt.timedelta(seconds=30), usegmt=True)}, 0.0),  # already past
        ({"Retry-After": "soon"}, None),
        ({"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(int(NOW.timestamp()) + 45)}, 45.0),
        ({"x-ratelimit-remaining": "12", "x-ratelimit-reset": str(int(NOW.timestamp()) + 45)}, None),  # budget left
        ({"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "2026-11-02T10:16Z"}, None),  # Jira Cloud's date form
        ({}, None),
    ],
)
def test_retry_after_seconds(headers: dict[str, str], expected: float | None) -> None:
    assert retry_after_seconds(headers, now=NOW) == expected


class Flaky:
    """Fails with the given errors, one per call, then answers."""

    def __init__(self, *errors: Exception) -> None:
        self.errors = list(errors)
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return "answer"


def test_the_wait_the_server_names_is_honoured(sleeps: Sleeps) -> None:
    fn = Flaky(RateLimitedError("slow down", retry_after=7), UnavailableError("503", retry_after=2.5))

    assert call_with_retries(fn, RetryPolicy(), sleeps) == "answer"
    assert sleeps == [7.0, 2.5] and fn.calls == 3


def test_without_a_named_wait_backoff_is_exponential_jittered_and_capped(sleeps: Sleeps) -> None:
    fn = Flaky(*(UnavailableError("timeout") for _ in range(6)))

    with pytest.raises(UnavailableError):
        call_with_retries(fn, RetryPolicy(attempts=6, max_wait=1000, backoff=1, backoff_cap=3), sleeps)

    assert fn.calls == 6 and len(sleeps) == 5
    assert all(0 <= s <= 3 for s in sleeps)


def test_the_total_wait_is_bounded_and_the_last_error_raised(sleeps: Sleeps) -> None:
    fn = Flaky(*(RateLimitedError(f"limit {n}", retry_after=50) for n in range(4)))

    with pytest.raises(RateLimitedError, match="limit 1"):
        call_with_retries(fn, RetryPolicy(attempts=4, max_wait=90), sleeps)

    assert sleeps == [50.0]  # a second 50 s wait would pass 90 s in all
    assert fn.calls == 2


def test_a_single_wait_longer_than_max_wait_is_not_slept(sleeps: Sleeps) -> None:
    fn = Flaky(RateLimitedError("come back in an hour", retry_after=3600))

    with pytest.raises(RateLimitedError):
        call_with_retries(fn, RetryPolicy(max_wait=90), sleeps)

    assert sleeps == [] and fn.calls == 1


@pytest.mark.parametrize("error", [AuthError("no"), NotFoundError("no"), BadQueryError("no"), BadValueError("no"), ValueError("bug")])
def test_errors_that_will_not_heal_are_raised_at_once(sleeps: Sleeps, error: Exception) -> None:
    fn = Flaky(error)

    with pytest.raises(type(error)):
        call_with_retries(fn, RetryPolicy(), sleeps)

    assert fn.calls == 1 and sleeps == []


def test_no_retry_policy_tries_once(sleeps: Sleeps) -> None:
    fn = Flaky(UnavailableError("503"))

    with pytest.raises(UnavailableError):
        call_with_retries(fn, NO_RETRY, sleeps)

    assert fn.calls == 1 and sleeps == []
