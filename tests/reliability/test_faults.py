"""Faults injected into each tool during a sync (docs/reliability.md has the table of outcomes).

Each case, against the sandbox and a new store:
1. sync with the fault once (`times=1`): a fault the retry policy absorbs ends in success, every KR
   fresh; a fault that is not retried (an expired token) is left for step 2. Else a clean first sync.
2. the tools' data moves on, the fault is set for good, sync: the run is `partial`; the affected KRs
   fail with the error class and a message naming the source, in the run document and in
   fetch_outcomes; they keep their last good value; nothing is published for them (the sandbox
   received no write for them); history only grows (old rows untouched, one new row per ok KR).
3. the fault clears, sync: `success`, every KR current, each change published exactly once.

Waits are short: Retry-After 0.1 s, OKRSYNC_RETRY_BACKOFF=0.05 and OKRSYNC_RETRY_MAX_WAIT=1 (the
conftest), `timeout: 0.5` per source (GitHub: 1 s) with the sandbox holding requests for 1.5 s.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from sandbox.server import Sandbox
from tests.reliability.helpers import (
    ALL_KRS,
    CHANGED,
    COMMENT_KRS,
    KRS,
    SEED,
    SHEET_ROWS,
    by_kr,
    change_data,
    engine,
    github_comments,
    jira_comments,
    markers,
    measurements,
    outcomes,
    published_state,
    sync,
    writes,
)

SOURCE_NAMES = {"jira": "jira", "github": "gh", "sheets": "sheet"}
# Requests each source makes to check itself before any query: Jira serverInfo + myself, GitHub
# /rate_limit, Sheets the token + spreadsheets.get. `after` lets them through: the fault hits mid-run.
CHECKS = {"jira": 2, "github": 1, "sheets": 2}


@dataclass(frozen=True)
class Case:
    source: str
    kind: str
    error_class: str
    says: str  # in the KR's message
    retried: bool = True  # a single occurrence (times=1) is absorbed by the retry policy
    route: str = "*"
    settings: dict[str, Any] = field(default_factory=dict)
    affected: tuple[str, ...] = ()  # default: every KR of the source

    @property
    def krs(self) -> tuple[str, ...]:
        return self.affected or KRS[self.source]

    @property
    def id(self) -> str:
        return f"{self.source}-{self.kind}"

    def add(self, sandbox: Sandbox, times: int | None) -> Any:
        after = CHECKS[self.source] if self.route == "*" else 0
        return sandbox.add_fault(self.kind, self.source, self.route, after=after, times=times, **self.settings)


SLOW = pytest.mark.slow  # each try waits out a client timeout (GitHub's at least 1 s): 5-8 s a case
FAST = {"retry_after": 0.1}
HELD = {"seconds": 1.5}  # above the 0.5 s client timeout (GitHub: 1 s)
CASES = [
    Case("jira", "rate_limit", "rate_limited", "rate limiting okrsync (429)", settings=FAST),
    Case("jira", "server_error", "unavailable", "Jira answered 503", settings=FAST),
    pytest.param(Case("jira", "timeout", "unavailable", "did not answer GET /rest/api/2/field in time", route="GET */field",
                      settings=HELD, affected=("O2-KR4", "O3-KR1")), marks=SLOW),  # only the sum and the average need the fields
    Case("jira", "drop", "unavailable", "cannot connect to Jira"),
    Case("jira", "expired_token", "auth", "Jira rejected the credentials", retried=False),
    Case("jira", "malformed_json", "unavailable", "malformed JSON"),
    Case("github", "rate_limit", "rate_limited", "GitHub is rate limiting okrsync (429)", settings=FAST),
    Case("github", "secondary_rate_limit", "rate_limited", "secondary rate limit", settings=FAST),
    Case("github", "server_error", "unavailable", "GitHub answered 502", settings={"status": 502}),
    pytest.param(Case("github", "timeout", "unavailable", "in time", route="GET /repos/*/milestones", settings=HELD,
                      affected=("O2-KR3",)), marks=SLOW),
    Case("github", "drop", "unavailable", "cannot connect to GitHub"),
    Case("github", "expired_token", "auth", "GitHub rejected the token", retried=False),
    Case("github", "malformed_json", "unavailable", "malformed JSON"),
    Case("sheets", "rate_limit", "rate_limited", "Google Sheets quota exceeded", settings=FAST),
    Case("sheets", "server_error", "unavailable", "Google Sheets answered 500", settings={"status": 500}),
    pytest.param(Case("sheets", "timeout", "unavailable", "cannot reach Google Sheets", route="*values:batchGet", settings=HELD),
                 marks=SLOW),
    Case("sheets", "drop", "unavailable", "cannot reach Google Sheets"),
    Case("sheets", "expired_token", "auth", "Google", retried=False),
    Case("sheets", "malformed_json", "unavailable", "malformed JSON"),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id if isinstance(c, Case) else None)
def test_fault(case: Case, prefect_harness: None, sandbox: Sandbox, project: Path) -> None:
    # 1. Once: absorbed by the retry policy (or, for what is not retried, a clean first sync).
    once = case.add(sandbox, times=1) if case.retried else None
    first, _ = sync(project)
    assert first["status"] == "success", _failures(first)
    assert {k: kr["new_value"] for k, kr in by_kr(first).items()} == pytest.approx(SEED)
    if once is not None:
        assert once.applied == 1, "the fault never happened"  # (a held request is logged once answered)
    sandbox.clear_faults()

    # 2. For good: the affected KRs fail, keep their value, say why, and publish nothing.
    store = engine()
    history = measurements(store)
    shown = published_state(sandbox)
    change_data(sandbox)
    sandbox.reset_log()
    fault = case.add(sandbox, times=None)
    document, _ = sync(project)
    assert fault.applied >= 1
    assert document["status"] == "partial", _failures(document)
    lines = by_kr(document)
    failed = {k for k, kr in lines.items() if kr["outcome"] == "failed"}
    assert failed == set(case.krs)
    stored = outcomes(store, document["run_id"])
    for key in case.krs:
        line = lines[key]
        assert line["error_class"] == case.error_class, line["message"]
        assert line["message"].startswith(f"source {SOURCE_NAMES[case.source]!r}") and case.says in line["message"], line["message"]
        assert line["new_value"] is None and line["old_value"] == pytest.approx(SEED[key])  # the last good value stays
        assert stored[key] == ("failed", case.error_class, line["message"], None)
    for key in set(ALL_KRS) - set(case.krs):
        assert (lines[key]["outcome"], lines[key]["new_value"]) == ("ok", pytest.approx(CHANGED[key]))
        assert stored[key][0] == "ok" and stored[key][3] is not None

    assert not [p for p in document["published"] if p["kr"] in case.krs]
    after = published_state(sandbox)
    assert {k: after[k] for k in case.krs} == {k: shown[k] for k in case.krs}  # what the tools show of them is untouched
    for service, krs in COMMENT_KRS.items():  # an issue whose KRs all failed received no comment write at all
        if set(krs) <= set(case.krs):
            assert not [w for w in writes(sandbox, service) if "comment" in w["path"]]

    now = measurements(store)
    assert now[: len(history)] == history  # nothing rewritten or lost
    added = now[len(history):]
    assert sorted(row[1] for row in added) == sorted(set(ALL_KRS) - set(case.krs))
    assert {row[4] for row in added} == {document["run_id"]}

    # 3. The fault clears: everything recovers, each change is published once.
    sandbox.clear_faults()
    sandbox.reset_log()
    again, _ = sync(project)
    assert again["status"] == "success", _failures(again)
    assert {k: kr["new_value"] for k, kr in by_kr(again).items()} == pytest.approx(CHANGED)
    for key in case.krs:
        assert by_kr(again)[key]["old_value"] == pytest.approx(SEED[key])
    republished = {p["kr"] for p in again["published"] if p["action"] == "created_or_updated"}
    publishing = {k for k in case.krs if k in {*COMMENT_KRS["jira"], *COMMENT_KRS["github"], *SHEET_ROWS}}
    assert republished == publishing | {p["kr"] for p in document["published"] if p["action"] == "failed"}
    assert not [p for p in again["published"] if p["action"] == "failed"]
    comments = {**markers(jira_comments(sandbox)), **markers(github_comments(sandbox))}
    assert {k: len(v) for k, v in comments.items()} == dict.fromkeys([*COMMENT_KRS["jira"], *COMMENT_KRS["github"]], 1)
    assert measurements(store)[: len(now)] == now
    store.dispose()


def _failures(document: dict[str, Any]) -> list[tuple[str, str, str]]:
    """What failed, for assertion messages."""
    failed = [(kr["id"], kr["error_class"], kr["message"]) for kr in document["key_results"] if kr["outcome"] == "failed"]
    return failed + [(p["kr"], p["target"], p["message"]) for p in document["published"] if p["action"] == "failed"]
