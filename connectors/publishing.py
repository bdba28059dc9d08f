"""What okrsync publishes for a KR, rendered for each tool, with a hash to skip unchanged content.

The rendered text holds no timestamp, so the same numbers give the same text and the same hash: a
rerun writes nothing. Every text that comes from the configuration or a tool is escaped for the
target's markup.
"""

from __future__ import annotations

import hashlib
import html
import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from mapping.display import (
    STATUS_LABEL,
    percent,
    score,
    target_span,
    value_with_unit,
)

STATUS_ICON = {"on_track": "🟢", "at_risk": "🟡", "off_track": "🔴", "no_data": "⚪"}
_JIRA_SPECIAL = re.compile(r"([\\{}\[\]|*_+^~?#!-])")
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|~>-])")
MARKER_PREFIX = "okrsync:kr="


@dataclass(frozen=True)
class ProgressUpdate:
    """A KR's progress as published."""

    kr_id: str
    title: str
    value: float | None
    unit: str | None
    start: float
    target: float
    direction: str
    progress: float | None
    score: float | None
    status: str
    expected_progress: float
    query: str | None = None
    stale_reason: str | None = None  # set when the value shown is the last good one

    @property
    def marker(self) -> str:
        return f"{MARKER_PREFIX}{self.kr_id}"


def holds_marker(body: object, marker: str) -> bool:
    """Whether a comment body carries `marker` whole: okrsync:kr=O1-KR1 is not found in O1-KR10's comment."""
    return re.search(re.escape(marker) + r"(?![A-Za-z0-9_.\-])", str(body or "")) is not None


class CommentIndex:
    """okrsync's comments on each issue, listed once per run: finding the comments of several KRs on one
    issue costs one listing, not one per KR. Only comments holding a marker are kept; the connector
    tells it of each comment it creates or edits, so it never goes stale within the run."""

    def __init__(self, list_comments: Callable[[str], Iterable[dict[str, Any]]]):
        self._list = list_comments
        self._by_issue: dict[str, list[dict[str, Any]]] = {}
        self._lock = threading.Lock()

    def find(self, issue: str, marker: str, *, fresh: bool = False) -> dict[str, Any] | None:
        """The comment on `issue` holding `marker`, if any; `fresh` lists the issue again (after a failed
        POST, which may have created one)."""
        with self._lock:
            if fresh or issue not in self._by_issue:
                self._by_issue[issue] = [c for c in self._list(issue) if MARKER_PREFIX in str(c.get("body") or "")]
            comments = self._by_issue[issue]
        return next((c for c in comments if holds_marker(c.get("body"), marker)), None)

    def remember(self, issue: str, comment: dict[str, Any]) -> None:
        """A comment just created or edited (its id and body) on an issue already listed."""
        with self._lock:
            listed = self._by_issue.get(issue)
            if listed is not None:
                listed[:] = [c for c in listed if str(c.get("id")) != str(comment.get("id"))] + [comment]


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def render_jira(update: ProgressUpdate) -> str:
    """Jira wiki markup (REST API v2 comment body); the marker ends the comment."""
    e = _jira_escape
    lines = [
        f"*{e(update.kr_id)} · {e(update.title)}*",
        f"Value: *{e(_value(update))}* ({e(_span(update))}) · progress {percent(update.progress)} · "
        f"score {score(update.score)} · *{STATUS_LABEL[update.status]}* (expected {percent(update.expected_progress)})",
    ]
    if update.stale_reason:
        lines.append(f"(!) Not refreshed: {e(update.stale_reason)}; the value shown is the last good one.")
    if update.query:
        query = update.query
        while "{noformat}" in query:  # until none is left: "{no{noformat}format}" must not close the block
            query = query.replace("{noformat}", "")
        lines.append(f"Source: {{noformat}}{query}{{noformat}}")
    lines.append(f"{{color:#97a0af}}Kept current by okrsync; edits are overwritten. {update.marker}{{color}}")
    return "\n".join(lines)


def render_github(update: ProgressUpdate) -> str:
    """GitHub-flavoured Markdown; the marker is an HTML comment, invisible on the page."""
    e = _markdown_escape
    lines = [
        f"<!-- {update.marker} -->",
        f"### {e(update.kr_id)} · {e(update.title)}",
        "",
        "| value | start → target | progress | score | status | expected |",
        "|---|---|---|---|---|---|",
        f"| {e(_value(update))} | {e(_span(update))} | {percent(update.progress)} | {score(update.score)} | "
        f"{STATUS_ICON[update.status]} {STATUS_LABEL[update.status]} | {percent(update.expected_progress)} |",
    ]
    if update.stale_reason:
        lines += ["", f"> [!WARNING]\n> Not refreshed: {e(update.stale_reason)}. The value shown is the last good one."]
    if update.query:
        lines += ["", f"<sub>Source: <code>{html.escape(update.query)}</code> · kept current by okrsync</sub>"]
    return "\n".join(lines)


def sheet_row(update: ProgressUpdate, updated_at: str) -> list[object]:
    """value, progress, status, updated-at: the cells of a Sheets publish range, from the first rightwards."""
    return ["" if update.value is None else update.value, "" if update.progress is None else round(update.progress, 4),
            STATUS_LABEL[update.status], updated_at]


def sheet_hash(update: ProgressUpdate) -> str:
    """The hash of what a sheet row shows, updated-at aside (it changes only with the rest)."""
    return content_hash(repr(sheet_row(update, "")))


def _jira_escape(text: str) -> str:
    return _JIRA_SPECIAL.sub(r"\\\1", text)


def _markdown_escape(text: str) -> str:
    """Escaped for Markdown and HTML; an @mention is broken (U+2060) so publishing never notifies anyone."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", html.escape(text, quote=False)).replace("@", "@\u2060")


def _value(update: ProgressUpdate) -> str:
    return value_with_unit(update.value, update.unit)


def _span(update: ProgressUpdate) -> str:
    return target_span(update.direction, update.start, update.target)
