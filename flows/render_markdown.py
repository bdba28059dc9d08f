"""The progress and status reports as Markdown: what a Prefect artifact or a GitHub comment shows.

Renders the read models only (okr_store.progress, okr_store.status); every text from a tool or the
configuration is escaped so that it shows as written.
"""

from __future__ import annotations

from collections.abc import Callable

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

SPARK = "▁▂▃▄▅▆▇█"
STATUSES = ("on_track", "at_risk", "off_track", "no_data")


def md(text: str | None) -> str:
    """Text shown as written in Markdown (and the HTML GitHub renders from it)."""
    if not text:
        return ""
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    for special in "\\`*_[]|~":  # what changes meaning inside a line or a table cell
        escaped = escaped.replace(special, "\\" + special)
    return escaped.replace("@", "@\u2060").replace("\n", " ")


def sparkline(values: list[float]) -> str:
    """▁▃▅█: the shape of a KR's history (its last value of each day)."""
    if not values:
        return ""
    low, high = min(values), max(values)
    span = (high - low) or 1.0
    return "".join(SPARK[round((v - low) / span * (len(SPARK) - 1))] for v in values[-20:])


def checkin_text(kr: KRProgress, escape: Callable[[str | None], str]) -> str:
    """'confidence 7/10 · the note', either part optional."""
    parts = [f"confidence {kr.confidence}/10"] if kr.confidence is not None else []
    return " · ".join(parts + ([escape(kr.note)] if kr.note else []))


def status_counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{counts[s]} {STATUS_LABEL[s]}" for s in STATUSES if counts.get(s))


def progress_markdown(report: ProgressReport) -> str:
    lines = [
        f"# OKR progress · {md(report.cycle)}",
        "",
        f"{report.cycle_start} → {report.cycle_end} · expected pace {percent(report.expected_pace)} · "
        f"as of {report.generated_at:%Y-%m-%d %H:%M} UTC · key results: {status_counts(report.status_counts) or 'none'}",
        "",
        "## By owner",
        "",
        "| owner | objectives | progress | on track | at risk | off track | no data |",
        "|---|---:|---:|---:|---:|---:|---:|",
        *[
            f"| {md(o.owner)} | {o.objectives} | {percent(o.progress)} | "
            + " | ".join(str(o.status_counts.get(s, 0)) for s in STATUSES) + " |"
            for o in report.owners
        ],
    ]
    if report.since is not None:
        lines += ["", f"## What changed since {report.since:%Y-%m-%d %H:%M} UTC", ""]
        if report.changes:
            lines += ["| KR | title | before | now | status |", "|---|---|---|---|---|"]
            lines += [
                f"| {md(c.id)} | {md(c.title)} | {md(value_with_unit(c.old_value, c.unit))} | {md(value_with_unit(c.new_value, c.unit))} | "
                f"{STATUS_LABEL[c.old_status]} → {STATUS_LABEL[c.new_status]} |"
                for c in report.changes
            ]
        else:
            lines.append("Nothing changed.")
    lines += ["", "## Objectives"]
    for objective in report.objectives:
        lines += ["", *_objective(objective)]
    return "\n".join(lines) + "\n"


def _objective(objective: ObjectiveProgress) -> list[str]:
    indent = "↳ " * objective.depth
    about = " · ".join(part for part in (md(objective.owner), objective.kind,
                                           f"aligns to {md(objective.parent)}" if objective.parent else "") if part)
    lines = [
        f"### {indent}{md(objective.id)} {md(objective.title)}",
        "",
        f"{about} · progress **{percent(objective.progress)}** · score {score(objective.score)} · "
        f"**{STATUS_LABEL[objective.status]}** (expected {percent(objective.expected_progress)})",
        "",
        "| KR | title | value | target | progress | score | status | trend | forecast |",
        "|---|---|---:|---|---:|---:|---|---|---:|",
        *[_kr_row(kr) for kr in objective.key_results],
    ]
    notes = [f"- {md(kr.id)}: {checkin_text(kr, md)}" for kr in objective.key_results if kr.confidence is not None or kr.note]
    return lines + (["", "Latest check-ins:", *notes] if notes else [])


def _kr_row(kr: KRProgress) -> str:
    predicted = "—" if kr.forecast is None else f"{number(kr.forecast)} ({percent(kr.forecast_progress)})"
    return (
        f"| {md(kr.id)} | {md(kr.title)} | {md(value_with_unit(kr.value, kr.unit))} | {target_span(kr.direction, kr.start, kr.target)} | "
        f"{percent(kr.progress)} | {score(kr.score)} | {STATUS_LABEL[kr.status]} | {sparkline([p.value for p in kr.history])} | {predicted} |"
    )


def status_markdown(report: StatusReport) -> str:
    lines = [f"# okrsync status · {report.generated_at:%Y-%m-%d %H:%M} UTC", "", "## Last runs", ""]
    if report.runs:
        lines += ["| run | started (UTC) | trigger | seconds | status | requests |", "|---:|---|---|---:|---|---|"]
        lines += [
            f"| {r.id} | {r.started_at:%Y-%m-%d %H:%M} | {md(r.trigger)} | {'—' if r.seconds is None else f'{r.seconds:.1f}'} | "
            f"{r.status} | {md(', '.join(f'{k} {v}' for k, v in r.requests.items()))} |"
            for r in report.runs
        ]
    else:
        lines.append("No sync has run yet.")
    lines += ["", "## Sources", "", "| source | last success (UTC) | failures in a row | last error | search left |", "|---|---|---:|---|---:|"]
    for source in report.sources:
        last = f"{source.last_success:%Y-%m-%d %H:%M}" if source.last_success else "never"
        error = md(f"{source.last_error_class}: {source.last_error}") if source.last_error_class else ""
        left = "" if source.rate_remaining is None else str(source.rate_remaining)
        lines.append(f"| {md(source.name)} | {last} | {source.consecutive_failures} | {error} | {left} |")
    lines += ["", "## Needs attention", ""]
    if report.attention:
        lines += ["| KR | why | value shown | what to do |", "|---|---|---|---|"]
        lines += [
            f"| {md(a.id)} | {a.reason.replace('_', ' ')}{f' ({a.error_class})' if a.error_class else ''}: {md(a.message)} | "
            f"{'none' if a.value is None else number(a.value) + ' (not current)'} | {md(a.remedy)} |"
            for a in report.attention
        ]
    else:
        lines.append("Every key result is current.")
    return "\n".join(lines) + "\n"
