"""One exception hierarchy for every connector; each error carries its class and what to do.

Error classes (DESIGN.md): auth, not_found, bad_query, rate_limited, unavailable, bad_value. Messages
are written for the person running okrsync and never contain a secret.
"""

from __future__ import annotations

from typing import ClassVar


class ConnectorError(Exception):
    """A failure talking to a tool. `error_class` sorts it; `hint` says what the user can do."""

    error_class: ClassVar[str] = "unavailable"
    retryable: ClassVar[bool] = False

    def __init__(self, message: str, *, hint: str | None = None, status: int | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.status = status

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


class AuthError(ConnectorError):
    error_class = "auth"


class NotFoundError(ConnectorError):
    error_class = "not_found"


class BadQueryError(ConnectorError):
    error_class = "bad_query"


class BadValueError(ConnectorError):
    error_class = "bad_value"


class RateLimitedError(ConnectorError):
    """The tool asked us to slow down; `retry_after` is how long, in seconds, when it said."""

    error_class = "rate_limited"
    retryable = True

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: object):
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
        self.retry_after = retry_after


class UnavailableError(ConnectorError):
    """5xx, timeouts, dropped connections, unreadable answers: worth retrying."""

    error_class = "unavailable"
    retryable = True

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: object):
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
        self.retry_after = retry_after


ERROR_CLASSES = ("auth", "not_found", "bad_query", "rate_limited", "unavailable", "bad_value")
