"""The command line, through typer's CliRunner and once as a real subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from okr_store import db
from okrsync.cli import app
from tests.conftest import CONFIGS, DESIGN_ENV

runner = CliRunner()


def invoke(*args: str, env: dict[str, str] | None = None):  # noqa: ANN201
    result = runner.invoke(app, list(args), env=env, catch_exceptions=False)
    assert "Traceback" not in result.output
    return result


@pytest.fixture
def project(tmp_path: Path, store_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder with the starter okrsync.yaml, its store pointed at this test's store."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("OKRSYNC_STORE", store_url)
    assert invoke("init").exit_code == 0
    return tmp_path / "okrsync.yaml"


def test_init_writes_a_starter_that_validates(project: Path) -> None:
    assert "${JIRA_API_TOKEN}" in project.read_text()
    result = invoke("validate", env=DESIGN_ENV)
    assert result.exit_code == 0, result.output
    assert "valid (cycle 2026-Q4, 3 objectives, 9 key results, 3 sources; 0 warnings)" in result.output
    assert invoke("init").exit_code == 2  # never overwrites without --force
    assert invoke("init", "--force").exit_code == 0


def test_validate_reports_unset_variables_unless_no_env(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in DESIGN_ENV:
        monkeypatch.delenv(name, raising=False)
    result = invoke("validate")
    assert result.exit_code == 1
    assert "okrsync.yaml:22:5: sources.jira.token: environment variable JIRA_API_TOKEN is not set" in result.output
    assert invoke("validate", "--no-env").exit_code == 0


def test_validate_json_is_one_document(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("cycle: {name: Q4, start: 2026-10-01, end: 2026-09-01}\n")
    result = runner.invoke(app, ["validate", "--json", "-c", str(bad)])
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    assert document["valid"] is False
    assert document["problems"][0] == {
        "file": str(bad), "line": 1, "column": 38, "field": "cycle.end", "severity": "error",
        "message": "the cycle ends (2026-09-01) before it starts (2026-10-01)",
    }


def test_validate_design_example(design_env: dict[str, str]) -> None:
    result = invoke("validate", "-c", str(CONFIGS / "valid" / "design_example.yaml"))
    assert result.exit_code == 0
    assert "warning: objectives[0].parent: parent 'COMPANY-1' is not defined" in result.output


def test_schema_prints_json_schema() -> None:
    result = invoke("schema")
    document = json.loads(result.stdout)
    assert document["title"] == "okrsync configuration"
    assert {"cycle", "sources", "objectives", "store"} <= document["properties"].keys()


def test_checkin_then_report_text_and_json(project: Path) -> None:
    assert invoke("checkin", "O1-KR1", "14", "--confidence", "7", "--note", "<b>halfway</b>").exit_code == 0
    result = invoke("report", "--format", "json")
    document = json.loads(result.stdout)
    kr = document["objectives"][0]["key_results"][0]
    assert (kr["id"], kr["value"], kr["progress"], kr["score"]) == ("O1-KR1", 14.0, 0.35, 0.4)
    assert (kr["confidence"], kr["note"], kr["source"]) == (7, "<b>halfway</b>", "checkin")
    assert document["objectives"][1]["key_results"][0]["status"] == "no_data"

    text = invoke("report").stdout
    assert "O1-KR1" in text and "14 bugs" in text and "35%" in text and "no data" in text
    assert max(len(line) for line in text.splitlines()) <= 100
    assert "\x1b[" not in text  # no colour codes when stdout is not a terminal


def test_report_to_file(project: Path, tmp_path: Path) -> None:
    output = tmp_path / "report.json"
    assert invoke("report", "-f", "json", "-o", str(output)).exit_code == 0
    assert json.loads(output.read_text())["cycle"] == "2026-Q4"


def test_checkin_errors(project: Path) -> None:
    result = runner.invoke(app, ["checkin", "NOPE", "3"])
    assert result.exit_code == 1 and "no key result 'NOPE'" in result.output
    result = runner.invoke(app, ["checkin", "O1-KR1", "3", "--confidence", "11"])
    assert result.exit_code == 2  # usage error
    result = runner.invoke(app, ["checkin", "O1-KR1", "three"])
    assert result.exit_code == 2


def test_invalid_config_never_touches_the_store(project: Path) -> None:
    assert invoke("checkin", "O3-KR3", "4").exit_code == 0
    project.write_text(project.read_text().replace("target: 12", "target: twelve"))
    result = runner.invoke(app, ["checkin", "O3-KR3", "5"])
    assert result.exit_code == 1 and "input should be a valid number" in result.output
    project.write_text(project.read_text().replace("target: twelve", "target: 12"))
    document = json.loads(invoke("report", "-f", "json").stdout)
    assert document["objectives"][2]["key_results"][2]["value"] == 4.0


def test_db_upgrade(tmp_path: Path, store_url: str) -> None:
    result = invoke("db", "upgrade", "--store", store_url, "-c", str(tmp_path / "absent.yaml"))
    assert result.exit_code == 1  # a named configuration that does not exist is an error
    result = invoke("db", "upgrade", "--store", store_url, "-c", str(CONFIGS / "valid" / "design_example.yaml"))
    assert result.exit_code == 0 and f"upgraded from an empty store to schema {db.head_revision()}" in result.output
    result = invoke("db", "upgrade", "--store", store_url, "-c", str(CONFIGS / "valid" / "design_example.yaml"))
    assert f"already at schema {db.head_revision()}" in result.output


def test_store_url_precedence_and_relative_sqlite_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OKRSYNC_STORE", raising=False)
    folder = tmp_path / "team"
    folder.mkdir()
    config = folder / "okrsync.yaml"
    config.write_text("store: sqlite:///data/okrs.db\ncycle: {name: Q4, start: 2026-10-01, end: 2026-12-31}\n")
    monkeypatch.chdir(tmp_path)
    assert invoke("db", "upgrade", "-c", str(config)).exit_code == 0
    assert (folder / "data" / "okrs.db").exists()  # relative to the file that names it
    monkeypatch.setenv("OKRSYNC_STORE", f"sqlite:///{tmp_path / 'env.db'}")
    assert invoke("db", "upgrade", "-c", str(config)).exit_code == 0
    assert (tmp_path / "env.db").exists()
    assert invoke("db", "upgrade", "-c", str(config), "--store", f"sqlite:///{tmp_path / 'opt.db'}").exit_code == 0
    assert (tmp_path / "opt.db").exists()


def test_store_password_is_masked(tmp_path: Path) -> None:
    config = tmp_path / "okrsync.yaml"
    config.write_text("cycle: {name: Q4, start: 2026-10-01, end: 2026-12-31}\n")
    url = "postgresql+psycopg://okr:s3cr3t-pw@127.0.0.1:1/none"
    result = runner.invoke(app, ["report", "-c", str(config), "--store", url])
    assert result.exit_code == 2
    assert "s3cr3t-pw" not in result.output and "***" in result.output


def test_real_subprocess(tmp_path: Path) -> None:
    script = Path(sys.executable).with_name("okrsync")
    env = {**os.environ, "OKRSYNC_STORE": f"sqlite:///{tmp_path / 's.db'}"}
    done = subprocess.run([str(script), "init"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    done = subprocess.run([sys.executable, "-m", "okrsync", "report", "-f", "json"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["cycle"] == "2026-Q4"
