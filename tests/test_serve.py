"""`okrsync serve`: the schedules run in-process against a local Prefect server it starts itself."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

OKRSYNC = str(Path(sys.executable).with_name("okrsync"))


def _runs(database: Path) -> list[tuple]:
    try:
        with sqlite3.connect(database) as connection:
            return connection.execute("SELECT status, trigger FROM sync_runs").fetchall()
    except sqlite3.Error:
        return []


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_serve_runs_the_sync_on_schedule_and_stops_on_ctrl_c(tmp_path: Path, backend: str) -> None:
    if backend != "sqlite":
        pytest.skip("serve's store is the file's SQLite here; the schedule is what is tested, once")
    (tmp_path / "okrsync.yaml").write_text(
        "store: sqlite:///serve.db\ncycle: {name: Q4, start: 2026-10-01, end: 2026-12-31}\n"
        "objectives:\n  - id: O1\n    title: Ship\n    key_results:\n      - {id: K1, title: Talks, target: 4, metric: {manual: true}}\n"
    )
    env = {**os.environ, "PREFECT_HOME": str(tmp_path / "prefect"), "PREFECT_SERVER_SERVICES_SCHEDULER_LOOP_SECONDS": "5"}
    for name in ("PREFECT_API_URL", "OKRSYNC_STORE"):
        env.pop(name, None)
    serve = subprocess.Popen([OKRSYNC, "serve", "--sync-cron", "* * * * *"], cwd=tmp_path, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 200
        while not _runs(tmp_path / "serve.db") and time.monotonic() < deadline and serve.poll() is None:
            time.sleep(1)
        assert _runs(tmp_path / "serve.db") == [("success", "schedule")], serve.stderr.read() if serve.poll() is not None else ""
    finally:
        serve.send_signal(signal.SIGINT)
        try:
            _, stderr = serve.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            serve.kill()
            _, stderr = serve.communicate()
            pytest.fail("okrsync serve did not stop on SIGINT")
    assert "serving okrsync-sync (* * * * *)" in stderr
