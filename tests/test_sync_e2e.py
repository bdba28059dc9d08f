"""The sync flow end to end: real HTTP to the sandbox, a real Prefect run (one harness per session).

Numbers are hand-computed from sandbox/data/seed.yaml as of the sandbox's date (2026-11-15):
- O1-KR1 Jira bugs done since the cycle start: ONB-3, ONB-4, ONB-6 (a Done duplicate) = 3
- O1-KR2 Survey!B2 "45%" = 0.45;  O1-KR3 sum of 'Team KPIs'!B2:B7 = 120+131+128+140+152+149 = 820
- O2-KR1 PRs merged since 2026-10-01: #1 (10-03), #4 (10-01) = 2
- O2-KR2 merged of those created in the cycle: #1 of #1, #2, #3, #5 = 1/4
- O2-KR3 milestone v3.0: closed #1, #6; open #2, #7 = 2/4
- O2-KR4 story points done in ONB: 3 (ONB-3) + 2 (ONB-4) = 5
- O3-KR1 average cycle time, done: (4.5 + 2 + 21) / 3
- O3-KR2 100 x open ONB bugs (ONB-5) / open ONB issues (ONB-1, 2, 5, 7) = 25
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from okr_store import db, models
from sandbox.server import Sandbox

EXPECTED = {
    "O1-KR1": 3, "O1-KR2": 0.45, "O1-KR3": 820, "O2-KR1": 2, "O2-KR2": 0.25, "O2-KR3": 0.5, "O2-KR4": 5,
    "O3-KR1": 27.5 / 3, "O3-KR2": 25,
}
PROGRESS = {"O1-KR1": 0.5, "O1-KR2": 1.0, "O1-KR3": 0.82, "O2-KR1": 0.2, "O2-KR2": 0.0, "O2-KR4": 0.25, "O3-KR1": 0.0, "O3-KR2": 1.0}
WRITES = ("POST", "PUT", "PATCH")


@pytest.fixture
def project(sandbox_project: Path) -> Path:
    return sandbox_project


def sync(project: Path, **options: Any) -> tuple[dict[str, Any], Any]:
    from flows.sync import sync_flow

    state = sync_flow(config_path=str(project), return_state=True, **options)
    return state.result(), state.state_details.flow_run_id


def writes(sandbox: Sandbox) -> list[dict[str, Any]]:  # noqa: F811
    return [r for r in sandbox.requests() if r["method"] in WRITES and not r["path"].endswith("/token")]


def row_counts(engine: sa.Engine) -> dict[str, int]:
    with engine.connect() as connection:
        return {model.__tablename__: connection.scalar(sa.select(sa.func.count()).select_from(model))
                for model in (models.Measurement, models.SyncRun, models.FetchOutcome, models.Publication, models.KeyResult)}


def values(engine: sa.Engine) -> dict[str, list[float]]:
    with engine.connect() as connection:
        rows = connection.execute(
            sa.select(models.KeyResult.key, models.Measurement.value)
            .join(models.Measurement, models.Measurement.key_result_id == models.KeyResult.id)
            .order_by(models.Measurement.id)
        ).all()
    history: dict[str, list[float]] = {}
    for key, value in rows:
        history.setdefault(key, []).append(value)
    return history


def test_sync_then_resync_publishes_nothing_new(prefect_harness: None, sandbox: Sandbox, project: Path) -> None:  # noqa: F811
    document, flow_run_id = sync(project)
    assert document["status"] == "success"
    by_id = {kr["id"]: kr for kr in document["key_results"]}
    assert {k: pytest.approx(v) for k, v in EXPECTED.items()} == {k: kr["new_value"] for k, kr in by_id.items()}
    for key, progress in PROGRESS.items():
        assert by_id[key]["progress"] == pytest.approx(progress), key
    assert by_id["O1-KR2"]["status"] == "on_track" and by_id["O3-KR2"]["status"] == "on_track"
    evidence = by_id["O1-KR1"]["evidence"]["queries"][0]
    assert sorted(evidence["evidence"]["items"]) == ["ONB-3", "ONB-4", "ONB-6"]
    assert 'resolved >= "2026-10-01 00:00"' in evidence["query"]  # placeholders rendered in the API user's zone

    engine = db.create_store_engine(os.environ["OKRSYNC_STORE"])
    assert {k: v[-1] for k, v in values(engine).items()} == {k: pytest.approx(v) for k, v in EXPECTED.items()}
    first_writes = writes(sandbox)
    assert len([w for w in first_writes if "comments" in w["path"] or "comment" in w["path"]]) == 5  # 2 Jira, 3 GitHub
    assert len([w for w in first_writes if "batchUpdate" in w["path"]]) == 1  # every sheet range in one call

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId

    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[flow_run_id])))
    kinds = {artifact.key: artifact.type for artifact in artifacts}
    assert kinds == {"okrsync-sync-key-results": "table", "okrsync-sync-summary": "markdown"}
    summary = next(a for a in artifacts if a.type == "markdown").data
    assert "okrsync sync: success" in summary

    sandbox.reset_log()
    again, _ = sync(project)
    assert again["status"] == "success"
    assert writes(sandbox) == []  # the second run publishes nothing new
    assert {p["action"] for p in again["published"]} == {"unchanged"}
    github = next(s for s in again["sources"] if s["name"] == "gh")
    assert github["not_modified"] == 4  # three searches and the milestones, answered 304
    assert len(values(engine)["O1-KR1"]) == 2  # history is append-only
    engine.dispose()


def test_dry_run_writes_nothing(prefect_harness: None, sandbox: Sandbox, project: Path) -> None:  # noqa: F811
    sync(project)
    engine = db.create_store_engine(os.environ["OKRSYNC_STORE"])
    before = row_counts(engine)
    sandbox.advance(days=10)
    sandbox.reset_log()
    document, _ = sync(project, dry_run=True)
    assert document["dry_run"] and document["run_id"] is None
    assert row_counts(engine) == before
    assert writes(sandbox) == []
    by_id = {kr["id"]: kr for kr in document["key_results"]}
    assert (by_id["O1-KR1"]["old_value"], by_id["O1-KR1"]["new_value"]) == (3, 4)  # ONB-5 is done by then
    would = {(p["kr"], p["target"]) for p in document["published"] if p["action"] == "would_publish"}
    assert ("O1-KR1", "jira:ONB-1") in would and ("O1-KR3", "sheet:'OKR Board'!B4:E4") not in would
    engine.dispose()


def test_an_expired_token_fails_only_its_krs(prefect_harness: None, sandbox: Sandbox, project: Path) -> None:  # noqa: F811
    sync(project)
    engine = db.create_store_engine(os.environ["OKRSYNC_STORE"])
    sandbox.advance(days=10)
    sandbox.add_fault("expired_token", "github", "*")
    sandbox.reset_log()
    document, _ = sync(project)
    assert document["status"] == "partial"
    by_id = {kr["id"]: kr for kr in document["key_results"]}
    github_krs = {"O2-KR1", "O2-KR2", "O2-KR3"}
    for key in github_krs:
        assert (by_id[key]["outcome"], by_id[key]["error_class"]) == ("failed", "auth")
        assert by_id[key]["old_value"] == pytest.approx(EXPECTED[key])  # the last good value stays
    assert by_id["O1-KR1"]["outcome"] == "ok" and by_id["O1-KR1"]["new_value"] == 4  # the others are fresh
    history = values(engine)
    assert all(len(history[key]) == 1 for key in github_krs) and len(history["O1-KR1"]) == 2
    assert not [w for w in writes(sandbox) if w["service"] == "github"]  # nothing published for them
    with engine.connect() as connection:
        failed = connection.execute(
            sa.select(models.KeyResult.key, models.FetchOutcome.error_class)
            .join(models.FetchOutcome, models.FetchOutcome.key_result_id == models.KeyResult.id)
            .where(models.FetchOutcome.status == "failed")
        ).all()
    assert {key for key, _ in failed} == github_krs and {cls for _, cls in failed} == {"auth"}
    gh = next(s for s in document["sources"] if s["name"] == "gh")
    assert gh["error_class"] == "auth" and gh["requests"] == 1  # the token check fails once, no query is sent
    engine.dispose()


def test_a_token_from_a_prefect_secret_block(prefect_harness: None, sandbox: Sandbox, project: Path,  # noqa: F811
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    from prefect.blocks.system import Secret

    Secret(value=sandbox.env()["GITHUB_TOKEN"]).save("okrsync-test-github-token", overwrite=True)
    monkeypatch.delenv("GITHUB_TOKEN")
    project.write_text(project.read_text().replace("token: '${GITHUB_TOKEN}'", "token: {secret: okrsync-test-github-token}"))
    document, _ = sync(project, only=["O2-KR1"], publish=False)
    assert document["status"] == "success" and document["key_results"][0]["new_value"] == 2

    project.write_text(project.read_text().replace("okrsync-test-github-token", "no-such-block"))
    document, _ = sync(project, only=["O2-KR1"], publish=False)
    (kr,) = document["key_results"]
    assert kr["error_class"] == "auth" and "Prefect Secret block 'no-such-block'" in kr["message"]


def test_sums_and_averages_over_one_jql_read_its_issues_once(prefect_harness: None, sandbox: Sandbox, project: Path) -> None:  # noqa: F811
    """O3-KR1 averages Cycle Time over O2-KR4's query (which sums Story Points): ONB-3 (4.5 days) and
    ONB-4 (2 days) have one; both values come from one search asking for both fields."""
    text = project.read_text(encoding="utf-8")
    project.write_text(text.replace("""jql: 'statusCategory = Done AND "Cycle Time" >= 0'""",
                                    "jql: 'project = ONB AND statusCategory = Done'"), encoding="utf-8")
    sandbox.reset_log()
    document, _ = sync(project, publish=False)
    by_id = {kr["id"]: kr for kr in document["key_results"]}
    assert (by_id["O2-KR4"]["new_value"], by_id["O3-KR1"]["new_value"]) == (5, pytest.approx(3.25))
    field_searches = [r["query"] for r in sandbox.requests("jira") if r["path"].endswith("/search/jql") and "customfield" in r["query"]]
    assert len(field_searches) == 1
    assert "customfield_10016" in field_searches[0] and "customfield_10050" in field_searches[0]


def test_an_in_memory_store_serves_the_whole_run(prefect_harness: None, sandbox: Sandbox, project: Path,  # noqa: F811
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """`sqlite://` is one connection that the publishing threads (one per tool) share, one at a time."""
    monkeypatch.setenv("OKRSYNC_STORE", "sqlite://")
    document, _ = sync(project)
    assert document["status"] == "success" and document["run_id"] is not None
    actions = {(p["target"].split(":")[0], p["action"]) for p in document["published"]}
    assert actions == {("jira", "created_or_updated"), ("gh", "created_or_updated"), ("sheet", "created_or_updated")}


def test_an_unforeseen_publishing_error_fails_only_its_tool(prefect_harness: None, sandbox: Sandbox, project: Path,  # noqa: F811
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """Its message is kept, with any secret it quotes masked (requests quotes a header it refuses)."""
    from connectors.github import GitHubConnector

    token = os.environ["GITHUB_TOKEN"]

    def broken(*_: Any, **__: Any) -> None:
        raise RuntimeError(f"a bug in the GitHub writer: header 'token {token}' refused")

    monkeypatch.setattr(GitHubConnector, "upsert_comment", broken)
    document, _ = sync(project)
    assert document["status"] == "partial"
    results = {(p["target"].split(":")[0], p["action"], p["message"]) for p in document["published"]}
    assert results == {("jira", "created_or_updated", ""), ("sheet", "created_or_updated", ""),
                       ("gh", "failed", "unavailable: unexpected error: RuntimeError: a bug in the GitHub writer: header 'token ***' refused")}
    assert [w["path"] for w in writes(sandbox) if "github" in w["service"]] == []


def test_secrets_with_a_trailing_newline_work(prefect_harness: None, sandbox: Sandbox, project: Path,  # noqa: F811
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """As a secret file or a Kubernetes secret gives them: requests would refuse the header."""
    for name in ("GITHUB_TOKEN", "JIRA_API_TOKEN"):
        monkeypatch.setenv(name, os.environ[name] + "\n")
    document, _ = sync(project)
    assert document["status"] == "success"
