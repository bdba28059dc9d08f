"""The progress report as terminal text (rich): one table per objective, fitting 100 columns."""

from __future__ import annotations

import datetime as dt

from rich.console import Console, Group
from rich.markup import escape
from rich.table import Table
from rich.text import Text

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
    heading.append(status_label(objective.status), style=STATUS_STYLE[objective.status])
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
            escape(kr.id), escape(kr.title), value(kr.value, kr.unit), _target(kr),
            f"{bar(kr.progress)} {percent(kr.progress)}", score(kr.score),
            Text(status_label(kr.status), style=STATUS_STYLE[kr.status]), _updated(kr),
        )
    return Group(heading, table)


def _target(kr: KRProgress) -> str:
    prefix = {"stay_above": "≥ ", "stay_below": "≤ ", "milestone": "done at "}.get(kr.direction)
    return f"{prefix}{number(kr.target)}" if prefix else f"{number(kr.start)} → {number(kr.target)}"


def _updated(kr: KRProgress) -> str:
    return "never" if kr.measured_at is None else kr.measured_at.astimezone(dt.UTC).strftime("%m-%d %H:%M")


def status_label(status: str) -> str:
    return status.replace("_", " ")


def bar(progress: float | None) -> str:
    if progress is None:
        return "·" * BAR_WIDTH
    filled = round(progress * BAR_WIDTH)
    return "█" * filled + "░" * (BAR_WIDTH - filled)


def percent(share: float | None) -> str:
    return "—" if share is None else f"{share * 100:.0f}%"


def score(grade: float | None) -> str:
    return "—" if grade is None else f"{grade:.1f}"


def number(x: float) -> str:
    return f"{x:,.0f}" if float(x).is_integer() else f"{x:,.2f}"


def value(x: float | None, unit: str | None) -> str:
    if x is None:
        return "no data"
    if not unit:
        return number(x)
    return f"{number(x)}%" if unit == "%" else f"{number(x)} {escape(unit)}"


def timestamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
