"""The data generator: deterministic for a seed, quick at 5,000 issues, statuses that move with time."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from sandbox import jql
from sandbox.data import read_data
from sandbox.generate import generate, quarter_bounds
from sandbox.state import SandboxState

ROOT = Path(__file__).resolve().parents[2]


def test_same_seed_same_data_other_seed_other_data() -> None:
    assert generate(300, 100, 20, seed=7) == generate(300, 100, 20, seed=7)
    assert generate(300, 100, 20, seed=7) != generate(300, 100, 20, seed=8)


def test_five_thousand_issues_generate_and_load_quickly() -> None:
    started = time.perf_counter()
    data = generate(issues=5000, prs=2000)
    generated = time.perf_counter() - started
    state = SandboxState(data)
    loaded = time.perf_counter() - started - generated
    assert generated < 3 and loaded < 3
    assert len(data["jira"]["issues"]) == 5000
    assert sum(item.get("kind") == "pr" for repo in data["github"]["repos"] for item in repo["issues"]) == 2000
    assert len(data["sheets"]["spreadsheets"][0]["sheets"][1]["cells"]) == 501
    assert len(state.jira.issues) == 5000


def test_dates_fall_around_the_quarter_and_statuses_move_over_time() -> None:
    start, end = quarter_bounds("2026-Q4")
    assert (start.isoformat(), end.isoformat()) == ("2026-10-01T00:00:00+00:00", "2027-01-01T00:00:00+00:00")
    state = SandboxState(generate(issues=1000, prs=200, rows=10))
    created = sorted(issue.created for issue in state.jira.issues.values())
    assert created[0] >= start.replace(month=9) and created[-1] < end

    def done() -> int:
        return len(jql.parse("statusCategory = Done", state.jira, state.clock.now()).run(state.jira.states(state.clock.now())))

    before = done()
    state.advance(days=14)
    assert done() > before


def test_generate_command_writes_a_loadable_file(tmp_path: Path) -> None:
    target = tmp_path / "data.json"
    result = subprocess.run(
        [sys.executable, "-m", "sandbox", "generate", "--issues", "50", "--prs", "20", "--rows", "5", "--seed", "3", "-o", str(target)],
        cwd=ROOT, capture_output=True, text=True, timeout=60, check=True,
    )
    assert "50 Jira issues" in result.stdout
    assert read_data(target) == generate(50, 20, 5, seed=3)
