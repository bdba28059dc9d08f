"""Beyond one machine: `prefect deploy --all` to a Prefect server, and a process worker running a sync.

Slow (about a minute: the server starts in ~15-25 s); runs in CI, skip locally with -m "not slow".
"""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PREFECT = str(Path(sys.executable).with_name("prefect"))

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait(predicate, timeout: float, what: str) -> None:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


def _stop(process: subprocess.Popen) -> None:
    """Workers ignore SIGTERM and stop on SIGINT; so does the server."""
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _sync_runs(database: Path) -> list[tuple]:
    if not database.exists():
        return []
    try:
        with sqlite3.connect(database) as connection:
            return connection.execute("SELECT id, status, trigger FROM sync_runs").fetchall()
    except sqlite3.OperationalError:
        return []


@pytest.mark.timeout(240)
def test_deploy_all_and_a_process_worker_runs_a_sync(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "okrsync.yaml").write_text(
        "store: sqlite:///okrs.db\n"
        "cycle: {name: Q4, start: 2026-10-01, end: 2026-12-31}\n"
        "objectives:\n  - id: O1\n    title: Ship\n    key_results:\n"
        "      - {id: K1, title: Talks, target: 4, metric: {manual: true}}\n"
    )
    port = _free_port()
    env = {
        **os.environ,
        "PREFECT_HOME": str(tmp_path / "prefect-home"),
        "PREFECT_API_URL": f"http://127.0.0.1:{port}/api",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "OKRSYNC_PROJECT_DIR": str(project),
    }
    env.pop("OKRSYNC_STORE", None)
    logs = tmp_path / "logs"
    logs.mkdir()

    def run(*args: str) -> subprocess.CompletedProcess:
        done = subprocess.run([PREFECT, "--no-prompt", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stdout + done.stderr
        return done

    server = subprocess.Popen([PREFECT, "server", "start", "--host", "127.0.0.1", "--port", str(port)], env=env,
                              stdout=(logs / "server.log").open("w"), stderr=subprocess.STDOUT)
    worker = None
    try:
        def healthy() -> bool:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=2) as answer:
                    return answer.status == 200
            except OSError:
                return False

        _wait(healthy, 120, "the Prefect server")
        run("work-pool", "create", "okrsync", "--type", "process")
        deployed = run("deploy", "--all")
        assert "okrsync-sync" in deployed.stdout and "okrsync-report" in deployed.stdout
        worker = subprocess.Popen([PREFECT, "worker", "start", "--pool", "okrsync"], cwd=tmp_path, env=env,
                                  stdout=(logs / "worker.log").open("w"), stderr=subprocess.STDOUT)
        run("deployment", "run", "okrsync-sync/okrsync-sync")
        database = project / "okrs.db"
        _wait(lambda: bool(_sync_runs(database)), 150, "the worker to run the sync")
        assert _sync_runs(database) == [(1, "success", "schedule")]
    finally:
        if worker is not None:
            _stop(worker)
        _stop(server)
