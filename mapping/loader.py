"""Load okrsync.yaml (or a directory of YAML files) into a validated :class:`Config`.

Every problem is reported at once, each as `FILE:LINE:COL: field.path: message`. Structure and
types are checked per file by pydantic; the files are then merged and cross-checked
(:mod:`mapping.checks`) and OKR-practice advice is added as warnings (:mod:`mapping.advice`).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.constructor import RoundTripConstructor
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.reader import ReaderError

from mapping import advice, checks, schema
from mapping.problems import ConfigError, Finding, Loc, Location, Problem, field_path

DEFAULT_FILE = "okrsync.yaml"
DEFAULT_DIR = "okrs"
YAML_SUFFIXES = (".yaml", ".yml")
# Union tags that pydantic inserts into error locations; they are not keys of the file.
_TAGS = schema.UNION_TAGS | set(schema.SOURCE_KINDS) | {"[key]"}
_SHARED_KEYS = ("store", "cycle", "scoring")  # at most one file may set each
# Where each key of the file belongs, to say so when one is put in the wrong place.
_PLACES = {
    "Cycle": "cycle", "Scoring": "scoring", "SourceLimits": "a source's limits", "JiraSource": "a jira source", "GitHubSource": "a github source",
    "SheetsSource": "a google_sheets source", "Objective": "an objective", "KeyResult": "a key result",
    "PublishTarget": "a publish target", "ConfigFile": "the top level", "RatioParts": "ratio",
    "CountMetric": "a count metric", "FieldSumMetric": "a sum metric", "FieldAvgMetric": "an avg metric",
    "MilestoneMetric": "a milestone metric", "CellMetric": "a cell metric", "RangeMetric": "a range metric",
    "RatioMetric": "a metric", "FormulaMetric": "a formula metric", "ManualMetric": "a metric",
}
# What a pattern means, for people who do not read regular expressions.
_PATTERNS = {
    schema.ID_PATTERN: "use letters, digits, '_', '.' and '-', starting with a letter or digit",
    schema.REPO_PATTERN: "write it as owner/name",
    schema.URL_PATTERN: "it must start with https:// (or http://)",
}
_KEY_PLACES: dict[str, list[str]] = {}
for _model_name, _place in _PLACES.items():
    for _key in getattr(schema, _model_name).model_fields:
        _KEY_PLACES.setdefault(_key, []).append(_place)


class _DatesAsText(RoundTripConstructor):
    """Leave dates as text for pydantic to parse, so a bad date is reported at its field."""


_DatesAsText.add_constructor("tag:yaml.org,2002:timestamp", _DatesAsText.construct_yaml_str)


@dataclass
class Document:
    """One parsed YAML file, kept with its line/column marks."""

    path: Path
    data: Any

    def locate(self, loc: Loc) -> tuple[Location, Loc]:
        """The position of the deepest node of `loc` present in the file, and the loc as shown."""
        node, line, column, shown = self.data, 0, 0, []
        for part in loc:
            if isinstance(node, CommentedMap) and part in node:
                line, column = node.lc.key(part)
                node = node[part]
                shown.append(part)
            elif isinstance(node, CommentedSeq) and isinstance(part, int) and 0 <= part < len(node):
                line, column = node.lc.item(part)
                node = node[part]
                shown.append(part)
            elif part in _TAGS:
                continue
            else:
                shown.append(part)
                node = None
        return Location(self.path, line + 1, column + 1), tuple(shown)


@dataclass
class LoadedConfig:
    """A valid configuration, with its warnings and a way back to file positions."""

    config: schema.Config
    files: list[Path]
    warnings: list[Problem]
    origins: _Origins = field(repr=False)

    def locate(self, loc: Loc) -> Location:
        return self.origins.place(loc).location

    def file_of(self, loc: Loc) -> Path:
        """The file that defines this part of the configuration."""
        return self.origins.document_for(loc)[0].path


@dataclass
class _Origins:
    """Which file each part of the merged configuration came from."""

    first: Document
    shared: dict[str, Document] = field(default_factory=dict)
    sources: dict[str, Document] = field(default_factory=dict)
    objectives: list[tuple[Document, int]] = field(default_factory=list)

    def document_for(self, loc: Loc) -> tuple[Document, Loc]:
        head = loc[0] if loc else None
        if head == "objectives" and len(loc) > 1 and isinstance(loc[1], int) and loc[1] < len(self.objectives):
            document, index = self.objectives[loc[1]]
            return document, ("objectives", index, *loc[2:])
        if head == "sources" and len(loc) > 1 and loc[1] in self.sources:
            return self.sources[str(loc[1])], loc
        if isinstance(head, str) and head in self.shared:
            return self.shared[head], loc
        return self.first, loc

    def place(self, loc: Loc, message: str = "", severity: str = "error") -> Problem:
        document, local = self.document_for(loc)
        location, shown = document.locate(local)
        return Problem(location, field_path(_merged_loc(loc, shown)), message, severity)  # type: ignore[arg-type]


def _merged_loc(loc: Loc, shown: Loc) -> Loc:
    """Show objective indexes as counted across all files, not within one file."""
    if len(loc) > 1 and loc[0] == "objectives" and len(shown) > 1:
        return ("objectives", loc[1], *shown[2:])
    return shown


def config_files(path: Path) -> list[Path]:
    """The YAML files of a configuration: the file itself, or every YAML file under a directory."""
    if path.is_dir():
        return sorted(p for p in path.rglob("*") if p.suffix in YAML_SUFFIXES and p.is_file())
    return [path]


def resolve_config_path(path: Path | None) -> Path:
    """`-c` default: ./okrsync.yaml, else ./okrs/ (as dbt finds its project file)."""
    if path is not None:
        return path
    if Path(DEFAULT_FILE).exists() or not Path(DEFAULT_DIR).is_dir():
        return Path(DEFAULT_FILE)
    return Path(DEFAULT_DIR)


def load_config(path: Path, environ: Mapping[str, str] | None = None) -> LoadedConfig:
    """Load and check a configuration file or directory.

    With `environ`, every `${VAR}` that a used source needs must be set there. Raises
    :class:`ConfigError` listing every error (and warning) when anything is wrong.
    """
    problems: list[Problem] = []
    files = config_files(path)
    if not path.exists():
        raise ConfigError([Problem(Location(path, 1, 1), "", "no such file or directory")])
    if not files:
        raise ConfigError([Problem(Location(path, 1, 1), "", "no .yaml or .yml file in this directory")])

    parsed: list[tuple[Document, schema.ConfigFile]] = []
    for file in files:
        document, problem = _parse(file)
        if problem:
            problems.append(problem)
            continue
        try:
            parsed.append((document, schema.ConfigFile.model_validate(document.data)))
        except ValidationError as error:
            problems.extend(_pydantic_problems(document, error))
    if problems:
        raise ConfigError(problems)

    config, origins, merge_problems = _merge(parsed)
    problems.extend(merge_problems)
    if config is None:
        raise ConfigError(problems)
    findings = [*checks.check_config(config, environ), *advice.advise(config)]
    problems.extend(_place(origins, findings))
    if any(p.severity == "error" for p in problems):
        raise ConfigError(problems)
    return LoadedConfig(config, files, [p for p in problems if p.severity == "warning"], origins)


def _parse(file: Path) -> tuple[Document, Problem | None]:
    document = Document(file, None)
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        return document, Problem(Location(file, 1, 1), "", f"cannot read the file: {error}")
    yaml = YAML(typ="rt")
    yaml.Constructor = _DatesAsText
    try:
        document.data = yaml.load(text)
    except MarkedYAMLError as error:
        return document, _yaml_problem(file, error)
    except ReaderError as error:  # a character YAML does not allow, such as a control character
        line, column = _line_column(text, int(error.position or 0))
        character = f" U+{error.character:04X}" if isinstance(error.character, int) else ""
        return document, Problem(Location(file, line, column), "", f"invalid YAML: a character YAML does not allow{character}; remove it")
    except (YAMLError, TypeError, ValueError, RecursionError) as error:  # unmarked errors, or the parser's own
        # failures on odd input (a mapping as a key: `? {a: 1}: x`; nesting thousands deep): at the file's start
        detail = " ".join(str(error).split())[:200] or type(error).__name__
        return document, Problem(Location(file, 1, 1), "", f"invalid YAML: {detail}")
    if document.data is None:
        return document, Problem(Location(file, 1, 1), "", "the file is empty")
    if not isinstance(document.data, CommentedMap):
        return document, Problem(Location(file, 1, 1), "", "the file must be a mapping of keys (version, cycle, ...)")
    return document, None


def _line_column(text: str, position: int) -> tuple[int, int]:
    """1-based line and column of a character offset."""
    before = text[:position]
    return before.count("\n") + 1, position - (before.rfind("\n") + 1) + 1


def _yaml_problem(file: Path, error: MarkedYAMLError) -> Problem:
    """Place a YAML error. An unclosed flow collection ({...} or [...]) is placed where it opened."""
    context, mark = error.context_mark, error.problem_mark or error.context_mark
    if context is not None and str(error.context or "").startswith("while parsing a flow"):
        mark = context
    line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    message = " ".join(str(part) for part in (error.context, error.problem) if part)
    return Problem(Location(file, line, column), "", f"invalid YAML: {message}")


def _pydantic_problems(document: Document, error: ValidationError) -> Iterable[Problem]:
    for item in error.errors(include_url=False):
        loc = tuple(item["loc"])
        if item["type"] in ("union_tag_invalid", "union_tag_not_found") and item["ctx"].get("discriminator") == "'type'":
            loc = (*loc, "type")  # point at the source's type, not at its name
        location, shown = document.locate(loc)
        yield Problem(location, field_path(shown), _message(item))


def _message(item: Mapping[str, Any]) -> str:
    kind, loc = item["type"], item["loc"]
    if kind == "extra_forbidden":
        return _unknown_key(str(loc[-1]))
    if kind == "missing":
        return "required field is missing"
    if kind == "union_tag_invalid" and item["ctx"].get("discriminator") == "'type'":
        return f"unknown source type {item['ctx']['tag']!r}; use one of {', '.join(schema.SOURCE_KINDS)}"
    if kind == "union_tag_not_found" and item["ctx"].get("discriminator") == "'type'":
        return f"required field is missing; use one of {', '.join(schema.SOURCE_KINDS)}"
    if kind == "string_pattern_mismatch":
        pattern = item["ctx"]["pattern"]
        return f"{item['input']!r} is not valid here: {_PATTERNS.get(pattern, 'it must match ' + pattern)}"
    message = str(item["msg"])
    message = message.removeprefix("Value error, ")
    return message[:1].lower() + message[1:]


def _unknown_key(key: str) -> str:
    if key in _KEY_PLACES:
        return f"unknown key {key!r} here; it belongs in {' or '.join(dict.fromkeys(_KEY_PLACES[key]))}"
    close = difflib.get_close_matches(key, list(_KEY_PLACES), n=1, cutoff=0.75)
    return f"unknown key {key!r}" + (f" (did you mean {close[0]!r}?)" if close else "")


def _merge(parsed: list[tuple[Document, schema.ConfigFile]]) -> tuple[schema.Config | None, _Origins, list[Problem]]:
    origins = _Origins(first=parsed[0][0])
    problems: list[Problem] = []
    values: dict[str, Any] = {}
    sources: dict[str, Any] = {}
    objectives: list[schema.Objective] = []
    for document, file in parsed:
        for key in _SHARED_KEYS:
            if key not in document.data:
                continue
            if key in origins.shared:
                earlier = origins.shared[key].locate((key,))[0]
                problems.append(_at(document, (key,), f"{key} is already defined at {earlier}"))
            else:
                origins.shared[key] = document
                values[key] = getattr(file, key)
        for name, source in file.sources.items():
            if name in sources:
                earlier = origins.sources[name].locate(("sources", name))[0]
                problems.append(_at(document, ("sources", name), f"source {name!r} is already defined at {earlier}"))
                continue
            origins.sources[name] = document
            sources[name] = source
        for index, objective in enumerate(file.objectives):
            origins.objectives.append((document, index))
            objectives.append(objective)
    if "cycle" in origins.shared and values["cycle"] is None:
        problems.append(_at(origins.shared["cycle"], ("cycle",), "the cycle is empty; give it name, start and end"))
    elif "cycle" not in origins.shared:
        where = "any of the files" if len(parsed) > 1 else "the file"
        problems.append(Problem(Location(parsed[0][0].path, 1, 1), "cycle", f"required: {where} must define cycle"))
    if problems:
        return None, origins, problems
    config = schema.Config(
        store=values.get("store"),
        cycle=values["cycle"],
        scoring=values.get("scoring") or schema.Scoring(),
        sources=sources,
        objectives=objectives,
    )
    return config, origins, problems


def _at(document: Document, loc: Loc, message: str) -> Problem:
    location, shown = document.locate(loc)
    return Problem(location, field_path(shown), message)


def _place(origins: _Origins, findings: Iterable[Finding]) -> list[Problem]:
    problems = []
    for finding in findings:
        message = finding.message
        if finding.related is not None:
            message += f" (first defined at {origins.place(finding.related).location})"
        problems.append(origins.place(finding.loc, message, finding.severity))
    return problems
