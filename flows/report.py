"""The daily report flow: the OKR progress report, attached to the flow run as a Markdown artifact."""

from __future__ import annotations

import os
from pathlib import Path

from prefect import flow
from prefect.artifacts import create_markdown_artifact

from mapping.display import STATUS_LABEL, percent, score, target_span, value_with_unit
from mapping.loader import load_config
from okr_store import db, scoring
from okr_store.models import utcnow
from okr_store.progress import ProgressReport, build_progress
from okr_store.url import store_url_for


def progress_markdown(report: ProgressReport) -> str:
    """The progress report as Markdown (what a Prefect artifact or a GitHub comment shows)."""
    lines = [f"# OKR progress · {report.cycle}", "",
             f"{report.cycle_start} → {report.cycle_end} · expected pace {percent(report.expected_pace)}", ""]
    for objective in report.objectives:
        owner = f" · {_md(objective.owner)}" if objective.owner else ""
        lines += [
            f"## {_md(objective.id)} {_md(objective.title)}{owner}",
            f"progress {percent(objective.progress)} · score {score(objective.score)} · {STATUS_LABEL[objective.status]}", "",
            "| KR | title | value | target | progress | score | status |", "|---|---|---|---|---|---|---|",
        ]
        lines += [
            f"| {_md(kr.id)} | {_md(kr.title)} | {_md(value_with_unit(kr.value, kr.unit))} | "
            f"{target_span(kr.direction, kr.start, kr.target)} | {percent(kr.progress)} | {score(kr.score)} | {STATUS_LABEL[kr.status]} |"
            for kr in objective.key_results
        ]
        lines.append("")
    return "\n".join(lines)


@flow(name="okrsync-report", log_prints=False, validate_parameters=False)
def report_flow(config_path: str = "okrsync.yaml") -> str:
    """Score every KR as of now and attach the progress report to the flow run."""
    loaded = load_config(Path(config_path))
    engine = db.create_store_engine(store_url_for(loaded, None, os.environ))
    try:
        db.ensure_current(engine)
        with db.transaction(engine) as session:
            report = build_progress(session, loaded.config.cycle.name, utcnow(),
                                    scoring.Thresholds.of(loaded.config.scoring))
    finally:
        engine.dispose()
    markdown = progress_markdown(report)
    create_markdown_artifact(markdown, key="okrsync-progress", description=f"OKR progress, {report.cycle}")
    return markdown


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")
