"""The progress report as terminal text (rich): one table per objective, fitting 100 columns."""

from __future__ import annotations

import datetime as dt

from rich.console import Console, Group
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from mapping.display import STATUS_LABEL, percent, score, target_span, value_with_unit
from okr_store.progress import KRProgress, ObjectiveProgress, ProgressReport

STATUS_STYLE = {"on_track": "green", "at_risk": "yellow", "off_track": "red", "no_data": "dim"}
BAR_WIDTH = 8


def render_progress(report: ProgressReport, console: Console) -> None:
    """Print the report: a cycle header, then each objective with its KRs."""
    console.print(
        f"[bold]{escape(report.cycle)}[/]  {report.cycle_start} → {report.cycle_end}  "
        f"expected pace {percent(report.expected_pace)}  (as of {timestamp(report.generated_at)}; times in UTC)"
    )
    if not report.objectives:
        console.print("No objectives in this cycle yet.")
    for objective in report.objectives:
        console.print()
        console.print(_objective_table(objective))


def _objective_table(objective: ObjectiveProgress) -> Group:
    owner = f" · {escape(objective.owner)}" if objective.owner else ""
    parent = f" · aligns to {escape(objective.parent)}" if objective.parent else ""
    heading = Text.from_markup(
        f"[bold]{escape(objective.id)}  {escape(objective.title)}[/]{owner} · {objective.kind}{parent}\n"
        f"progress {bar(objective.progress)} {percent(objective.progress)}  score {score(objective.score)}  "
    )
    heading.append(STATUS_LABEL[objective.status], style=STATUS_STYLE[objective.status])
    table = Table(box=None, pad_edge=False, show_edge=False, header_style="bold", expand=False)
    table.add_column("KR", no_wrap=True)
    table.add_column("Title", min_width=16, ratio=1)
    table.add_column("Value", justify="right", no_wrap=True)
    table.add_column("Target", no_wrap=True)
    table.add_column("Progress", no_wrap=True)
    table.add_column("Score", justify="right", no_wrap=True)
    table.add_column("Status", no_wrap=True)
    table.add_column("Updated", no_wrap=True)
    for kr in objective.key_results:
        table.add_row(
            escape(kr.id), escape(kr.title), escape(value_with_unit(kr.value, kr.unit)), target_span(kr.direction, kr.start, kr.target),
            f"{bar(kr.progress)} {percent(kr.progress)}", score(kr.score),
            Text(STATUS_LABEL[kr.status], style=STATUS_STYLE[kr.status]), _updated(kr),
        )
    return Group(heading, table)


def _updated(kr: KRProgress) -> str:
    return "never" if kr.measured_at is None else kr.measured_at.astimezone(dt.UTC).strftime("%m-%d %H:%M")


def bar(progress: float | None) -> str:
    if progress is None:
        return "·" * BAR_WIDTH
    filled = round(progress * BAR_WIDTH)
    return "█" * filled + "░" * (BAR_WIDTH - filled)


def timestamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
