"""A corpus of broken okrsync.yaml files: each must fail `okrsync validate` at the right place.

Every file directly under tests/configs/broken/ is one case; so is every sub-directory (a
configuration split over several files). The file where the error belongs starts with

    # expect: <LINE>:<COL>: <a piece of the message>
    # reject: <text that must not appear on that line>      (optional, any number of them)

In the expected text, `{file}` stands for the path of that file and `{dir}` for its directory, as the
CLI prints them. A case passes when `okrsync validate` exits with 1, prints no traceback, and prints
a line holding `FILE:LINE:COL:` together with the expected text (and none of the rejected texts).
"""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from okrsync.cli import app

BROKEN = Path(__file__).parent / "configs" / "broken"
EXPECT = re.compile(r"^# expect: (?P<line>\d+):(?P<column>\d+): (?P<text>.+)$")
REJECT = re.compile(r"^# reject: (?P<text>.+)$")


@dataclass(frozen=True)
class Case:
    name: str
    config: Path  # what `-c` gets: a file, or a directory of files
    reported: Path  # the file the error must be reported in
    line: int
    column: int
    expected: str
    rejected: tuple[str, ...]


def _read_case(config: Path, reported: Path) -> Case:
    lines = reported.read_text(encoding="utf-8").splitlines()
    match = EXPECT.match(lines[0]) if lines else None
    assert match, f"{reported}: the first line must be '# expect: LINE:COL: message'"
    rejected = []
    for line in lines[1:]:
        if not (reject := REJECT.match(line)):
            break
        rejected.append(reject["text"])
    expected = match["text"].replace("{file}", str(reported)).replace("{dir}", str(reported.parent))
    return Case(config.name, config, reported, int(match["line"]), int(match["column"]), expected, tuple(rejected))


def _expecting_file(folder: Path) -> Path:
    marked = [p for p in sorted(folder.rglob("*.y*ml")) if p.read_text(encoding="utf-8").startswith("# expect:")]
    assert len(marked) == 1, f"{folder}: exactly one file must start with '# expect:', found {marked}"
    return marked[0]


def _cases() -> list[Case]:
    cases = []
    for entry in sorted(BROKEN.iterdir()):
        if entry.is_dir():
            cases.append(_read_case(entry, _expecting_file(entry)))
        elif entry.suffix in (".yaml", ".yml"):
            cases.append(_read_case(entry, entry))
    return cases


CASES = _cases()


def _check_output(case: Case, output: str) -> None:
    position = f"{case.reported}:{case.line}:{case.column}:"
    lines = [line for line in output.splitlines() if position in line and case.expected in line]
    assert lines, f"no line holds {position!r} and {case.expected!r}; the output was:\n{output}"
    for line in lines:
        for text in case.rejected:
            assert text not in line, f"{text!r} should not be printed: {line}"


@pytest.mark.parametrize("case", [pytest.param(case, id=case.name) for case in CASES])
def test_broken_config_is_reported(case: Case) -> None:
    result = CliRunner().invoke(app, ["validate", "--no-env", "-c", str(case.config)])
    output = result.output  # stdout and stderr, as a terminal shows them
    assert "Traceback" not in output, output
    assert isinstance(result.exception, SystemExit), f"{result.exception!r}\n{output}"
    assert result.exit_code == 1, output
    _check_output(case, output)


def test_the_corpus_is_large_and_consistent() -> None:
    assert len(CASES) >= 30
    assert len({case.name for case in CASES}) == len(CASES)
    assert sum(case.config.is_dir() for case in CASES) >= 2


def test_console_script_reports_on_stderr() -> None:
    """The installed `okrsync` script, as a user runs it: exit 1, the problem on stderr."""
    script = Path(sys.executable).with_name("okrsync")
    assert script.exists(), f"no okrsync console script next to {sys.executable}; run pip install -e ."
    case = next(c for c in CASES if c.name == "undefined_metric_source.yaml")
    completed = subprocess.run(
        [str(script), "validate", "--no-env", "-c", str(case.config)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 1, completed.stderr
    assert "Traceback" not in completed.stderr, completed.stderr
    _check_output(case, completed.stderr)
    assert case.expected not in completed.stdout
