"""The sync run on the terminal: live progress while it runs, then the sync status report."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from typing import Any

from rich.console import Console
from rich.live import Live
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from mapping.display import STATUS_LABEL, percent, value_with_unit
from okrsync.render_text import STATUS_STYLE

OUTCOME_STYLE = {"ok": "green", "failed": "red"}


@contextmanager
def live_progress(board: Any, enabled: bool, console: Console) -> Iterator[None]:
    """Show queries done of total per source (and rate-limit waits) while the sync runs."""
    if not enabled:
        with nullcontext():
            yield
        return

    class _View:
        def __rich__(self) -> Text:
            stage, sources = board.snapshot()
            parts = [f"{name} {progress}" for name, progress in sources.items()]
            return Text(f"okrsync: {stage}" + (" · " + " · ".join(parts) if parts else ""))

    with Live(_View(), console=console, refresh_per_second=4, transient=True):
        yield


def render_run(document: dict[str, Any], console: Console) -> None:
    """Print the run's report: per KR old -> new, progress and status, and what was (or would be) published."""
    mode = " (dry run: nothing was written)" if document["dry_run"] else ""
    counts_ok = sum(k["outcome"] == "ok" for k in document["key_results"])
    console.print(
        f"[bold]sync {document['status']}[/]{mode}: {counts_ok} of {len(document['key_results'])} key results "
        f"refreshed in {document['seconds']:.1f} s"
        + (f" · run {document['run_id']}" if document["run_id"] else "")
    )
    table = Table(box=None, pad_edge=False, header_style="bold")
    for column in ("KR", "Old → new", "Progress", "Status", "Note"):
        table.add_column(column, overflow="fold")
    for kr in document["key_results"]:
        new = value_with_unit(kr["new_value"], kr["unit"]) if kr["outcome"] == "ok" else "not refreshed"
        change = f"{value_with_unit(kr['old_value'], kr['unit'])} → {new}"
        kept = "last good value kept, stale" if kr["old_value"] is not None else "no value yet"
        note = f"{kr['error_class']}: {kr['message']} ({kept})" if kr["outcome"] == "failed" else ""
        table.add_row(
            escape(kr["id"]), escape(change), percent(kr["progress"]),
            Text(STATUS_LABEL[kr["status"]], style=STATUS_STYLE[kr["status"]]), Text(note, style="red"),
        )
    console.print(table)
    sources = ", ".join(
        f"{s['name']} {s['requests']} requests" + (f" ({s['not_modified']} answered 304)" if s["not_modified"] else "")
        + (f" [red]({escape(s['error'])})[/]" if s["error"] else "")
        for s in document["sources"]
    )
    if sources:
        console.print(f"sources: {sources}")
    for item in document["published"]:
        if item["action"] != "unchanged":
            verb = {"created_or_updated": "published", "would_publish": "would publish", "failed": "publish failed"}[item["action"]]
            console.print(f"{verb}: {escape(item['kr'])} → {escape(item['target'])} {escape(item['message'])}".rstrip())
    unchanged = sum(item["action"] == "unchanged" for item in document["published"])
    if unchanged:
        console.print(f"{unchanged} publications unchanged (nothing sent)")
