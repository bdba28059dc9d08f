"""The progress and status reports as one self-contained HTML file: inline CSS and SVG charts, no
script, no external request; readable on a phone. Every text is escaped (html.escape)."""

from __future__ import annotations

import datetime as dt
from html import escape

from flows.render_markdown import checkin_text
from mapping.display import (
    STATUS_LABEL,
    number,
    percent,
    score,
    target_span,
    value_with_unit,
)
from okr_store.progress import KRProgress, ObjectiveProgress, ProgressReport
from okr_store.status import StatusReport

COLORS = {"on_track": "#1a7f37", "at_risk": "#b08800", "off_track": "#cf222e", "no_data": "#8c959f"}
STATUSES = tuple(COLORS)
CHART_W, CHART_H, PAD = 260, 90, 6

STYLE = """
:root { color-scheme: light; --line: #d0d7de; --muted: #57606a; }
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0 auto; padding: 16px; max-width: 1100px; color: #1f2328; }
h1 { font-size: 1.5em; margin: 0 0 4px; } h2 { font-size: 1.2em; margin: 28px 0 8px; } h3 { font-size: 1.05em; margin: 0; }
.muted { color: var(--muted); }
.card { border: 1px solid var(--line); border-radius: 8px; padding: 12px; margin: 12px 0; }
.depth-1 { margin-left: 16px; } .depth-2 { margin-left: 32px; } .depth-3 { margin-left: 48px; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-size: 0.92em; }
th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-weight: 600; white-space: nowrap; }
td.num { text-align: right; white-space: nowrap; }
.pill { display: inline-block; padding: 0 8px; border-radius: 10px; color: #fff; font-size: 0.85em; white-space: nowrap; }
.bar { display: inline-block; width: 80px; height: 8px; background: #eaeef2; border-radius: 4px; vertical-align: middle; }
.bar > span { display: block; height: 8px; border-radius: 4px; }
.krs { display: grid; grid-template-columns: repeat(auto-fill, minmax(280px, 1fr)); gap: 12px; margin-top: 10px; }
.kr { border: 1px solid var(--line); border-radius: 6px; padding: 8px; }
svg { display: block; max-width: 100%; height: auto; }
@media (max-width: 600px) { body { padding: 8px; font-size: 14px; } .depth-1, .depth-2, .depth-3 { margin-left: 6px; } }
"""


def _page(title: str, body: list[str]) -> str:
    return "\n".join([
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(title)}</title><style>{STYLE}</style></head><body>",
        *body,
        "</body></html>",
    ])


def _pill(status: str) -> str:
    return f'<span class="pill" style="background:{COLORS[status]}">{STATUS_LABEL[status]}</span>'


def _bar(progress: float | None, status: str) -> str:
    width = 0 if progress is None else round(progress * 100)
    return f'<span class="bar" title="{percent(progress)}"><span style="width:{width}%;background:{COLORS[status]}"></span></span> {percent(progress)}'


def status_counts_chart(counts: dict[str, int]) -> str:
    """A horizontal bar per status: how many KRs are on track, at risk, off track, without data."""
    total = max(1, max(counts.values(), default=0))
    rows = []
    for i, status in enumerate(STATUSES):
        count = counts.get(status, 0)
        width = round(200 * count / total)
        y = 4 + i * 22
        rows.append(
            f'<text x="0" y="{y + 12}" font-size="12">{STATUS_LABEL[status]}</text>'
            f'<rect x="70" y="{y}" width="{width}" height="16" rx="3" fill="{COLORS[status]}"><title>{count}</title></rect>'
            f'<text x="{76 + width}" y="{y + 12}" font-size="12">{count}</text>'
        )
    return f'<svg role="img" aria-label="key results by status" viewBox="0 0 300 92" width="300" height="92">{"".join(rows)}</svg>'


def progress_chart(kr: KRProgress, start: dt.date, end: dt.date) -> str:
    """The KR's value over the cycle (one point a day) against the ideal pace from start to target,
    with the straight-line forecast to the cycle's end dashed."""
    days = max(1, (end - start).days + 1)
    values = [p.value for p in kr.history] + [kr.start, kr.target] + ([kr.forecast] if kr.forecast is not None else [])
    low, high = min(values), max(values)
    span = (high - low) or 1.0

    def x(day: dt.date) -> float:
        return PAD + (CHART_W - 2 * PAD) * min(max((day - start).days, 0), days) / days

    def y(value: float) -> float:
        return CHART_H - PAD - (CHART_H - 2 * PAD) * (value - low) / span

    parts = [f'<rect x="0" y="0" width="{CHART_W}" height="{CHART_H}" fill="#f6f8fa" rx="4"/>']
    if kr.direction in ("increase", "decrease"):
        parts.append(f'<line class="ideal" x1="{x(start):.1f}" y1="{y(kr.start):.1f}" x2="{x(end + dt.timedelta(days=1)):.1f}" '
                     f'y2="{y(kr.target):.1f}" stroke="#8c959f" stroke-dasharray="4 3"><title>ideal pace</title></line>')
    else:
        parts.append(f'<line class="ideal" x1="{PAD}" y1="{y(kr.target):.1f}" x2="{CHART_W - PAD}" y2="{y(kr.target):.1f}" '
                     f'stroke="#8c959f" stroke-dasharray="4 3"><title>target</title></line>')
    points = " ".join(f"{x(p.day):.1f},{y(p.value):.1f}" for p in kr.history)
    if kr.history:
        color = COLORS[kr.status]
        parts.append(f'<polyline class="actual" points="{points}" fill="none" stroke="{color}" stroke-width="2"/>')
        last = kr.history[-1]
        parts.append(f'<circle cx="{x(last.day):.1f}" cy="{y(last.value):.1f}" r="3" fill="{color}"/>')
        if kr.forecast is not None:
            parts.append(f'<line class="forecast" x1="{x(last.day):.1f}" y1="{y(last.value):.1f}" x2="{x(end + dt.timedelta(days=1)):.1f}" '
                         f'y2="{y(kr.forecast):.1f}" stroke="{color}" stroke-dasharray="2 3"><title>forecast</title></line>')
    else:
        parts.append(f'<text x="{CHART_W / 2}" y="{CHART_H / 2}" text-anchor="middle" font-size="12" fill="#57606a">no history yet</text>')
    label = escape(f"{kr.id}: value over the cycle against the ideal pace")
    return f'<svg role="img" aria-label="{label}" viewBox="0 0 {CHART_W} {CHART_H}" width="{CHART_W}" height="{CHART_H}">{"".join(parts)}</svg>'


def progress_html(report: ProgressReport) -> str:
    body = [
        f"<h1>OKR progress · {escape(report.cycle)}</h1>",
        f'<p class="muted">{report.cycle_start} → {report.cycle_end} · expected pace {percent(report.expected_pace)} · '
        f"as of {report.generated_at:%Y-%m-%d %H:%M} UTC</p>",
        '<h2>Key results by status</h2>', status_counts_chart(report.status_counts),
        "<h2>By owner</h2>", '<div class="scroll"><table><tr><th>Owner</th><th>Objectives</th><th>Progress</th>'
        + "".join(f"<th>{STATUS_LABEL[s]}</th>" for s in STATUSES) + "</tr>",
        *[f"<tr><td>{escape(o.owner)}</td><td class=num>{o.objectives}</td><td>{_bar(o.progress, 'on_track')}</td>"
          + "".join(f"<td class=num>{o.status_counts.get(s, 0)}</td>" for s in STATUSES) + "</tr>" for o in report.owners],
        "</table></div>",
    ]
    if report.since is not None:
        body.append(f"<h2>What changed since {report.since:%Y-%m-%d %H:%M} UTC</h2>")
        if report.changes:
            body.append('<div class="scroll"><table><tr><th>KR</th><th>Title</th><th>Before</th><th>Now</th><th>Status</th></tr>')
            body += [f"<tr><td>{escape(c.id)}</td><td>{escape(c.title)}</td><td class=num>{escape(value_with_unit(c.old_value, c.unit))}</td>"
                     f"<td class=num>{escape(value_with_unit(c.new_value, c.unit))}</td><td>{_pill(c.old_status)} → {_pill(c.new_status)}</td></tr>"
                     for c in report.changes]
            body.append("</table></div>")
        else:
            body.append('<p class="muted">Nothing changed.</p>')
    body.append("<h2>Objectives</h2>")
    body += [_objective(objective, report) for objective in report.objectives]
    return _page(f"OKR progress {report.cycle}", body)


def _objective(objective: ObjectiveProgress, report: ProgressReport) -> str:
    about = " · ".join(escape(part) for part in (objective.owner or "", objective.kind,
                                                  f"aligns to {objective.parent}" if objective.parent else "") if part)
    krs = "".join(_kr(kr, report) for kr in objective.key_results) or '<p class="muted">No key results.</p>'
    return (
        f'<section class="card depth-{min(objective.depth, 3)}"><h3>{escape(objective.id)} · {escape(objective.title)}</h3>'
        f'<p class="muted">{about}</p>'
        f"<p>{_bar(objective.progress, objective.status)} · score {score(objective.score)} · {_pill(objective.status)} "
        f'<span class="muted">expected {percent(objective.expected_progress)}</span></p><div class="krs">{krs}</div></section>'
    )


def _kr(kr: KRProgress, report: ProgressReport) -> str:
    predicted = "" if kr.forecast is None else f" · forecast {escape(number(kr.forecast))} ({percent(kr.forecast_progress)})"
    checkin = f'<p class="muted">{checkin_text(kr, lambda t: escape(t or ""))}</p>' if kr.confidence is not None or kr.note else ""
    return (
        f'<div class="kr"><strong>{escape(kr.id)}</strong> {escape(kr.title)}'
        f"<p>{escape(value_with_unit(kr.value, kr.unit))} <span class=muted>({escape(target_span(kr.direction, kr.start, kr.target))})</span><br>"
        f"{_bar(kr.progress, kr.status)} · score {score(kr.score)} · {_pill(kr.status)}{predicted}</p>"
        f"{progress_chart(kr, report.cycle_start, report.cycle_end)}{checkin}</div>"
    )


def status_html(report: StatusReport) -> str:
    run_style = {"success": "on_track", "partial": "at_risk", "failed": "off_track", "running": "no_data"}
    body = [f"<h1>okrsync status</h1><p class=muted>as of {report.generated_at:%Y-%m-%d %H:%M} UTC</p>", "<h2>Last runs</h2>"]
    if report.runs:
        body.append('<div class="scroll"><table><tr><th>Run</th><th>Started (UTC)</th><th>Trigger</th><th>Seconds</th><th>Status</th><th>Requests</th></tr>')
        body += [f"<tr><td class=num>{r.id}</td><td>{r.started_at:%Y-%m-%d %H:%M}</td><td>{escape(r.trigger)}</td>"
                 f"<td class=num>{'—' if r.seconds is None else f'{r.seconds:.1f}'}</td>"
                 f'<td><span class="pill" style="background:{COLORS[run_style.get(r.status, "no_data")]}">{escape(r.status)}</span></td>'
                 f"<td>{escape(', '.join(f'{k} {v}' for k, v in r.requests.items()))}</td></tr>" for r in report.runs]
        body.append("</table></div>")
    else:
        body.append("<p>No sync has run yet.</p>")
    body.append('<h2>Sources</h2><div class="scroll"><table><tr><th>Source</th><th>Last success (UTC)</th><th>Failures in a row</th><th>Last error</th><th>Search left</th></tr>')
    body += [f"<tr><td>{escape(s.name)}</td><td>{f'{s.last_success:%Y-%m-%d %H:%M}' if s.last_success else 'never'}</td>"
             f"<td class=num>{s.consecutive_failures}</td><td>{escape(f'{s.last_error_class}: {s.last_error}') if s.last_error_class else ''}</td>"
             f"<td class=num>{'' if s.rate_remaining is None else s.rate_remaining}</td></tr>" for s in report.sources]
    body.append("</table></div><h2>Needs attention</h2>")
    if report.attention:
        body.append('<div class="scroll"><table><tr><th>KR</th><th>Why</th><th>Value shown</th><th>What to do</th></tr>')
        body += [f"<tr><td>{escape(a.id)}</td><td>{escape(a.reason.replace('_', ' '))}{escape(f' ({a.error_class})') if a.error_class else ''}: "
                 f"{escape(a.message or '')}</td><td>{'none' if a.value is None else escape(number(a.value)) + ' (not current)'}</td>"
                 f"<td>{escape(a.remedy)}</td></tr>" for a in report.attention]
        body.append("</table></div>")
    else:
        body.append("<p>Every key result is current.</p>")
    return _page("okrsync status", body)
