"""`okrsync sync`, `status` and `demo` from the command line, in-process and as real programs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from okrsync.cli import app
from sandbox.server import Sandbox

OKRSYNC = str(Path(sys.executable).with_name("okrsync"))


@pytest.fixture
def project(sandbox_project: Path) -> Path:
    return sandbox_project


def test_sync_json_then_status(prefect_harness: None, sandbox: Sandbox, project: Path) -> None:  # noqa: F811
    runner = CliRunner()
    result = runner.invoke(app, ["sync", "-c", str(project), "--json", "--only", "O1-KR1", "--no-publish"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)  # exactly one JSON document on stdout
    assert [kr["id"] for kr in document["key_results"]] == ["O1-KR1"]
    assert document["published"] == []
    assert not [r for r in sandbox.requests() if r["method"] in ("POST", "PUT", "PATCH") and not r["path"].endswith("/token")]

    sandbox.add_fault("expired_token", "jira", "*")
    result = runner.invoke(app, ["sync", "-c", str(project), "--only", "O1-KR1"])
    assert result.exit_code == 2, result.output  # every KR of the run failed
    words = " ".join(result.stdout.split())
    assert "3 bugs → not refreshed" in words and "auth: source 'jira'" in words and "(last good value kept, stale)" in words

    result = runner.invoke(app, ["status", "-c", str(project), "--json"])
    status = json.loads(result.stdout)
    assert status["runs"][0]["status"] == "failed"
    jira = next(s for s in status["sources"] if s["name"] == "jira")
    assert (jira["consecutive_failures"], jira["last_error_class"]) == (1, "auth")
    failing = {item["id"]: item for item in status["attention"]}
    assert failing["O1-KR1"]["reason"] == "failing" and failing["O1-KR1"]["value"] == 3
    text = runner.invoke(app, ["status", "-c", str(project)]).stdout
    assert "Needs attention" in text and "O1-KR1" in text

    assert runner.invoke(app, ["sync", "-c", str(project), "--only", "NOPE"]).exit_code == 2


@pytest.mark.slow
def test_sync_as_a_program_prints_no_prefect_noise(sandbox: Sandbox, project: Path, tmp_path: Path) -> None:  # noqa: F811
    env = {**os.environ, "PREFECT_HOME": str(tmp_path / "prefect")}
    done = subprocess.run([OKRSYNC, "sync", "-c", str(project)], env=env, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "sync success: 9 of 9 key results refreshed" in done.stdout
    assert "Traceback" not in done.stderr and "CancelledError" not in done.stderr, done.stderr
    assert "temporary server" not in done.stderr + done.stdout


def test_sync_says_where_to_look_when_the_temporary_server_does_not_start(project: Path, tmp_path: Path) -> None:
    env = {**os.environ, "PREFECT_HOME": str(tmp_path / "prefect"), "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "0"}
    env.pop("PREFECT_API_URL", None)
    done = subprocess.run([OKRSYNC, "sync", "-c", str(project)], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert "Prefect's temporary server did not start" in done.stderr
    assert f"its output is in {tmp_path / 'prefect' / 'okrsync-temporary-server.log'}" in done.stderr.replace("\n", "")
    assert "Traceback" not in done.stderr


@pytest.mark.slow
def test_demo_runs_end_to_end(tmp_path: Path, backend: str) -> None:
    if backend != "sqlite":
        pytest.skip("the demo keeps its own SQLite store; it runs once, in the SQLite pass")
    env = {**os.environ, "PREFECT_HOME": str(tmp_path / "prefect")}
    env.pop("OKRSYNC_STORE", None)
    done = subprocess.run([OKRSYNC, "demo", "--dir", str(tmp_path / "demo")], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    out = done.stdout
    assert "first sync" in out and "10 days later" in out
    assert "O1-KR1  3 bugs → 4 bugs" in out  # the second sync sees the issue closed in between
    assert "publications unchanged (nothing sent)" in out
    assert "Traceback" not in done.stderr
