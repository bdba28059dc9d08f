"""Loading okrsync.yaml: valid examples, directories of files, environment checks, the JSON Schema."""

from __future__ import annotations

import json
import re
from importlib.resources import files
from pathlib import Path

import jsonschema
import pytest
from ruamel.yaml import YAML

from mapping import schema
from mapping.loader import load_config
from mapping.problems import ConfigError
from tests.conftest import CONFIGS

DESIGN = Path(__file__).resolve().parents[2] / "shared" / "DESIGN.md"
DESIGN_EXAMPLE = CONFIGS / "valid" / "design_example.yaml"
STARTER = Path(str(files("okrsync").joinpath("templates/okrsync.yaml")))


def _messages(error: ConfigError) -> list[str]:
    return [str(problem) for problem in error.problems]


def test_design_example_is_the_one_in_design_md() -> None:
    if not DESIGN.exists():
        pytest.skip("../shared/DESIGN.md is not beside this checkout")
    block = re.search(r"## The configuration file.*?```yaml\n(.*?)```", DESIGN.read_text(), re.S)
    assert block and block.group(1) == DESIGN_EXAMPLE.read_text()


def test_design_example_validates(design_env: dict[str, str]) -> None:
    loaded = load_config(DESIGN_EXAMPLE, design_env)
    assert [kr.id for _, kr in loaded.config.key_results()] == ["O1-KR1", "O1-KR2", "O1-KR3"]
    assert loaded.config.cycle.name == "2026-Q4"
    # Advice only: one objective for 'growth', and a parent that lives outside okrsync.
    assert all(p.severity == "warning" for p in loaded.warnings)
    assert any("COMPANY-1" in str(p) for p in loaded.warnings)


def test_every_metric_kind_of_design_md_table_validates(design_env: dict[str, str]) -> None:
    """The starter file holds every metric kind and publish target of DESIGN.md once."""
    loaded = load_config(STARTER, design_env)
    assert loaded.warnings == []
    metrics = [kr.metric for _, kr in loaded.config.key_results()]
    kinds = {schema.metric_kind(m) for m in metrics}
    assert kinds == schema.METRIC_KINDS
    publish = {target.to for _, kr in loaded.config.key_results() for target in kr.publish}
    assert publish == {"jira", "gh", "sheet"}


def test_unset_environment_variable_is_an_error_only_when_needed(tmp_path: Path) -> None:
    path = tmp_path / "okrsync.yaml"
    path.write_text(
        "cycle: {name: Q4, start: 2026-10-01, end: 2026-12-31}\n"
        "sources:\n"
        "  gh: {type: github, token: '${GH_TOKEN}'}\n"
        "  spare: {type: github, token: '${SPARE_TOKEN}'}\n"
        "objectives:\n"
        "  - id: O1\n"
        "    title: T\n"
        "    key_results:\n"
        "      - {id: K1, title: x, target: 3, metric: {source: gh, count: 'repo:a/b is:pr'}}\n"
    )
    with pytest.raises(ConfigError) as caught:
        load_config(path, {})
    errors = [str(p) for p in caught.value.errors]
    assert errors == [f"{path}:3:22: sources.gh.token: environment variable GH_TOKEN is not set"]
    loaded = load_config(path, {"GH_TOKEN": "x"})  # the unused source's variable is only a warning
    assert any("SPARE_TOKEN is not set (source unused)" in str(p) for p in loaded.warnings)
    assert load_config(path).config.sources["gh"].token == "${GH_TOKEN}"  # no environment: not checked


def test_directory_of_files_merges_and_errors_name_their_file(tmp_path: Path) -> None:
    folder = tmp_path / "okrs"
    folder.mkdir()
    (folder / "shared.yaml").write_text(
        "store: sqlite:///okrs.db\ncycle: {name: Q4, start: 2026-10-01, end: 2026-12-31}\n"
        "sources:\n  gh: {type: github, token: '${GH}'}\n"
    )
    (folder / "growth.yaml").write_text(
        "objectives:\n  - id: G1\n    title: Grow\n    owner: growth\n"
        "    key_results:\n      - {id: G1-KR1, title: x, target: 3, metric: {manual: true}}\n"
    )
    (folder / "platform.yaml").write_text(
        "objectives:\n  - id: P1\n    title: Build\n    owner: platform\n"
        "    key_results:\n      - {id: P1-KR1, title: y, target: 3, metric: {source: gh, count: 'is:pr'}}\n"
    )
    loaded = load_config(folder, {"GH": "x"})
    assert [o.id for o in loaded.config.objectives] == ["G1", "P1"]
    assert loaded.file_of(("objectives", 1)) == folder / "platform.yaml"
    assert loaded.file_of(("store",)) == folder / "shared.yaml"

    (folder / "platform.yaml").write_text(
        "objectives:\n  - id: P1\n    title: Build\n    owner: platform\n"
        "    key_results:\n      - {id: G1-KR1, title: y, target: 3, metric: {source: nope, count: 'is:pr'}}\n"
    )
    with pytest.raises(ConfigError) as caught:
        load_config(folder, {"GH": "x"})
    messages = _messages(caught.value)
    assert f"{folder / 'platform.yaml'}:6:10: objectives[1].key_results[0].id: duplicate id 'G1-KR1' " \
           f"(first defined at {folder / 'growth.yaml'}:6:10)" in messages
    assert any(m.startswith(f"{folder / 'platform.yaml'}:6:") and "unknown source 'nope'" in m for m in messages)


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    path = tmp_path / "okrsync.yaml"
    path.write_text(
        "cycle: {name: Q4, start: 2026-10-01, end: 2026-12-31}\n"
        "objectives:\n"
        "  - id: O1\n"
        "    title: T\n"
        "    key_results:\n"
        "      - {id: K1, title: x, taget: 3}\n"
        "      - {id: K2, title: y, target: lots}\n"
        "  - {id: O2, titel: U}\n"
    )
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert _messages(caught.value) == [
        f"{path}:6:9: objectives[0].key_results[0].target: required field is missing",
        f"{path}:6:28: objectives[0].key_results[0].taget: unknown key 'taget' (did you mean 'target'?)",
        f"{path}:7:28: objectives[0].key_results[1].target: input should be a valid number, unable to parse string as a number",
        f"{path}:8:5: objectives[1].title: required field is missing",
        f"{path}:8:14: objectives[1].titel: unknown key 'titel' (did you mean 'title'?)",
    ]


def test_secret_values_never_appear_in_messages(tmp_path: Path) -> None:
    path = tmp_path / "okrsync.yaml"
    path.write_text(
        "cycle: {name: Q4, start: 2026-10-01, end: 2026-12-31}\n"
        "sources:\n  gh: {type: github, token: ghp_SuperSecret123}\n"
    )
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert "ghp_SuperSecret123" not in str(caught.value)
    assert "literal secret is refused" in str(caught.value)


def test_json_schema_accepts_the_examples_and_rejects_a_literal_token(design_env: dict[str, str]) -> None:
    document = schema.ConfigFile.model_json_schema()
    json.dumps(document)
    yaml = YAML(typ="safe")
    for path in (DESIGN_EXAMPLE, STARTER):
        data = json.loads(json.dumps(yaml.load(path.read_text()), default=str))
        jsonschema.validate(data, document)
    bad = json.loads(json.dumps(yaml.load(DESIGN_EXAMPLE.read_text()), default=str))
    bad["sources"]["gh"]["token"] = "ghp_literal"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, document)
