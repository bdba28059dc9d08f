"""No secret ends up anywhere okrsync writes: after full runs with known fake secrets (the sandbox's
credentials, its service account's private key and id, the access tokens Google issued), grep every
log record, everything the command line printed, every report, every Prefect artifact and log, every
run document and every row of every table of the store."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from okrsync.cli import app
from sandbox.server import Sandbox
from tests.reliability.helpers import change_data, engine, sync


def secrets_of(sandbox: Sandbox) -> dict[str, str]:
    creds, account = sandbox.credentials, sandbox.state.account
    found = {
        "jira email": creds.jira_email, "jira token": creds.jira_token, "jira PAT": creds.jira_pat,
        "github token": creds.github_token, "private key id": account.private_key_id, "private key": account.private_key,
    }
    body = [line for line in account.private_key.splitlines() if "-----" not in line and len(line) > 16]
    found.update({f"private key line {n}": line for n, line in enumerate(body)})
    with sandbox.state.tokens._lock:  # the access tokens the token endpoint issued to okrsync
        found.update({f"access token {n}": token for n, token in enumerate(sandbox.state.tokens._tokens)})
    return found


@pytest.fixture
def debug_logs(caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.LogCaptureFixture]:
    """caplog at DEBUG for every library, kept in place while flows run."""
    # Prefect's logging setup, run again by a flow run, replaces the root handlers (caplog's among them)
    # unless a handler with a formatter is there: this one keeps caplog in place for the whole test.
    keeper = logging.NullHandler()
    keeper.setFormatter(logging.Formatter())
    root, prefect = logging.getLogger(), logging.getLogger("prefect")
    root.addHandler(keeper)
    prefect.addHandler(caplog.handler)  # Prefect's loggers do not propagate to the root
    caplog.set_level(logging.DEBUG)
    for name in ("prefect", "prefect.flow_runs", "prefect.task_runs", "prefect.client", "urllib3", "httplib2", "google",
                 "googleapiclient", "jira", "github", "okrsync", "flows"):
        monkeypatch.setattr(logging.getLogger(name), "level", logging.DEBUG)
    try:
        yield caplog
    finally:
        root.removeHandler(keeper)
        prefect.removeHandler(caplog.handler)


def test_no_secret_anywhere(prefect_harness: None, sandbox: Sandbox, project: Path, debug_logs: pytest.LogCaptureFixture,
                            capfd: pytest.CaptureFixture[str]) -> None:
    runner = CliRunner()
    texts: dict[str, str] = {}
    flow_runs: list[Any] = []

    def cli(*args: str) -> None:
        result = runner.invoke(app, [*args, "-c", str(project)])
        assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
        texts[" ".join(args)] = result.output + (result.stderr if result.stderr_bytes is not None else "")

    cli("sync", "--json")  # a full run from the command line
    change_data(sandbox)
    sandbox.add_fault("expired_token", "github", "*", after=1)  # error messages of every kind, too
    sandbox.add_fault("server_error", "jira", "*/search/jql", retry_after=0.1)
    sandbox.add_fault("expired_token", "sheets", "POST /token")  # Google refuses the token request
    cli("sync")
    sandbox.clear_faults()
    cli("sync", "--dry-run")
    document, flow_run = sync(project)  # and one in this process, for its run document and flow run
    texts["run document"] = json.dumps(document)
    flow_runs.append(flow_run)
    for args in (("status",), ("status", "--json"), ("report",), ("report", "--format", "json"),
                 ("report", "--format", "md"), ("report", "--format", "html"), ("validate",)):
        cli(*args)

    captured = capfd.readouterr()
    texts["stdout"], texts["stderr"] = captured.out, captured.err
    records = debug_logs.records
    texts["log records"] = "\n".join(f"{r.name} {r.getMessage()} {r.args!r} {r.exc_text or ''}" for r in records)
    names = {r.name.split(".")[0] for r in records}
    assert {"urllib3", "google_auth_httplib2", "httpcore"} <= names, names  # debug logs were on (Prefect's own stay at WARNING)
    texts.update(_prefect_records(flow_runs))
    texts.update(_store_rows())
    assert len(texts["store sync_runs"].splitlines()) == 3  # the dry run records nothing

    secrets = secrets_of(sandbox)
    assert len([name for name in secrets if name.startswith("access token")]) >= 3  # one per run that got a token
    leaks = [(what, where) for what, secret in secrets.items() for where, text in texts.items() if secret in text]
    assert not leaks
    assert "rejected" in texts["sync"] and "sync --json" in texts  # the errors were there to leak through


def _prefect_records(flow_runs: list[Any]) -> dict[str, str]:
    """Every artifact (all runs of the session's Prefect) and the logs and parameters of these flow runs."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId, LogFilter, LogFilterFlowRunId

    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts()
        logs = client.read_logs(log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=flow_runs)))
        runs = client.read_flow_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=flow_runs)))
    assert {a.key for a in artifacts} >= {"okrsync-sync-summary", "okrsync-sync-key-results"}
    return {
        "prefect artifacts": "\n".join(f"{a.key} {a.description} {a.data}" for a in artifacts),
        "prefect logs": "\n".join(log.message for log in logs),
        "prefect flow runs": "\n".join(f"{r.name} {r.parameters} {r.state}" for r in runs),
    }


def _store_rows() -> dict[str, str]:
    """Every row of every table of the store, as text."""
    store = engine()
    metadata = sa.MetaData()
    metadata.reflect(bind=store)
    dumps = {}
    with store.connect() as connection:
        for table in metadata.sorted_tables:
            rows = connection.execute(sa.select(table)).all()
            dumps[f"store {table.name}"] = "\n".join(repr(tuple(row)) for row in rows)
    store.dispose()
    assert dumps["store measurements"] and dumps["store http_cache"]
    return dumps
