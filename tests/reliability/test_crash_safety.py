"""Crash safety on PostgreSQL: a sync killed (SIGKILL) at 20 random points of its run leaves a consistent
store, and the next, uninterrupted run publishes each changed KR exactly once.

Each sync is a program of its own (`python -c` calling the sync flow) against the sandbox, which runs in
this process and answers over HTTP with 100 ms of latency a request, so a run lasts long enough to be
killed in every phase: checking the sources, fetching, writing the run, publishing. The programs share
one Prefect server (`prefect server start`, stopped with SIGINT). Every run renames the KRs (a title
suffix: five comments to write) and finds a new activation rate in the sheet (O1-KR2's row to write), so
every run that gets as far as publishing has six publications to make. Before every other run the
okrsync comments are deleted from the tools, so runs are killed while creating comments too, and the
run after such a kill must find the comments it created by their marker, not create them again: after
every kill, no KR has two comments. A 21st kill is made certain to leave a comment the store never
recorded (its POST held by the sandbox, the run killed while it waits), for the final run to find.
"""

from __future__ import annotations

import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from okr_store import models
from sandbox.server import Sandbox
from tests.reliability.helpers import (
    COMMENT_KRS,
    GITHUB_ISSUE,
    GITHUB_REPO,
    JIRA_ISSUE,
    RETRY_ENV,
    consistency_problems,
    engine,
    github_comments,
    jira_comments,
    markers,
    sheet_rows,
    write_project,
    writes,
)

SEED = 20261125  # the kill delays
LATENCY_MS = 100
SYNC = "import json, sys\nfrom flows.sync import sync_flow\nprint(json.dumps(sync_flow(config_path=sys.argv[1])))\n"
PUBLISHING = ("comment", "batchUpdate")
CHECKS = {"/rest/api/{version}/serverInfo", "/rest/api/{version}/myself", "/rate_limit", "/token", "/v4/spreadsheets/{spreadsheet_id}"}

AIMS = {"checking": 3, "fetching": 4, "writing the run": 4, "publishing": 7, "after the last write": 2}  # 20 kills
AFTER_LAST = 0.3  # seconds after the last answer: the run's report and Prefect's final state

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def prefect_api(backend: str, tmp_path: Path) -> Iterator[dict[str, str]]:
    """A Prefect server of its own for the sync programs; the environment that points them at it."""
    if backend != "postgresql":
        pytest.skip("the issue asks for this on PostgreSQL (run with --backend postgresql)")
    port = _free_port()
    env = {**os.environ, "PREFECT_HOME": str(tmp_path / "prefect"), "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
           "PREFECT_LOGGING_LEVEL": "WARNING", "PREFECT_SERVER_LOGGING_LEVEL": "WARNING"}
    env.pop("PREFECT_API_URL", None)
    server = subprocess.Popen([str(Path(sys.executable).with_name("prefect")), "server", "start", "--host", "127.0.0.1",
                               "--port", str(port), "--no-services"], env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, start_new_session=True)
    url = f"http://127.0.0.1:{port}/api"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"{url}/health", timeout=2) as answer:
                    if answer.read().strip() == b"true":
                        break
            except OSError:
                pass
            assert server.poll() is None and time.monotonic() < deadline, "the Prefect server did not start"
            time.sleep(0.25)
        yield {**env, "PREFECT_API_URL": url}
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def test_killed_syncs_leave_a_consistent_store(prefect_api: dict[str, str], sandbox: Sandbox, store_url: str,
                                               tmp_path: Path) -> None:
    env = {**prefect_api, **sandbox.env(), **RETRY_ENV, "OKRSYNC_STORE": store_url}
    sandbox.add_fault("latency", "*", "*", latency_ms=LATENCY_MS)

    def start(version: int | str) -> subprocess.Popen[str]:
        project = write_project(sandbox, tmp_path, title_suffix=f" (v{version})")
        sandbox.set_cell(sandbox.spreadsheet_id, "Survey!B2", f"{50 + version if isinstance(version, int) else 99}%")
        sandbox.reset_log()
        return subprocess.Popen([sys.executable, "-c", SYNC, str(project)], env=env, text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def first_request(program: subprocess.Popen[str]) -> float:
        """When the run sent its first request (logged as it is answered, a latency later)."""
        deadline = time.monotonic() + 60
        while not sandbox.total_requests():
            assert program.poll() is None, program.communicate()
            assert time.monotonic() < deadline, "the sync never reached the sandbox"
            time.sleep(0.005)
        return time.monotonic() - LATENCY_MS / 1000

    # Two uninterrupted runs first: the first creates the store and the comments (and is slower: Prefect
    # registers the flow and its tasks), the second edits them and gives the timeline of a run.
    for version in (0, -1):
        program = start(version)
        first_request(program)
        out, err = program.communicate(timeout=120)
        assert program.returncode == 0 and json.loads(out)["status"] == "success", err
    reference = sandbox.requests()
    windows = _windows(reference)
    store = engine(store_url)

    # Each kill aims at a phase (drawn in proportion to what can go wrong there), at a random point of it.
    rng = random.Random(SEED)
    aims = [phase for phase, count in AIMS.items() for _ in range(count)]
    rng.shuffle(aims)
    kills: list[dict[str, Any]] = []
    for n, aim in enumerate(aims, start=1):
        deleted = n % 2 == 1
        if deleted:
            _delete_okrsync_comments(sandbox)
        program = start(n)
        delay = rng.uniform(*windows[aim])
        time.sleep(max(0.0, first_request(program) + delay - time.monotonic()))
        finished = program.poll() is not None
        killed_at = time.time()
        program.kill()
        program.communicate()
        assert sandbox.wait_until_idle(), "a dead client's requests in flight are still answered (and logged)"
        seen = sandbox.requests()
        kills.append({"aim": aim, "delay": round(delay, 2), "finished": finished, "phase": _phase(seen, killed_at, reference),
                      "deleted": deleted, "unrecorded": _unrecorded_comments(sandbox, store),
                      "requests": len(seen), "last": f"{seen[-1]['method']} {seen[-1]['route']}" if seen else ""})
        # Whatever the kill interrupted, no KR has two comments: a run after a run killed while creating
        # them found them by their marker (checked before the next deletion could hide a duplicate).
        comments = {**markers(jira_comments(sandbox)), **markers(github_comments(sandbox))}
        assert {kr: len(bodies) for kr, bodies in comments.items() if len(bodies) > 1} == {}, kills[-1]
    phases = Counter(k["phase"] for k in kills)
    (tmp_path / "kills.json").write_text(json.dumps({"windows": windows, "phases": phases, "kills": kills}, indent=1))
    print(f"\nphases (s from the first request): {windows}\nkills by phase: {dict(phases)}", *kills, sep="\n")
    assert sum(not k["finished"] for k in kills) >= len(aims) * 3 // 4, "most kills must land mid-run"
    assert {"checking", "fetching", "publishing"} <= set(phases), phases

    # One more kill, made certain to land where the search by marker matters (the random ones do only
    # now and then): the comments deleted, the run's first comment POST held a second by the sandbox,
    # the run killed while it waits. The sandbox still creates that comment, which the store never
    # records: the final run has to find it by its marker.
    _delete_okrsync_comments(sandbox)
    held = sandbox.add_fault("latency", "*", "POST */comment*", latency_ms=1000, times=1)
    program = start(len(aims) + 1)
    deadline = time.monotonic() + 60
    while not held.applied:
        assert program.poll() is None and time.monotonic() < deadline, "the run never posted a comment"
        time.sleep(0.01)
    program.kill()
    program.communicate()
    assert sandbox.wait_until_idle()
    assert _unrecorded_comments(sandbox, store) >= 1

    assert consistency_problems(store, krs_per_run=9) == []  # no half-written run, nothing left running

    # The next run, uninterrupted: five comments (new titles) and O1-KR2's row change; each is written once.
    program = start("final")
    out, err = program.communicate(timeout=120)
    assert program.returncode == 0, err
    document = json.loads(out)
    assert document["status"] == "success"
    actions = {(p["kr"], p["target"]): p["action"] for p in document["published"]}
    unchanged = {("O1-KR1", "sheet:'OKR Board'!B2:E2"), ("O1-KR3", "sheet:'OKR Board'!B4:E4")}  # titles are not in a row
    assert {t for t, action in actions.items() if action == "unchanged"} == unchanged, actions
    assert Counter(actions.values()) == {"created_or_updated": 6, "unchanged": 2}, actions
    sent = [w for w in writes(sandbox) if any(p in w["path"] for p in PUBLISHING)]
    assert len([w for w in sent if "batchUpdate" in w["path"]]) == 1
    assert len([w for w in sent if "comment" in w["path"]]) == 5, sent  # one write per comment: created or edited
    comments = {**markers(jira_comments(sandbox)), **markers(github_comments(sandbox))}
    assert {k: len(v) for k, v in comments.items()} == dict.fromkeys([*COMMENT_KRS["jira"], *COMMENT_KRS["github"]], 1)
    assert all("vfinal" in bodies[0] for bodies in comments.values())
    assert sheet_rows(sandbox)["O1-KR2"][0] == 0.99
    assert consistency_problems(store, krs_per_run=9) == []
    store.dispose()


def _kind(request: dict[str, Any]) -> str:
    if request["route"] in CHECKS:
        return "checking"
    return "publishing" if any(p in request["path"] for p in PUBLISHING) else "fetching"


def _writes(requests: list[dict[str, Any]]) -> int:
    return sum(_kind(r) == "publishing" and r["method"] != "GET" for r in requests)


def _sent(request: dict[str, Any]) -> float:
    """When a request reached the sandbox (it is logged, with its duration, as its answer leaves)."""
    return request["at"] - request["ms"] / 1000


def _windows(requests: list[dict[str, Any]]) -> dict[str, tuple[float, float]]:
    """Each phase of an uninterrupted run, in seconds from its first request."""
    start = _sent(requests[0])
    of = {kind: [r for r in requests if _kind(r) == kind] for kind in ("fetching", "publishing")}
    fetching, fetched = min(_sent(r) for r in of["fetching"]) - start, max(r["at"] for r in of["fetching"]) - start
    publishing, published = min(_sent(r) for r in of["publishing"]) - start, requests[-1]["at"] - start
    return {"checking": (0.0, fetching), "fetching": (fetching, fetched), "writing the run": (fetched, publishing),
            "publishing": (publishing, published), "after the last write": (published, published + AFTER_LAST)}


def _phase(requests: list[dict[str, Any]], killed_at: float, reference: list[dict[str, Any]]) -> str:
    """Where a run was when it was killed: what it had sent, and what had been answered before the kill
    (the sandbox still answers the requests in flight of a dead client)."""
    answered = [r for r in requests if r["status"] and r["at"] <= killed_at]
    done, planned = Counter(_kind(r) for r in answered), Counter(_kind(r) for r in reference)
    sent = Counter(_kind(r) for r in requests)
    if _writes(answered) >= _writes(reference):  # five comments and one sheet batch
        return "after the last write"
    if sent["publishing"]:
        return "publishing"
    if done["fetching"] >= planned["fetching"]:
        return "writing the run"
    return "fetching" if sent["fetching"] else "checking"


def _unrecorded_comments(sandbox: Sandbox, store: sa.Engine) -> int:
    """okrsync comments in the tools whose id the store has not recorded: created by a run killed before
    it could record them (or while the sandbox was still answering its POST)."""
    with store.connect() as connection:
        recorded = set(connection.scalars(sa.select(models.Publication.external_ref)))
    jira, github = sandbox.state.jira, sandbox.state.github
    with jira.lock:
        ids = [c.id for c in jira.issues[JIRA_ISSUE].comments if "okrsync:kr=" in c.body]
    with github.lock:
        repo = github.repo(*GITHUB_REPO)
        assert repo is not None
        ids += [str(c.id) for c in repo.items[GITHUB_ISSUE].comments if "okrsync:kr=" in c.body]
    return sum(i not in recorded for i in ids)


def _delete_okrsync_comments(sandbox: Sandbox) -> None:
    """As if someone deleted okrsync's comments: the next run has to create them again."""
    jira, github = sandbox.state.jira, sandbox.state.github
    with jira.lock:
        issue = jira.issues[JIRA_ISSUE]
        issue.comments = [c for c in issue.comments if "okrsync:kr=" not in c.body]
    with github.lock:
        repo = github.repo(*GITHUB_REPO)
        assert repo is not None
        item = repo.items[GITHUB_ISSUE]
        for comment in [c for c in item.comments if "okrsync:kr=" in c.body]:
            item.comments.remove(comment)
            del github.comments[comment.id]
