"""The progress and status reports in text, Markdown, HTML and JSON, on a fixed store built here.

Hand-checked numbers (report as of 2026-11-16 00:00 UTC: 46 of 92 days, pace 0.5):
- GROW-1 (increase 0 -> 40): daily values 10-01: 0, 10-16: 10, 11-01: 22 (the day's last of 20, 22).
  Value 22, progress 0.55, score 0.6 (0.55 rounds half up), expected 0.5, 0.55 >= 0.95 x 0.5: on track.
  Forecast: least squares through (0, 0), (15, 10), (31, 22) -> slope 341.33/480.67 = 0.71012,
  intercept 10.667 - 0.71012 x 15.333 = -0.2219; at 12-31 (day 91): 64.40, progress 1.0 (clamped).
- GROW-2 (stay_above 0.4): 0.38 -> progress 0, off track. Objective GROW: (0.55 + 0) / 2 = 0.275,
  score 0.3, 0.275 < 0.75 x 0.5: off track.
- PLAT-1 (decrease 600 -> 300, aspirational): 450 -> progress 0.5, expected 0.7 x 0.5 = 0.35: on track.
  Its check-in note holds markup that every format must show as text.
- Since 2026-11-01 00:00: GROW-1 was 10 (11-01's values came later that day), the others had none:
  the change list holds GROW-1 10 -> 22, GROW-2 none -> 0.38 and PLAT-1 none -> 450.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import pytest
from rich.console import Console
from sqlalchemy.orm import Session

from flows.render_html import progress_html, status_html
from flows.render_markdown import progress_markdown, status_markdown
from mapping.loader import load_config
from okr_store import checkins, definitions, models, runs
from okr_store.progress import build_progress
from okr_store.status import build_status
from okrsync.render_status import render_status
from okrsync.render_text import render_progress

UTC = dt.UTC
AT = dt.datetime(2026, 11, 16, tzinfo=UTC)
SINCE = dt.datetime(2026, 11, 1, tzinfo=UTC)
SNAPSHOTS = Path(__file__).parent / "snapshots"
HOSTILE = "<script>alert('x')</script> **bold** | [link](http://evil.example)"
CONFIG = """
cycle: {name: 2026-Q4, start: 2026-10-01, end: 2026-12-31}
objectives:
  - id: GROW
    title: Grow <fast> & far
    owner: growth
    key_results:
      - {id: GROW-1, title: Close 40 bugs, target: 40, unit: bugs, metric: {manual: true}}
      - {id: GROW-2, title: Activation above 40%, direction: stay_above, start: 0.3, target: 0.4, metric: {manual: true}}
  - id: PLAT
    title: Platform
    owner: platform
    parent: GROW
    kind: aspirational
    key_results:
      - {id: PLAT-1, title: Cut p95 latency, direction: decrease, start: 600, target: 300, unit: ms, metric: {manual: true}}
"""


def at(month: int, day: int, hour: int = 12) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, tzinfo=UTC)


@pytest.fixture
def store(session: Session, tmp_path: Path) -> Session:
    path = tmp_path / "okrsync.yaml"
    path.write_text(CONFIG)
    definitions.apply_config(session, load_config(path).config)
    cycle = definitions.current_cycle(session, "2026-Q4")
    kr = {key: checkins.find_key_result(session, cycle.id, key) for key in ("GROW-1", "GROW-2", "PLAT-1")}
    for moment, value in ((at(10, 1), 0), (at(10, 16), 10), (at(11, 1, 9), 20), (at(11, 1, 18), 22)):
        session.add(models.Measurement(key_result_id=kr["GROW-1"].id, value=value, measured_at=moment, source="jira", query="q"))
    session.add(models.Measurement(key_result_id=kr["GROW-2"].id, value=0.38, measured_at=at(11, 10), source="sheet"))
    checkins.record_checkin(session, kr["PLAT-1"], 450, confidence=6, note=HOSTILE, author="dana", at=at(11, 12))
    session.flush()
    return session


def progress(store: Session):  # noqa: ANN201
    return build_progress(store, "2026-Q4", AT, since=SINCE, with_history=True)


def check_snapshot(name: str, text: str) -> None:
    """Compare with tests/snapshots/NAME; OKRSYNC_UPDATE_SNAPSHOTS=1 rewrites it (review the diff)."""
    path = SNAPSHOTS / name
    if os.environ.get("OKRSYNC_UPDATE_SNAPSHOTS"):
        path.parent.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8"), f"{name} changed; rerun with OKRSYNC_UPDATE_SNAPSHOTS=1 and review"


def test_progress_numbers(store: Session) -> None:
    report = progress(store)
    assert report.expected_pace == pytest.approx(0.5)
    grow, plat = report.objectives
    assert (plat.id, plat.depth, grow.depth) == ("PLAT", 1, 0)  # the child under its parent
    k1, k2 = grow.key_results
    assert (k1.value, k1.progress, k1.score, k1.status) == (22, pytest.approx(0.55), 0.6, "on_track")
    assert [(p.day.isoformat(), p.value) for p in k1.history] == [("2026-10-01", 0), ("2026-10-16", 10), ("2026-11-01", 22)]
    assert k1.forecast == pytest.approx(64.40, abs=0.01) and k1.forecast_progress == 1.0
    assert (k2.progress, k2.status) == (0.0, "off_track")
    assert (grow.progress, grow.score, grow.status) == (pytest.approx(0.275), 0.3, "off_track")
    (p1,) = plat.key_results
    assert (p1.value, p1.progress, p1.status, p1.confidence) == (450, 0.5, "on_track", 6)
    assert report.status_counts == {"on_track": 2, "off_track": 1}
    assert [(o.owner, o.objectives, o.progress) for o in report.owners] == [("growth", 1, pytest.approx(0.275)), ("platform", 1, 0.5)]
    assert [(c.id, c.old_value, c.new_value) for c in report.changes] == [("GROW-1", 10, 22), ("GROW-2", None, 0.38), ("PLAT-1", None, 450)]


def test_progress_json_snapshot(store: Session) -> None:
    document = progress(store).to_json()
    json.dumps(document)
    check_snapshot("progress.json", json.dumps(document, indent=2, sort_keys=True) + "\n")


def test_progress_markdown_snapshot(store: Session) -> None:
    text = progress_markdown(progress(store))
    assert "<script>" not in text and "&lt;script&gt;" in text
    assert "\\*\\*bold\\*\\*" in text and "Grow &lt;fast&gt; &amp; far" in text
    check_snapshot("progress.md", text)


def test_progress_text_snapshot(store: Session, tmp_path: Path) -> None:
    output = tmp_path / "report.txt"
    with output.open("w", encoding="utf-8") as handle:
        render_progress(progress(store), Console(file=handle, width=100, no_color=True, highlight=False))
    text = output.read_text(encoding="utf-8")
    assert max(len(line) for line in text.splitlines()) <= 100
    assert "\x1b[" not in text
    assert HOSTILE.split(" ")[0] in text  # shown as written: rich markup is escaped
    check_snapshot("progress.txt", text)


def test_status_formats_render_the_same_model(store: Session) -> None:
    cycle = definitions.current_cycle(store, "2026-Q4")
    failure = "Google Sheets refused access: <b>no</b> (share the spreadsheet with the service account's client_email)"
    summary = {"type": "google_sheets", "requests": 2, "error_class": "auth", "error": failure}
    runs.record_run(store, cycle.id, runs.RunRecord("schedule", at(11, 15), at(11, 15, 13), "partial", None, {"sheet": summary}),
                    [runs.KROutcome("GROW-2", "failed", error_class="auth", message=failure)])
    report = build_status(store, "2026-Q4", AT, dt.timedelta(hours=2))
    assert [(a.id, a.reason, a.value) for a in report.attention] == [("GROW-2", "failing", 0.38)]
    markdown, html = status_markdown(report), status_html(report)
    for text in (markdown, html):
        assert "GROW-2" in text and "&lt;b&gt;no&lt;/b&gt;" in text and "0.38 (not current)" in text
    console = Console(record=True, width=100)
    render_status(report, console)
    assert "Needs attention" in console.export_text()
    assert json.loads(json.dumps(report.to_json()))["stale_after_hours"] == 2


def test_html_is_self_contained_and_escaped(store: Session) -> None:
    html = progress_html(progress(store))
    assert "<script>" not in html and "&lt;script&gt;alert" in html
    assert "http://" not in html.replace("http://evil.example", "") and "https://" not in html
    assert html.count("<svg") == 4  # status counts + one chart per KR
    assert 'class="ideal"' in html and 'class="actual"' in html and 'class="forecast"' in html


@pytest.mark.slow
def test_html_in_headless_chromium(store: Session, tmp_path: Path) -> None:
    """Opened in Debian's chromium: no console error, no request but the file, charts drawn, text escaped."""
    playwright = pytest.importorskip("playwright.sync_api")
    chromium = Path("/usr/bin/chromium")
    if not chromium.exists():
        pytest.skip("chromium is not installed (make test installs it)")
    page_file = tmp_path / "report.html"
    page_file.write_text(progress_html(progress(store)), encoding="utf-8")
    with playwright.sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=str(chromium), args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync"])
        try:
            page = browser.new_page(viewport={"width": 390, "height": 844})  # a phone
            errors: list[str] = []
            requests: list[str] = []
            page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.on("request", lambda request: requests.append(request.url))
            page.goto(page_file.as_uri())
            assert errors == []
            assert requests == [page_file.as_uri()]
            assert page.locator("svg").count() == 4
            assert page.locator("svg polyline.actual").count() == 3  # one line of history per KR
            box = page.locator("svg").nth(1).bounding_box()
            assert box and box["width"] > 100 and box["height"] > 30
            assert page.get_by_text("<script>alert('x')</script>", exact=False).count() == 1  # shown as text
            assert page.evaluate("document.documentElement.scrollWidth") <= 390 + 1  # no sideways scroll of the page
            shot = page.screenshot(path=str(tmp_path / "report.png"))
            page.set_content("<html><body></body></html>")
            blank = page.screenshot()
        finally:
            browser.close()
    assert len(shot) > 5 * len(blank)  # the same viewport blank compresses to a fraction: the page is drawn
