"""The daily report flow: the OKR progress report, attached to the flow run as a Markdown artifact."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from prefect import flow
from prefect.artifacts import create_markdown_artifact

from flows.render_markdown import progress_markdown
from mapping.loader import load_config
from okr_store import db, scoring
from okr_store.models import utcnow
from okr_store.progress import build_progress
from okr_store.url import store_url_for


@flow(name="okrsync-report", log_prints=False, validate_parameters=False)
def report_flow(config_path: str = "okrsync.yaml") -> str:
    """Score every KR as of now and attach the progress report to the flow run."""
    loaded = load_config(Path(config_path))
    engine = db.create_store_engine(store_url_for(loaded, None, os.environ))
    try:
        db.ensure_current(engine)
        with db.transaction(engine) as session:
            now = utcnow()
            report = build_progress(session, loaded.config.cycle.name, now, scoring.Thresholds.of(loaded.config.scoring),
                                    since=now - dt.timedelta(days=1), with_history=True)
    finally:
        engine.dispose()
    markdown = progress_markdown(report)
    create_markdown_artifact(markdown, key="okrsync-progress", description=f"OKR progress, {report.cycle}")
    return markdown
