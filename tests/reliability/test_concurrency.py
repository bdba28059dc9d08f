"""Four syncs at once against one store (threads of this process, each a Prefect flow run): no error,
no deadlock, every run recorded, and each change published exactly once (the store's sync lock makes
them take turns; the ones after the first find the content already published).

The issue asks for this on PostgreSQL, where workers on several machines share a store; it runs on
SQLite too (one machine: the lock is a file lock).
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from okr_store import models
from sandbox.server import Sandbox
from tests.reliability.helpers import (
    CHANGED,
    COMMENT_KRS,
    SEED,
    by_kr,
    change_data,
    comment_writes,
    consistency_problems,
    engine,
    github_comments,
    jira_comments,
    markers,
    sync,
    writes,
)

SYNCS = 4
STATUS = """
import sys, time
from okrsync.cli import app
time.sleep(max(0.0, float(sys.argv[1]) - time.time()))
app(["status", "--json", "-c", sys.argv[2]])
"""
PUBLISHING = {"O1-KR1", "O1-KR2", "O1-KR3", "O2-KR1", "O2-KR2", "O2-KR3", "O2-KR4"}


def sync_at_once(project: Path) -> list[dict[str, Any]]:
    start = threading.Barrier(SYNCS)

    def one(_: int) -> dict[str, Any]:
        start.wait()
        return sync(project)[0]

    with ThreadPoolExecutor(SYNCS) as pool:
        return list(pool.map(one, range(SYNCS), timeout=120))


def test_four_syncs_at_once(prefect_harness: None, sandbox: Sandbox, project: Path) -> None:
    # On a new, empty store: the first run creates the tables, the others wait for it.
    documents = sync_at_once(project)
    _check_round(sandbox, documents, SEED)
    assert len(comment_writes(sandbox)) == 5  # one POST per KR and issue: 2 on Jira, 3 on GitHub

    change_data(sandbox)
    sandbox.reset_log()
    documents = sync_at_once(project)
    _check_round(sandbox, documents, CHANGED)
    edits = Counter(r["path"] for r in comment_writes(sandbox))
    assert sorted(r["method"] for r in comment_writes(sandbox)) == ["PATCH"] * 3 + ["PUT"] * 2
    assert set(edits.values()) == {1}  # each comment edited once

    store = engine()
    with store.connect() as connection:
        runs = connection.execute(sa.select(models.SyncRun.status)).scalars().all()
    assert runs == ["success"] * 2 * SYNCS  # all eight runs recorded
    assert consistency_problems(store, krs_per_run=9) == []
    store.dispose()


def _check_round(sandbox: Sandbox, documents: list[dict[str, Any]], expected: dict[str, float]) -> None:
    assert [d["status"] for d in documents] == ["success"] * SYNCS
    assert len({d["run_id"] for d in documents}) == SYNCS
    for document in documents:
        assert {k: kr["new_value"] for k, kr in by_kr(document).items()} == expected
    publishers = Counter((p["kr"], p["target"]) for d in documents for p in d["published"] if p["action"] == "created_or_updated")
    assert set(publishers.values()) == {1} and {kr for kr, _ in publishers} == PUBLISHING  # exactly one run published each
    assert len([w for w in writes(sandbox, "sheets") if "batchUpdate" in w["path"]]) == 1
    comments = {**markers(jira_comments(sandbox)), **markers(github_comments(sandbox))}
    assert {k: len(v) for k, v in comments.items()} == dict.fromkeys([*COMMENT_KRS["jira"], *COMMENT_KRS["github"]], 1)


def test_four_commands_on_a_new_store_at_once(sandbox: Sandbox, project: Path) -> None:
    """What every command (and each sync) does first: create the tables of a new store and bring its
    objectives and KRs up to the configuration. Four `okrsync status` at the same moment: one creates,
    the others wait and find it done (before the fixes: duplicate-key errors on PostgreSQL, 'the store has
    tables but no okrsync schema version' on SQLite)."""
    start = time.time() + 3  # after the imports
    programs = [subprocess.Popen([sys.executable, "-c", STATUS, str(start), str(project)], stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True) for _ in range(SYNCS)]
    results = [(program.communicate(timeout=60), program.returncode) for program in programs]
    assert [code for _, code in results] == [0] * SYNCS, [err for (_, err), _ in results]
    assert all(json.loads(out)["runs"] == [] for (out, _), _ in results)
    store = engine()
    with store.connect() as connection:
        assert connection.scalar(sa.select(sa.func.count()).select_from(models.KeyResult)) == 10
    store.dispose()
