"""One retry policy for every connector: retry rate limits and unavailability, honour the server.

The client libraries' own retries are switched off (jira's ResilientSession, PyGithub's GithubRetry,
googleapiclient's num_retries) so that retries never stack: this policy is the only one. It waits
what Retry-After (seconds or HTTP date) or X-RateLimit-Reset say, else backs off exponentially with
jitter, and gives up once the total wait would pass `max_wait`, re-raising the last error so a KR
fails as rate_limited or unavailable, never silently.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import TypeVar

import tenacity

from connectors.errors import ConnectorError

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 4  # tries in all, the first included
    max_wait: float = 90.0  # seconds of waiting allowed for one call, all retries together
    backoff: float = 1.0  # first wait when the server names none; doubles each time
    backoff_cap: float = 20.0


NO_RETRY = RetryPolicy(attempts=1)


def retry_after_seconds(headers: Mapping[str, str], now: dt.datetime | None = None) -> float | None:
    """Seconds the server asked us to wait: Retry-After (seconds or HTTP date), else an exhausted
    X-RateLimit-Reset (epoch seconds). None when it said nothing."""
    lowered = {key.lower(): value for key, value in headers.items()}
    now = now or dt.datetime.now(dt.UTC)
    value = lowered.get("retry-after")
    if value is not None:
        value = value.strip()
        if value.replace(".", "", 1).isdigit():
            return max(0.0, float(value))
        try:
            moment = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        return max(0.0, (moment - now).total_seconds())
    reset, remaining = lowered.get("x-ratelimit-reset"), lowered.get("x-ratelimit-remaining")
    if reset and remaining == "0" and reset.isdigit():
        return max(0.0, int(reset) - now.timestamp())
    return None


def _is_retryable(error: BaseException) -> bool:
    return isinstance(error, ConnectorError) and error.retryable


def call_with_retries(fn: Callable[[], T], policy: RetryPolicy, sleep: Callable[[float], None] = time.sleep) -> T:
    """Call `fn`, retrying retryable connector errors under `policy`; the last error is re-raised."""
    fallback = tenacity.wait_random_exponential(multiplier=policy.backoff, max=policy.backoff_cap)

    def wait(state: tenacity.RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        asked = getattr(error, "retry_after", None)
        return float(asked) if asked is not None else fallback(state)

    def stop(state: tenacity.RetryCallState) -> bool:
        return state.attempt_number >= policy.attempts or state.idle_for + state.upcoming_sleep > policy.max_wait

    retrying = tenacity.Retrying(
        retry=tenacity.retry_if_exception(_is_retryable), wait=wait, stop=stop, sleep=sleep, reraise=True
    )
    return retrying(fn)
