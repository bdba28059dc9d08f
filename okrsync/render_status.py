"""The sync status report on the terminal: runs, source health, KRs that need attention."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from mapping.display import number
from okr_store.status import StatusReport
from okrsync.render_text import timestamp

RUN_STYLE = {"success": "green", "partial": "yellow", "failed": "red", "running": "cyan"}
REASON_LABEL = {"failing": "failing", "stale": "stale", "never_measured": "never measured"}


def render_status(report: StatusReport, console: Console) -> None:
    console.print(f"[bold]okrsync status[/] as of {timestamp(report.generated_at)}")
    if not report.runs:
        console.print("No sync has run yet: run `okrsync sync`.")
    else:
        runs = Table(title="Last runs", title_justify="left", box=None, header_style="bold")
        for column in ("Run", "Started", "Trigger", "Seconds", "Status", "Requests"):
            runs.add_column(column)
        for run in report.runs:
            requests = ", ".join(f"{name} {count}" for name, count in run.requests.items())
            seconds = "—" if run.seconds is None else f"{run.seconds:.1f}"
            runs.add_row(str(run.id), timestamp(run.started_at), run.trigger, seconds,
                         f"[{RUN_STYLE.get(run.status, 'white')}]{run.status}[/]", escape(requests))
        console.print(runs)
    if report.sources:
        sources = Table(title="Sources", title_justify="left", box=None, header_style="bold")
        for column in ("Source", "Last success", "Failures in a row", "Last error", "Search left"):
            sources.add_column(column, overflow="fold")
        for source in report.sources:
            error = f"{source.last_error_class}: {source.last_error}" if source.last_error_class else ""
            sources.add_row(escape(source.name), timestamp(source.last_success) if source.last_success else "never",
                            str(source.consecutive_failures), f"[red]{escape(error)}[/]" if error else "",
                            "" if source.rate_remaining is None else str(source.rate_remaining))
        console.print(sources)
    if not report.attention:
        console.print("[green]Every key result is current.[/]")
        return
    attention = Table(title="Needs attention", title_justify="left", box=None, header_style="bold")
    for column in ("KR", "Why", "Value shown", "What to do"):
        attention.add_column(column, overflow="fold")
    for item in report.attention:
        why = REASON_LABEL[item.reason] + (f" ({item.error_class}): {item.message}" if item.error_class else f": {item.message}" if item.message else "")
        shown = "none" if item.value is None else f"{number(item.value)} (not current)"
        attention.add_row(escape(item.id), f"[red]{escape(why)}[/]", shown, escape(item.remedy))
    console.print(attention)
