"""Hostile content from the tools and in titles, end to end against the sandbox.

- Numbers that are not finite numbers (text "1e400", "NaN", "Infinity"; JSON NaN and Infinity; a
  400-digit integer; finite values whose sum overflows) fail their KR as bad_value: nothing
  non-finite is stored, published or put in the run document, and the other KRs are not affected.
- HTML and Markdown in KR titles (and in the tools' own issue titles) never reach a published
  comment unescaped: checked in what the sandbox received.
- 10 MB answers (a GitHub search whose items carry 10 MB bodies, 10 MB comments on the tracking
  issues) are read without a crash or a hang, and nothing of them is kept in the store.
"""

from __future__ import annotations

import json
import math
import re
import time
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from okr_store import models
from sandbox.server import Sandbox
from tests.reliability.helpers import (
    SEED,
    by_kr,
    engine,
    github_comments,
    jira_comments,
    markers,
    measurements,
    sync,
)

STORY_POINTS = "customfield_10016"
NAN, INF = float("nan"), float("inf")
# One sync a round: the Survey!B2 cell (O1-KR2), two cells added to the 'Team KPIs' range (O1-KR3), and
# Story Points of ONB-3 and ONB-4 (O2-KR4: the sum over done ONB issues).
ROUNDS = {
    "text 1e400, sum overflow, Jira NaN": ("1e400", [1e308, 1e308], (NAN, 2)),
    "text NaN, text Infinity, Jira Infinity": ("NaN", ["Infinity", 1], (INF, 2)),
    "JSON NaN, 400 digits, Jira 400 digits": (NAN, [10**400, 1], (10**400, 2)),
    "<script>, JSON Infinity, Jira sum overflow": ("<script>alert(1)</script>", [INF, 1], (1e308, 1e308)),
    "JSON -Infinity, text -1e400, Jira text NaN": (-INF, ["-1e400", 1], ("NaN", 2)),
}
HIT = {"O1-KR2", "O1-KR3", "O2-KR4"}


def test_numbers_that_are_not_finite_are_bad_values(prefect_harness: None, sandbox: Sandbox, project: Path) -> None:
    first, _ = sync(project)
    assert first["status"] == "success"
    spreadsheet = sandbox.spreadsheet_id
    store = engine()
    for name, (cell, range_cells, points) in ROUNDS.items():
        sandbox.set_cell(spreadsheet, "Survey!B2", cell, "RAW")
        sandbox.set_cells(spreadsheet, "'Team KPIs'!B8:B9", [[value] for value in range_cells], "RAW")
        with sandbox.state.jira.lock:
            for key, value in zip(("ONB-3", "ONB-4"), points, strict=True):
                sandbox.state.jira.issues[key].values[STORY_POINTS] = value

        document, flow_run_id = sync(project)
        json.dumps(document, allow_nan=False)  # the run document holds no NaN or Infinity
        assert document["status"] == "partial", name
        lines = by_kr(document)
        assert {k for k, kr in lines.items() if kr["outcome"] == "failed"} == HIT, name
        for key in HIT:
            assert lines[key]["error_class"] == "bad_value", (name, lines[key]["message"])
            assert lines[key]["old_value"] == pytest.approx(SEED[key]), name  # the last good value stays
        assert all(math.isfinite(row[2]) for row in measurements(store)), name
        assert not {p["kr"] for p in document["published"]} & HIT, name
        summary = _artifacts(flow_run_id)["okrsync-sync-summary"]
        assert "<script" not in summary, name  # a hostile cell is named in the message, escaped
    store.dispose()


def test_titles_are_escaped_where_they_are_published(prefect_harness: None, sandbox: Sandbox, project: Path) -> None:
    hostile = "<script>alert(1)</script> [click](javascript:alert(1)) @everyone {html}<b>x</b>{html} [~admin] |x| 🚀 \u202egnp.exe"
    text = project.read_text(encoding="utf-8")
    for kr in ("O1-KR1", "O2-KR1"):  # one publishes to Jira, the other to GitHub
        text = re.sub(rf"(- id: {kr}\n        title: )[^\n]+", lambda m: m.group(1) + json.dumps(hostile, ensure_ascii=False), text)
    project.write_text(text, encoding="utf-8")
    with sandbox.state.jira.lock:  # the tools' own titles are never published; make them hostile too
        sandbox.state.jira.issues["ONB-3"].summary = "<img src=x onerror=alert(1)>"
    with sandbox.state.github.lock:
        repo = sandbox.state.github.repo("acme", "app")
        assert repo is not None
        repo.items[1].title = "<img src=x onerror=alert(2)> [x](javascript:alert(2))"

    document, _ = sync(project)
    assert document["status"] == "success"
    github = markers(github_comments(sandbox))["O2-KR1"][0]
    jira = markers(jira_comments(sandbox))["O1-KR1"][0]
    for body in (github, jira):
        assert "onerror" not in body and "alert(2)" not in body  # nothing of the tools' titles
        assert "🚀" in body and "\u202e" in body  # unicode kept as it is
    assert "<script>" not in github and "&lt;script&gt;" in github
    assert "<b>" not in github and "](javascript" not in github and "\\[click\\]\\(javascript" in github
    assert "@everyone" not in github and "@\u2060everyone" in github  # no one is notified
    assert "{html}" not in jira and "\\{html\\}" in jira  # Jira's markup: no HTML macro, no link, no mention
    assert "[~admin]" not in jira and "[click]" not in jira and "|x|" not in jira


def test_ten_megabyte_answers(prefect_harness: None, sandbox: Sandbox, project: Path) -> None:
    big = "x" * 10_000_000
    with sandbox.state.github.lock:
        repo = sandbox.state.github.repo("acme", "app")
        okrs = sandbox.state.github.repo("acme", "okrs")
        assert repo is not None and okrs is not None
        for number in (1, 2, 4):  # merged PRs: every search answer carries 10 MB bodies
            repo.items[number].body = big
        sandbox.state.github.add_comment(okrs.items[3], big, sandbox.now)
    with sandbox.state.jira.lock:
        sandbox.state.jira.add_comment(sandbox.state.jira.issues["ONB-1"], big, sandbox.now)
        sandbox.state.jira.issues["ONB-3"].summary = big

    started = time.perf_counter()
    document, _ = sync(project)
    seconds = time.perf_counter() - started
    assert document["status"] == "success", [kr["message"] for kr in document["key_results"] if kr["message"]]
    assert seconds < 60
    assert len(markers(github_comments(sandbox))) == 3 and len(markers(jira_comments(sandbox))) == 2
    store = engine()
    with store.connect() as connection:
        cached = connection.execute(sa.select(models.HttpCacheEntry.value)).scalars().all()
        evidence = connection.execute(sa.select(models.Measurement.evidence)).scalars().all()
    store.dispose()
    assert cached and max(len(json.dumps(v)) for v in cached) < 100_000  # the cache keeps what okrsync reads
    assert max(len(json.dumps(e)) for e in evidence) < 100_000

    again, _ = sync(project)  # the cached answers (304) are as small
    assert again["status"] == "success"
    assert {kr["id"]: kr["new_value"] for kr in again["key_results"]} == pytest.approx(SEED)


def _artifacts(flow_run_id: Any) -> dict[str, str]:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId

    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[flow_run_id])))
    return {a.key: a.data if isinstance(a.data, str) else json.dumps(a.data) for a in artifacts}
