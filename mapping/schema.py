"""The okrsync.yaml schema: pydantic models for structure and types.

Cross-references (sources named by metrics, KR ids named by formulas, duplicate ids, secrets that
must be set) are checked afterwards by :mod:`mapping.checks`, which can point at every offending
line at once.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Literal, Union
from zoneinfo import available_timezones

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    PlainValidator,
    Tag,
    WithJsonSchema,
    field_validator,
)

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$"
REPO_PATTERN = r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$"
URL_PATTERN = r"^https?://"
ENV_REF_PATTERN = r"^\$\{[A-Za-z_][A-Za-z0-9_]*\}$"
ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")

Identifier = Annotated[str, Field(pattern=ID_PATTERN, max_length=64)]
Text = Annotated[str, Field(min_length=1, max_length=500)]


class Strict(BaseModel):
    """Base of every model: unknown keys are errors, so typos never pass silently."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


# --- secrets -------------------------------------------------------------------------------------


class SecretBlock(Strict):
    """A Prefect Secret block holding the value: `{secret: jira-token}`."""

    secret: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]*$")]


def _secret_reference(value: Any) -> str | SecretBlock:
    if isinstance(value, SecretBlock):
        return value
    if isinstance(value, dict):
        return SecretBlock.model_validate(value)
    if isinstance(value, str) and ENV_REF.fullmatch(value):
        return value
    raise ValueError(
        "must be a reference such as '${MY_TOKEN}' or {secret: <prefect-secret-block>}; "
        "a literal secret is refused because this file lives in git"
    )


SecretRef = Annotated[
    Union[str, SecretBlock],
    PlainValidator(_secret_reference),
    WithJsonSchema(
        {
            "description": "A secret, by reference only: '${ENV_VAR}' or {secret: <Prefect Secret block>}.",
            "anyOf": [
                {"type": "string", "pattern": ENV_REF_PATTERN},
                {
                    "type": "object",
                    "properties": {"secret": {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]*$"}},
                    "required": ["secret"],
                    "additionalProperties": False,
                },
            ],
        }
    ),
]


# --- cycle and scoring ---------------------------------------------------------------------------


class Cycle(Strict):
    """The OKR period; dates are inclusive calendar days in `timezone`."""

    name: Identifier
    start: dt.date
    end: dt.date
    timezone: str = "UTC"

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        if value not in available_timezones():
            raise ValueError(f"unknown time zone {value!r}; use an IANA name such as 'Europe/Berlin'")
        return value


class Scoring(Strict):
    """Status thresholds, as shares of the expected pace."""

    on_track: Annotated[float, Field(gt=0, le=1)] = 0.95
    at_risk: Annotated[float, Field(ge=0, le=1)] = 0.75
    aspirational_target: Annotated[float, Field(gt=0, le=1)] = 0.7
    milestone_at_risk_after: Annotated[float, Field(ge=0, le=1)] = 0.75
    stale_after_hours: Annotated[float, Field(gt=0)] = Field(
        default=2.0, description="A synced value older than this is stale (default: twice the hourly schedule)."
    )


# --- sources -------------------------------------------------------------------------------------


class SourceLimits(Strict):
    """How hard okrsync may press a source; unset values keep the vendor's documented defaults."""

    concurrency: Annotated[int, Field(ge=1, le=32)] | None = None
    per_second: Annotated[float, Field(gt=0, le=100)] | None = None


Timeout = Annotated[float, Field(gt=0, le=600, description="Seconds to wait for each HTTP answer (GitHub: whole seconds, rounded up).")]


class JiraSource(Strict):
    type: Literal["jira"]
    url: Annotated[str, Field(pattern=URL_PATTERN)]
    email: str | None = Field(
        default=None, description="Jira Cloud account email; omit for a Data Center personal access token."
    )
    token: SecretRef
    limits: SourceLimits | None = None
    timeout: Timeout = 30.0


class GitHubSource(Strict):
    type: Literal["github"]
    url: Annotated[str, Field(pattern=URL_PATTERN)] = "https://api.github.com"
    token: SecretRef
    limits: SourceLimits | None = None
    timeout: Timeout = 30.0


class SheetsSource(Strict):
    type: Literal["google_sheets"]
    spreadsheet: Annotated[str, Field(min_length=1)]
    credentials: SecretRef = Field(description="Path of a service-account JSON file, as a reference.")
    url: Annotated[str, Field(pattern=URL_PATTERN)] = "https://sheets.googleapis.com"
    limits: SourceLimits | None = None
    timeout: Timeout = 30.0


Source = Annotated[Union[JiraSource, GitHubSource, SheetsSource], Field(discriminator="type")]
SOURCE_KINDS = {"jira": "Jira", "github": "GitHub", "google_sheets": "Google Sheets"}


# --- metrics -------------------------------------------------------------------------------------


class CountMetric(Strict):
    """Number of Jira issues matching a JQL query, or GitHub search's `total_count`."""

    source: Identifier
    count: Text
    approximate: bool = Field(
        default=False, description="Jira Cloud only: use the approximate-count endpoint (labelled as such)."
    )


class FieldSumMetric(Strict):
    source: Identifier
    sum: Text = Field(description="A numeric Jira field, by display name ('Story Points') or id.")
    jql: Text


class FieldAvgMetric(Strict):
    source: Identifier
    avg: Text = Field(description="A numeric Jira field, by display name ('Story Points') or id.")
    jql: Text


class MilestoneMetric(Strict):
    source: Identifier
    repo: Annotated[str, Field(pattern=REPO_PATTERN)]
    milestone: Text


class CellMetric(Strict):
    source: Identifier
    cell: Text


class RangeMetric(Strict):
    source: Identifier
    range: Text
    agg: Literal["sum", "avg", "min", "max", "last", "count"] = "sum"


# The key that names a metric's kind; union tags get a "-metric" suffix so that they never read as keys.
SOURCE_METRIC_KEYS = ("count", "sum", "avg", "milestone", "cell", "range")
COMPOSITE_METRIC_KEYS = ("ratio", "formula", "manual")
# Which source types serve which metric kind.
METRIC_SOURCE_TYPES: dict[str, tuple[str, ...]] = {
    "count": ("jira", "github"),
    "sum": ("jira",),
    "avg": ("jira",),
    "milestone": ("github",),
    "cell": ("google_sheets",),
    "range": ("google_sheets",),
}


def metric_kind(value: Any, keys: tuple[str, ...] = COMPOSITE_METRIC_KEYS + SOURCE_METRIC_KEYS) -> str | None:
    """The metric kind of a metric model or raw mapping: the first kind key it has."""
    if isinstance(value, BaseModel):
        value = value.model_dump()
    if not isinstance(value, dict):
        return None
    return next((key for key in keys if key in value), None)


def _source_metric_tag(value: Any) -> str | None:
    kind = metric_kind(value, SOURCE_METRIC_KEYS)
    return kind and f"{kind}-metric"


def _any_metric_tag(value: Any) -> str | None:
    kind = metric_kind(value)
    return kind and f"{kind}-metric"


def _formula_var_tag(value: Any) -> str:
    return "kr-id" if isinstance(value, str) else "own-metric"


def _tagged(*models: tuple[type[BaseModel], str]) -> tuple[Any, ...]:
    return tuple(Annotated[model, Tag(f"{kind}-metric")] for model, kind in models)


_SOURCE_METRICS = _tagged(
    (CountMetric, "count"), (FieldSumMetric, "sum"), (FieldAvgMetric, "avg"),
    (MilestoneMetric, "milestone"), (CellMetric, "cell"), (RangeMetric, "range"),
)

SourceMetric = Annotated[
    Union[_SOURCE_METRICS],  # noqa: UP007 - a Union built from a tuple
    Discriminator(
        _source_metric_tag,
        custom_error_type="metric_kind",
        custom_error_message="a source metric needs one of the keys count, sum, avg, milestone, cell, range",
    ),
]


class RatioParts(Strict):
    numerator: SourceMetric
    denominator: SourceMetric


class RatioMetric(Strict):
    ratio: RatioParts


FormulaVar = Annotated[
    Union[Annotated[Identifier, Tag("kr-id")], Annotated[SourceMetric, Tag("own-metric")]],
    Discriminator(_formula_var_tag),
]


class FormulaMetric(Strict):
    formula: Text = Field(description="Arithmetic over vars: + - * / ** %, parentheses, min, max, abs, round.")
    vars: dict[Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")], FormulaVar] = Field(
        default_factory=dict, description="Each name is another KR's id or a metric of its own."
    )


class ManualMetric(Strict):
    manual: Literal[True]


Metric = Annotated[
    Union[_SOURCE_METRICS + _tagged((RatioMetric, "ratio"), (FormulaMetric, "formula"), (ManualMetric, "manual"))],  # noqa: UP007
    Discriminator(
        _any_metric_tag,
        custom_error_type="metric_kind",
        custom_error_message="a metric needs one of the keys count, sum, avg, milestone, cell, range, "
        "ratio, formula, manual",
    ),
]
METRIC_KINDS = set(SOURCE_METRIC_KEYS + COMPOSITE_METRIC_KEYS)
UNION_TAGS = {f"{kind}-metric" for kind in METRIC_KINDS} | {"kr-id", "own-metric"}


# --- publishing ----------------------------------------------------------------------------------


class PublishTarget(Strict):
    """Where a KR's progress is written: a Jira issue, a GitHub issue or a Sheets range."""

    to: Identifier
    issue: str | None = Field(default=None, description="Jira issue key (ONB-1) or GitHub 'owner/repo#N'.")
    field: str | None = Field(default=None, description="Jira only: a numeric field set to the value.")
    range: str | None = Field(default=None, description="Sheets only: value, progress, status, updated-at.")


# --- objectives ----------------------------------------------------------------------------------

Direction = Literal["increase", "decrease", "stay_above", "stay_below", "milestone"]


class KeyResult(Strict):
    id: Identifier
    title: Text
    start: float = 0.0
    target: float
    direction: Direction = "increase"
    unit: str | None = Field(default=None, max_length=20, description="Shown after values, e.g. '%' or 'bugs'.")
    weight: Annotated[float, Field(gt=0)] = 1.0
    metric: Metric | None = None
    publish: list[PublishTarget] = Field(default_factory=list)


class Objective(Strict):
    id: Identifier
    title: Text
    owner: str | None = None
    parent: str | None = Field(default=None, description="The objective this one aligns to (may live outside okrsync).")
    kind: Literal["committed", "aspirational"] = "committed"
    weight: Annotated[float, Field(gt=0)] = 1.0
    key_results: list[KeyResult] = Field(default_factory=list)


# --- the file ------------------------------------------------------------------------------------


class ConfigFile(Strict):
    """One YAML file. A directory of files merges into one :class:`Config`."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        allow_inf_nan=False,
        title="okrsync configuration",
        json_schema_extra={"$id": "https://okrsync.dev/schema/okrsync.schema.json"},
    )

    version: Literal[1] = 1
    store: str | None = Field(default=None, description="SQLAlchemy URL; OKRSYNC_STORE and --store win.")
    cycle: Cycle | None = None
    scoring: Scoring | None = None
    sources: dict[Identifier, Source] = Field(default_factory=dict)
    objectives: list[Objective] = Field(default_factory=list)


class Config(Strict):
    """The whole validated configuration, from one file or a directory of them."""

    store: str | None
    cycle: Cycle
    scoring: Scoring
    sources: dict[str, JiraSource | GitHubSource | SheetsSource]
    objectives: list[Objective]

    def key_results(self) -> list[tuple[Objective, KeyResult]]:
        """Every (objective, KR) pair in file order."""
        return [(objective, kr) for objective in self.objectives for kr in objective.key_results]
