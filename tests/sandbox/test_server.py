"""Starting and stopping the sandbox, its admin endpoints, and `python -m sandbox serve`."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import requests
from ruamel.yaml import YAML

from sandbox.data import DataError
from sandbox.faults import Fault
from sandbox.server import Sandbox

ROOT = Path(__file__).resolve().parents[2]


def test_start_answers_and_stop_is_quick(tmp_path: Path) -> None:
    data = {"now": "2026-11-15T00:00:00Z", "sheets": {"spreadsheets": [{"id": "s1", "sheets": [{"title": "A"}]}]}}
    with Sandbox(data, jira_deployment="Server", faults=[Fault("latency", latency_ms=1)], workdir=tmp_path) as sandbox:
        with urllib.request.urlopen(f"{sandbox.jira_url}/rest/api/2/serverInfo", timeout=5) as answer:
            assert json.load(answer)["deploymentType"] == "Server"
        account = json.loads(sandbox.service_account_file.read_text())
        assert account["type"] == "service_account" and account["token_uri"] == sandbox.token_uri
        started = time.perf_counter()
    assert time.perf_counter() - started < 2
    assert sandbox.service_account_file.exists()  # a workdir that was given is kept


def test_config_fragment_is_okrsync_yaml_with_env_references(sandbox: Sandbox) -> None:
    sources = YAML(typ="safe").load(sandbox.config_fragment())["sources"]
    assert sources["jira"] == {"type": "jira", "url": sandbox.jira_url, "email": "${JIRA_EMAIL}", "token": "${JIRA_API_TOKEN}"}
    assert sources["gh"]["url"] == sandbox.github_url and sources["sheet"]["spreadsheet"] == "1AbCdEf"
    assert sandbox.env()["GOOGLE_APPLICATION_CREDENTIALS"] == str(sandbox.service_account_file)


def test_python_api_edits_cells_and_counts_requests(sandbox: Sandbox, sheets: object) -> None:
    assert sandbox.set_cells("1AbCdEf", "'OKR Board'!B2:C2", [["12", "30%"]])["updatedCells"] == 2
    answer = sheets.spreadsheets().values().get(spreadsheetId="1AbCdEf", range="'OKR Board'!B2:C2", valueRenderOption="UNFORMATTED_VALUE").execute(num_retries=0)  # type: ignore[attr-defined]
    assert answer["values"] == [[12, 0.3]]
    assert sandbox.total_requests("sheets") == 2 and sandbox.counts("sheets") == {"sheets GET /v4/spreadsheets/{spreadsheet_id}/values/{a1:path}": 1, "sheets POST /token": 1}


def test_admin_endpoints(sandbox: Sandbox) -> None:
    admin = f"{sandbox.sheets_url}/_admin"
    assert requests.get(f"{admin}/clock", timeout=5).json() == {"now": "2026-11-15T12:00:00+00:00"}
    assert requests.post(f"{admin}/advance", json={"days": 1}, timeout=5).json() == {"now": "2026-11-16T12:00:00+00:00"}
    written = requests.post(f"{admin}/cells", json={"spreadsheet": "1AbCdEf", "range": "Survey!B2", "values": [["52%"]]}, timeout=5).json()
    assert written["updatedRange"] == "Survey!B2"
    assert sandbox.state.sheets.spreadsheets["1AbCdEf"].sheets[0].cells[(1, 1)].value == 0.52
    assert requests.post(f"{admin}/rate-limits", json={"resource": "search", "limit": 5}, timeout=5).status_code == 200
    reset = requests.post(f"{admin}/reset", json={"jira_deployment": "Server"}, timeout=5).json()
    assert reset == {"now": "2026-11-15T12:00:00+00:00", "jira_deployment": "Server"}
    assert requests.post(f"{admin}/advance", json={"days": -1}, timeout=5).status_code == 400


def test_bad_data_is_reported_with_its_place(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("jira:\n  projects: [{key: A}]\n  issues:\n    - {key: A-1, created: 2026-10-01, status: Shipped}\n")
    with pytest.raises(DataError, match="jira issue A-1: unknown status 'Shipped'"):
        Sandbox(bad)
    bad.write_text("jira: [1, 2\n")
    with pytest.raises(DataError, match=r"bad\.yaml: not valid YAML"):
        Sandbox(bad)
    with pytest.raises(DataError, match="unknown section"):
        Sandbox({"jiraa": {}})


def test_serve_command_prints_a_config_and_stops_on_sigterm(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "sandbox", "serve", "--latency-ms", "5", "--fault", "drop@github:*/rate_limit,times=1", "--workdir", str(tmp_path)]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        lines = []
        assert process.stdout is not None
        while not lines or not lines[-1].startswith("# admin"):
            line = process.stdout.readline()
            assert line, process.stderr.read() if process.stderr else "no output"
            lines.append(line)
        output = "".join(lines)
        exports = dict(line.removeprefix("export ").strip().split("=", 1) for line in lines if line.startswith("export "))
        assert set(exports) == {"JIRA_EMAIL", "JIRA_API_TOKEN", "GITHUB_TOKEN", "GOOGLE_APPLICATION_CREDENTIALS"}
        jira_url = YAML(typ="safe").load(output.split("# okrsync.yaml\n", 1)[1].split("# environment", 1)[0])["sources"]["jira"]["url"]
        faults = requests.get(f"{jira_url}/_admin/faults", timeout=5).json()
        assert [(f["kind"], f["service"]) for f in faults] == [("drop", "github"), ("latency", "*")]
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
