"""The progress report as terminal text (rich): fits 100 columns, no colour when not a terminal."""

from __future__ import annotations

import datetime as dt

from rich.console import Console, Group
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from flows.render_markdown import checkin_text, sparkline, status_counts
from mapping.display import (
    STATUS_LABEL,
    number,
    percent,
    score,
    target_span,
    value_with_unit,
)
from okr_store.progress import ObjectiveProgress, ProgressReport

STATUS_STYLE = {"on_track": "green", "at_risk": "yellow", "off_track": "red", "no_data": "dim"}
BAR_WIDTH = 8


def render_progress(report: ProgressReport, console: Console) -> None:
    """Print the report: cycle, owners, what changed, then each objective (children under parents)."""
    console.print(
        f"[bold]{escape(report.cycle)}[/]  {report.cycle_start} → {report.cycle_end}  "
        f"expected pace {percent(report.expected_pace)}  (as of {timestamp(report.generated_at)})"
    )
    if not report.objectives:
        console.print("No objectives in this cycle yet.")
        return
    console.print(f"key results: {status_counts(report.status_counts) or 'none'}")
    owners = Table(box=None, pad_edge=False, header_style="bold", title="By owner", title_justify="left")
    for column in ("Owner", "Objectives", "Progress", *(STATUS_LABEL[s] for s in STATUS_STYLE)):
        owners.add_column(column, justify="left" if column == "Owner" else "right")
    for owner in report.owners:
        owners.add_row(escape(owner.owner), str(owner.objectives), f"{bar(owner.progress)} {percent(owner.progress)}",
                       *(str(owner.status_counts.get(s, 0)) for s in STATUS_STYLE))
    console.print(owners)
    if report.since is not None:
        console.print(f"\n[bold]What changed since {timestamp(report.since)}[/]")
        for change in report.changes:
            console.print(
                f"  {escape(change.id)}  {escape(value_with_unit(change.old_value, change.unit))} → "
                f"{escape(value_with_unit(change.new_value, change.unit))}  "
                f"({STATUS_LABEL[change.old_status]} → {STATUS_LABEL[change.new_status]})"
            )
        if not report.changes:
            console.print("  nothing changed")
    for objective in report.objectives:
        console.print()
        console.print(_objective_table(objective))


def _objective_table(objective: ObjectiveProgress) -> Group:
    indent = "  " * objective.depth + ("↳ " if objective.depth else "")
    under = "  " * objective.depth + ("  " if objective.depth else "")
    owner = f" · {escape(objective.owner)}" if objective.owner else ""
    parent = f" · aligns to {escape(objective.parent)}" if objective.parent else ""
    heading = Text.from_markup(
        f"[bold]{indent}{escape(objective.id)}  {escape(objective.title)}[/]{owner} · {objective.kind}{parent}\n"
        f"{under}progress {bar(objective.progress)} {percent(objective.progress)}  score {score(objective.score)}  "
    )
    heading.append(STATUS_LABEL[objective.status], style=STATUS_STYLE[objective.status])
    heading.append(f"  (expected {percent(objective.expected_progress)})")
    table = Table(box=None, pad_edge=False, show_edge=False, header_style="bold", expand=False)
    table.add_column("KR", no_wrap=True)
    table.add_column("Title", min_width=14, ratio=1)
    table.add_column("Value", justify="right", no_wrap=True)
    table.add_column("Target", no_wrap=True)
    table.add_column("Progress", no_wrap=True)
    table.add_column("Score", justify="right", no_wrap=True)
    table.add_column("Status", no_wrap=True)
    table.add_column("Trend", no_wrap=True, max_width=10)
    table.add_column("Forecast", justify="right", no_wrap=True)
    for kr in objective.key_results:
        table.add_row(
            escape(kr.id), escape(kr.title), escape(value_with_unit(kr.value, kr.unit)), target_span(kr.direction, kr.start, kr.target),
            f"{bar(kr.progress)} {percent(kr.progress)}", score(kr.score),
            Text(STATUS_LABEL[kr.status], style=STATUS_STYLE[kr.status]),
            sparkline([p.value for p in kr.history])[-10:], "—" if kr.forecast is None else number(kr.forecast),
        )
    notes = [Text(f"  {kr.id}: {checkin_text(kr, lambda t: t or '')}", style="dim")
             for kr in objective.key_results if kr.confidence is not None or kr.note]
    return Group(heading, table, *notes)


def bar(progress: float | None) -> str:
    if progress is None:
        return "·" * BAR_WIDTH
    filled = round(progress * BAR_WIDTH)
    return "█" * filled + "░" * (BAR_WIDTH - filled)


def timestamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
