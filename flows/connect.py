"""Build each source's connector from the configuration, with its secrets resolved.

Secrets come from `${ENV}` references or Prefect Secret blocks (`{secret: jira-token}`); a missing
one makes that source fail as `auth` with a message naming the variable or block, never its value.

Each source's `timeout` (seconds per HTTP answer, default 30) comes from the configuration. The retry
policy (connectors/retry.py) can be tuned from the environment, so a schedule with a tight interval, or
a test, can bound how long faults are waited out: OKRSYNC_RETRY_MAX_WAIT, seconds of waiting one call
may spend on retries (default 90), and OKRSYNC_RETRY_BACKOFF, the first wait when the server names
none (default 1; it doubles, with jitter).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from connectors.errors import AuthError, ConnectorError, UnavailableError
from connectors.github import GitHubConnector
from connectors.jira import JiraConnector
from connectors.retry import RetryPolicy
from connectors.sheets import SheetsConnector
from mapping import schema
from mapping.secrets import MissingVariable, expand_env

Connector = JiraConnector | GitHubConnector | SheetsConnector
RETRY_MAX_WAIT_ENV = "OKRSYNC_RETRY_MAX_WAIT"
RETRY_BACKOFF_ENV = "OKRSYNC_RETRY_BACKOFF"
MIN_MASKED = 12  # real tokens are far longer; shorter values (test placeholders) would mask ordinary words
_RESOLVED: set[str] = set()  # every secret value resolved in this process, masked in unexpected errors


@dataclass(frozen=True)
class SourceLimits:
    """How hard okrsync may press a source: requests in flight and requests per second."""

    concurrency: int
    per_second: float


# The vendors' documented guidance as defaults: GitHub asks for serial requests (secondary limits);
# its 30 searches a minute are budgeted by the connector from the rate-limit headers (a 304 costs none),
# so pacing every request at the search rate would only slow the rest; Sheets allows 60
# reads a minute per user; Jira Cloud's cost-based limits suit a few parallel requests.
DEFAULT_LIMITS = {
    "jira": SourceLimits(concurrency=4, per_second=10.0),
    "github": SourceLimits(concurrency=1, per_second=10.0),
    "google_sheets": SourceLimits(concurrency=2, per_second=1.0),
}


def source_limits(source: Any) -> SourceLimits:
    default = DEFAULT_LIMITS[source.type]
    limits = getattr(source, "limits", None)
    if limits is None:
        return default
    return SourceLimits(limits.concurrency or default.concurrency, limits.per_second or default.per_second)


def resolve_secret(reference: str | schema.SecretBlock, environ: Mapping[str, str]) -> str:
    """The value behind `${VAR}` or `{secret: block}`, without surrounding whitespace (a secret file's
    trailing newline would make an invalid header); AuthError naming the reference if missing."""
    if isinstance(reference, schema.SecretBlock):
        try:
            from prefect.blocks.system import Secret

            value = str(Secret.load(reference.secret).get())
        except Exception:  # noqa: BLE001 - any failure to load is the same problem for the user
            raise AuthError(f"cannot load the Prefect Secret block {reference.secret!r}",
                            hint=f"create it: prefect block create secret, named {reference.secret}") from None
    else:
        try:
            value = expand_env(reference, environ)
        except MissingVariable as error:
            raise AuthError(str(error), hint=f"set {error.name}") from None
    value = value.strip()
    if len(value) >= MIN_MASKED:
        _RESOLVED.add(value)
    return value


def unexpected(error: Exception) -> ConnectorError:
    """A bug or an unforeseen library error, kept per KR like any other failure. Its text is masked of
    every secret resolved in this process: a library may quote what it refused (a header, say)."""
    message = f"unexpected error: {type(error).__name__}: {error}"
    for secret in sorted(_RESOLVED, key=len, reverse=True):  # a secret inside a longer one must not split it
        message = message.replace(secret, "***")
    return UnavailableError(message)


def retry_policy(environ: Mapping[str, str] | None = None) -> RetryPolicy:
    """The retry policy, with OKRSYNC_RETRY_MAX_WAIT and OKRSYNC_RETRY_BACKOFF (seconds) where set."""
    environ = os.environ if environ is None else environ
    default = RetryPolicy()
    max_wait = _seconds(environ, RETRY_MAX_WAIT_ENV, default.max_wait)
    backoff = _seconds(environ, RETRY_BACKOFF_ENV, default.backoff)
    return RetryPolicy(max_wait=max_wait, backoff=backoff, backoff_cap=max(default.backoff_cap, backoff))


def _seconds(environ: Mapping[str, str], name: str, default: float) -> float:
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    try:
        seconds = float(raw)
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds <= 3600:  # NaN fails this too
        raise ValueError(f"{name} must be a number of seconds from 0 to 3600, not {raw!r}")
    return seconds


def build_connector(source: Any, environ: Mapping[str, str] | None = None, retry: RetryPolicy | None = None,
                    cache: dict[str, dict[str, Any]] | None = None) -> Connector:
    """The connector for one source of the configuration."""
    environ = os.environ if environ is None else environ
    retry = retry_policy(environ) if retry is None else retry
    timeout = float(getattr(source, "timeout", 30.0))
    if isinstance(source, schema.JiraSource):
        email = expand_env(source.email, environ) if source.email else None
        return JiraConnector(source.url, resolve_secret(source.token, environ), email, retry=retry, timeout=timeout,
                             credential_hint=_hint(source.token, "the Jira API token"))
    if isinstance(source, schema.GitHubSource):
        return GitHubConnector(source.url, resolve_secret(source.token, environ), retry=retry, cache=cache, timeout=timeout,
                               credential_hint=_hint(source.token, "the GitHub token"))
    credentials = resolve_secret(source.credentials, environ)
    return SheetsConnector(source.spreadsheet, credentials, source.url, retry=retry, timeout=timeout,
                           credential_hint=_hint(source.credentials, "the service-account file"))


def try_build(source: Any, environ: Mapping[str, str] | None = None, retry: RetryPolicy | None = None,
              cache: dict[str, dict[str, Any]] | None = None) -> Connector | ConnectorError:
    try:
        return build_connector(source, environ, retry, cache)
    except MissingVariable as error:
        return AuthError(str(error), hint=f"set {error.name}")
    except ConnectorError as error:
        return error


def _hint(reference: str | schema.SecretBlock, what: str) -> str:
    if isinstance(reference, schema.SecretBlock):
        return f"check {what} in the Prefect Secret block {reference.secret!r}"
    variables = ", ".join(reference.strip("${}").split("}${"))
    return f"check {what} in {variables}"
