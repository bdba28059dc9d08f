"""The sync status model: runs, source health and KRs needing attention, from recorded runs."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy.orm import Session

from mapping.loader import load_config
from okr_store import definitions, runs
from okr_store.runs import KROutcome, RunRecord
from okr_store.status import build_status

UTC = dt.UTC
CONFIG = """
cycle: {name: Q4, start: 2026-10-01, end: 2026-12-31}
sources:
  gh: {type: github, token: '${T}'}
objectives:
  - id: O1
    title: T
    key_results:
      - {id: PRS, title: PRs, target: 40, metric: {source: gh, count: 'is:pr'}}
      - {id: ISSUES, title: Issues, target: 40, metric: {source: gh, count: 'is:issue'}}
      - {id: TALKS, title: Talks, target: 4, metric: {manual: true}}
"""


def at(hour: int) -> dt.datetime:
    return dt.datetime(2026, 11, 2, hour, tzinfo=UTC)


def record(session: Session, cycle_id: int, hour: int, outcomes: list[KROutcome], error: str | None = None) -> None:
    summary = {"type": "github", "requests": 3, "error_class": "auth" if error else None, "error": error}
    status = "success" if all(o.status == "ok" for o in outcomes) else "partial"
    runs.record_run(session, cycle_id, RunRecord("schedule", at(hour), at(hour) + dt.timedelta(seconds=5), status, None, {"gh": summary}), outcomes)


def test_status_after_a_failure_streak(session: Session, tmp_path: Path) -> None:
    path = tmp_path / "okrsync.yaml"
    path.write_text(CONFIG)
    definitions.apply_config(session, load_config(path).config)
    cycle = definitions.current_cycle(session, "Q4")
    ok = [KROutcome("PRS", "ok", 10, "gh", fetched_at=at(8)), KROutcome("ISSUES", "ok", 5, "gh", fetched_at=at(8))]
    record(session, cycle.id, 8, ok)
    token = "GitHub rejected the token (check the GitHub token in GITHUB_TOKEN)"
    failed = [KROutcome("PRS", "failed", error_class="auth", message=token), KROutcome("ISSUES", "ok", 6, "gh", fetched_at=at(9))]
    record(session, cycle.id, 9, failed, error=token)
    record(session, cycle.id, 10, failed[:1], error=token)

    report = build_status(session, "Q4", at(13), dt.timedelta(hours=2))
    assert [run.id for run in report.runs] == sorted((run.id for run in report.runs), reverse=True)
    assert report.runs[0].requests == {"gh": 3}
    (gh,) = report.sources
    assert (gh.consecutive_failures, gh.last_error_class, gh.last_success) == (2, "auth", at(8) + dt.timedelta(seconds=5))
    reasons = {item.id: item for item in report.attention}
    assert reasons["PRS"].reason == "failing" and reasons["PRS"].value == 10  # the last good value, not 0
    assert "credentials" in reasons["PRS"].remedy
    assert reasons["ISSUES"].reason == "stale"  # measured 09:00, now 13:00, stale after 2 hours
    assert reasons["TALKS"].reason == "never_measured" and "checkin" in reasons["TALKS"].remedy
    assert build_status(session, "Q4", at(10), dt.timedelta(hours=2)).attention[1:] == [reasons["TALKS"]]
    assert report.to_json()["stale_after_hours"] == 2
