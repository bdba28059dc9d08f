"""The sandbox's clock: data-file time (or the wall clock) plus the days the sandbox was advanced."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

UTC = dt.UTC


def parse_time(value: Any) -> dt.datetime:
    """A timezone-aware datetime from a YAML/JSON value: a date, a datetime or an ISO 8601 string.

    A date means midnight UTC; a datetime without a zone is read as UTC.
    """
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, dt.date):
        moment = dt.datetime(value.year, value.month, value.day)
    elif isinstance(value, str):
        moment = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    else:
        raise ValueError(f"not a date or time: {value!r}")
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def optional_time(value: Any) -> dt.datetime | None:
    return None if value in (None, "") else parse_time(value)


class Clock:
    """`now()` is the data file's fixed time (or the wall clock when it has none) plus an offset."""

    def __init__(self, fixed: dt.datetime | None = None):
        self._fixed = fixed
        self._offset = dt.timedelta()
        self._lock = threading.Lock()

    def now(self) -> dt.datetime:
        base = self._fixed if self._fixed is not None else dt.datetime.now(UTC)
        with self._lock:
            return base + self._offset

    def advance(self, delta: dt.timedelta) -> dt.datetime:
        """Move the clock forward (statuses, closings and merges dated before the new time appear)."""
        with self._lock:
            self._offset += delta
        return self.now()
