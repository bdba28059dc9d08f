"""Bad input: fuzzing the configuration loader and the Sheets cell parser (hypothesis), then hostile
content from the tools, end to end against the sandbox.

The loader must answer any text with a ConfigError whose every problem is `FILE:LINE:COL: ...`, never
another exception; the cell parser any value with a finite number or BadCellValue. Hypothesis runs
derandomized (a fixed seed, the same examples each run) and keeps no example database.
"""

from __future__ import annotations

import math
import re
import tempfile
from collections.abc import Iterator
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mapping.loader import load_config
from mapping.problems import ConfigError
from mapping.units import BadCellValue, parse_number
from tests.conftest import CONFIGS, DESIGN_ENV

pytestmark = pytest.mark.filterwarnings("ignore::ruamel.yaml.error.ReusedAnchorWarning")
FUZZ = settings(max_examples=300, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
VALID = [
    (CONFIGS / "valid" / "design_example.yaml").read_text(encoding="utf-8"),
    files("okrsync").joinpath("templates/okrsync.yaml").read_text(encoding="utf-8"),
    files("okrsync").joinpath("templates/demo.yaml").read_text(encoding="utf-8").replace(
        "{sources}", "sources:\n  jira: {type: jira, url: 'https://x.atlassian.net', email: a@b.c, token: '${T}'}\n"
        "  gh: {type: github, token: '${G}'}\n  sheet: {type: google_sheets, spreadsheet: s, credentials: '${C}'}\n"
    ),
]


@pytest.fixture(scope="module")
def folder() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="okrsync-fuzz-") as name:
        yield Path(name)


def check_loads_or_explains(folder: Path, text: str) -> None:
    """load_config on `text`: a config, or a ConfigError whose problems each point at FILE:LINE:COL."""
    path = folder / "okrsync.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass" if _has_surrogates(text) else "strict")
    try:
        load_config(path, DESIGN_ENV)
    except ConfigError as error:
        assert error.problems, "a ConfigError without problems"
        for problem in error.problems:
            line = str(problem)
            assert re.match(rf"{re.escape(str(path))}:\d+:\d+: .*\S", line), line
            assert "\n" not in line.strip() or "invalid YAML" in line, line  # one problem, one line (YAML's own messages aside)


def _has_surrogates(text: str) -> bool:
    return any(0xD800 <= ord(ch) <= 0xDFFF for ch in text)


# --- the configuration loader ------------------------------------------------------------------------

YAML_BITS = [
    "version: 1", "cycle:", "sources:", "objectives:", "key_results:", "- id: O1", "  title: x", "metric:", "publish:",
    "{", "}", "[", "]", ":", "- ", "  ", "\t", "'", '"', "&a", "*a", "<<: *a", "!!python/object:os.system", "!!binary",
    "? ", "? {a: 1}: x", "&a [*a]", "|", ">", "---", "...", "%YAML 1.1", "#", "~", "null", ".nan", ".inf", "-.inf", "1e400", "0x1F", "0o17",
    "2026-13-45", "2026-10-01", "${X}", "${", "{cycle.start}", "\u202e", "\ufeff", "\x00", "é", "🚀", "\r\n", "\n",
]
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=20),
    st.sampled_from(["${TOKEN}", "NaN", ".inf", "1e400", "-", "", "2026-02-30", "O1", "jira", "gh", "count", "Survey!B2"]),
)
KEYS = st.one_of(st.text(max_size=12), st.sampled_from([
    "version", "store", "cycle", "scoring", "sources", "objectives", "key_results", "id", "title", "start", "end",
    "target", "direction", "metric", "publish", "type", "url", "token", "count", "sum", "jql", "ratio", "formula",
    "vars", "manual", "to", "issue", "range", "cell", "timeout", "limits", "name", "numerator", "denominator",
]))
TREES = st.recursive(SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(KEYS, inner, max_size=5)), max_leaves=25)


def _dump(tree: Any) -> str:
    import io

    from ruamel.yaml import YAML

    stream = io.StringIO()
    YAML(typ="safe", pure=True).dump(tree, stream)
    return stream.getvalue()


@FUZZ
@given(st.text(max_size=300) | st.lists(st.sampled_from(YAML_BITS), max_size=30).map(" ".join))
def test_loader_on_any_text(folder: Path, text: str) -> None:
    check_loads_or_explains(folder, text)


@FUZZ
@given(TREES)
def test_loader_on_any_yaml_document(folder: Path, tree: Any) -> None:
    check_loads_or_explains(folder, _dump(tree))


@st.composite
def mutated(draw: st.DrawFn) -> str:
    """A valid configuration with a few lines deleted, duplicated, re-indented, cut or overwritten."""
    lines = draw(st.sampled_from(VALID)).splitlines()
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(lines) - 1))
        action = draw(st.sampled_from(["delete", "duplicate", "indent", "dedent", "cut", "insert", "value"]))
        line = lines[at]
        if action == "delete":
            del lines[at]
        elif action == "duplicate":
            lines.insert(at, line)
        elif action == "indent":
            lines[at] = " " * draw(st.integers(1, 4)) + line
        elif action == "dedent":
            lines[at] = line.lstrip()
        elif action == "cut":
            lines[at] = line[: draw(st.integers(0, max(len(line) - 1, 0)))]
        elif action == "insert":
            lines[at] = line[: (cut := draw(st.integers(0, len(line))))] + draw(st.sampled_from(YAML_BITS)) + line[cut:]
        else:  # replace the value after the first ': '
            key, sep, _ = line.partition(": ")
            value = draw(st.sampled_from(YAML_BITS[20:]) | st.text(max_size=10) | st.floats().map(repr))
            lines[at] = f"{key}{sep or ': '}{value}"
        if not lines:
            break
    return "\n".join(lines) + "\n"


@FUZZ
@given(mutated())
def test_loader_on_mutated_valid_configs(folder: Path, text: str) -> None:
    check_loads_or_explains(folder, text)


def test_the_valid_configs_are_valid(folder: Path) -> None:
    for text in VALID:
        path = folder / "okrsync.yaml"
        path.write_text(text, encoding="utf-8")
        load_config(path, {**DESIGN_ENV, "T": "t", "G": "g", "C": "c", "JIRA_API_TOKEN": "t", "SHEETS_CREDENTIALS": "c"})


# --- the Sheets cell parser --------------------------------------------------------------------------

NUMBERISH = st.text(alphabet="0123456789.,-+eE%$€£()kKMBbn \u00a0\u2212'_", max_size=16)
CELLS = st.one_of(
    NUMBERISH, st.text(max_size=20), st.integers(), st.integers(min_value=10**300, max_value=10**400),
    st.floats(allow_nan=True, allow_infinity=True), st.booleans(), st.none(), st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2), st.decimals(allow_nan=True),
    st.sampled_from(["NaN", "nan", "Infinity", "-Infinity", "inf", "1e400", "-1e400", "1e-400", "1" * 400, "9" * 309,
                     "1,000,000,000,000,000e300", "$1e308k", "(1e308)B", "0x10", "1_000", "١٢٣", "１２３", "1.5.5", "E5", "-e1%"]),
)


@FUZZ
@given(CELLS)
def test_cell_parser_gives_a_finite_number_or_bad_cell_value(cell: object) -> None:
    try:
        value = parse_number(cell)
    except BadCellValue as error:
        assert str(error)
        return
    assert isinstance(value, float) and math.isfinite(value), (cell, value)


@pytest.mark.parametrize("cell", ["1e400", "-1e400", "NaN", "Infinity", "inf", float("nan"), float("inf"), 10**400, "1" * 400, "E5", "$e3k"])
def test_cell_parser_refuses_what_is_not_a_finite_number(cell: object) -> None:
    with pytest.raises(BadCellValue):
        parse_number(cell)
