"""`{cycle.start}`, `{cycle.end}` and `{cycle.name}` in queries, rendered so cycle boundaries are exact.

Jira reads the dates of a JQL query in the API user's profile time zone, to the minute; GitHub reads
search dates without a time as UTC days. So a cycle (calendar days in its own time zone) is turned
into two instants, and each tool gets them in a form it reads the same way. docs/connectors.md shows
examples.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from mapping.schema import Cycle

_PLACEHOLDER = re.compile(r"""(["']?)\{cycle\.(start|end|name)\}\1""")


@dataclass(frozen=True)
class CycleWindow:
    """The cycle as instants: `start` is its first moment, `end` its last minute (both aware)."""

    name: str
    start: dt.datetime
    end: dt.datetime
    timezone: str


def cycle_window(cycle: Cycle) -> CycleWindow:
    zone = ZoneInfo(cycle.timezone)
    start = dt.datetime.combine(cycle.start, dt.time(), zone)
    end = dt.datetime.combine(cycle.end, dt.time(23, 59), zone)
    return CycleWindow(cycle.name, start, end, cycle.timezone)


def render_jql(query: str, window: CycleWindow, user_timezone: str | None) -> str:
    """Placeholders as quoted JQL date-times in the API user's zone: "2026-10-01 00:00".

    A placeholder the user already quoted is not quoted twice.
    """
    zone = _zone(user_timezone)

    def value(match: re.Match[str]) -> str:
        part = match.group(2)
        if part == "name":
            return f'"{window.name}"'
        moment = window.start if part == "start" else window.end
        return f'"{moment.astimezone(zone):%Y-%m-%d %H:%M}"'

    return _PLACEHOLDER.sub(value, query)


def render_github_query(query: str, window: CycleWindow) -> str:
    """Placeholders in GitHub search syntax: plain dates for a UTC cycle (GitHub's days are UTC),
    else ISO 8601 date-times with the cycle's offset."""

    def value(match: re.Match[str]) -> str:
        part = match.group(2)
        if part == "name":
            return window.name
        if window.timezone == "UTC":
            return (window.start if part == "start" else window.end).date().isoformat()
        moment = window.start if part == "start" else window.end.replace(second=59)
        return moment.isoformat()

    return _PLACEHOLDER.sub(value, query)


def _zone(name: str | None) -> dt.tzinfo:
    if not name:
        return dt.UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return dt.UTC
