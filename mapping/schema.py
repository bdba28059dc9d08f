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
ENV_REF_PATTERN = r"^\$\{[A-Za-z_][A-Za-z0-9_]*\}$"
ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")

Identifier = Annotated[str, Field(pattern=ID_PATTERN, max_length=64)]
Text = Annotated[str, Field(min_length=1, max_length=500)]


class Strict(BaseModel):
    """Base of every model: unknown keys are errors, so typos never pass silently."""

    model_config = ConfigDict(extra="forbid", frozen=True)


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
        "must be a reference such as '${JIRA_API_TOKEN}' or {secret: <prefect-secret-block>}; "
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


# --- sources -------------------------------------------------------------------------------------


class JiraSource(Strict):
    type: Literal["jira"]
    url: Annotated[str, Field(pattern=r"^https?://")]
    email: str | None = Field(
        default=None, description="Jira Cloud account email; omit for a Data Center personal access token."
    )
    token: SecretRef


class GitHubSource(Strict):
    type: Literal["github"]
    url: Annotated[str, Field(pattern=r"^https?://")] = "https://api.github.com"
    token: SecretRef


class SheetsSource(Strict):
    type: Literal["google_sheets"]
    spreadsheet: Annotated[str, Field(min_length=1)]
    credentials: SecretRef = Field(description="Path of a service-account JSON file, as a reference.")
    url: Annotated[str, Field(pattern=r"^https?://")] = "https://sheets.googleapis.com"


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
    repo: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")]
    milestone: Text


class CellMetric(Strict):
    source: Identifier
    cell: Text


class RangeMetric(Strict):
    source: Identifier
    range: Text
    agg: Literal["sum", "avg", "min", "max", "last", "count"] = "sum"


SOURCE_METRIC_KEYS: dict[str, str] = {
    "count": "count",
    "sum": "sum",
    "avg": "avg",
    "milestone": "milestone",
    "cell": "cell",
    "range": "range",
}
COMPOSITE_METRIC_KEYS = {"ratio": "ratio", "formula": "formula", "manual": "manual"}
# Which source types serve which metric kind.
METRIC_SOURCE_TYPES: dict[str, tuple[str, ...]] = {
    "count": ("jira", "github"),
    "sum": ("jira",),
    "avg": ("jira",),
    "milestone": ("github",),
    "cell": ("google_sheets",),
    "range": ("google_sheets",),
}


def metric_tag(value: Any, keys: dict[str, str]) -> str | None:
    """The metric kind of a raw mapping, read from which kind key it has."""
    if isinstance(value, BaseModel):
        value = value.model_dump()
    if not isinstance(value, dict):
        return None
    for key, tag in keys.items():
        if key in value:
            return tag
    return None


def _source_metric_tag(value: Any) -> str | None:
    return metric_tag(value, SOURCE_METRIC_KEYS)


def _any_metric_tag(value: Any) -> str | None:
    return metric_tag(value, {**COMPOSITE_METRIC_KEYS, **SOURCE_METRIC_KEYS})


SourceMetric = Annotated[
    Union[
        Annotated[CountMetric, Tag("count")],
        Annotated[FieldSumMetric, Tag("sum")],
        Annotated[FieldAvgMetric, Tag("avg")],
        Annotated[MilestoneMetric, Tag("milestone")],
        Annotated[CellMetric, Tag("cell")],
        Annotated[RangeMetric, Tag("range")],
    ],
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


class FormulaMetric(Strict):
    formula: Text = Field(description="Arithmetic over vars: + - * / ** %, parentheses, min, max, abs, round.")
    vars: dict[Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")], Union[Identifier, SourceMetric]] = Field(
        default_factory=dict, description="Each name is another KR's id or a metric of its own."
    )


class ManualMetric(Strict):
    manual: Literal[True]


Metric = Annotated[
    Union[
        Annotated[CountMetric, Tag("count")],
        Annotated[FieldSumMetric, Tag("sum")],
        Annotated[FieldAvgMetric, Tag("avg")],
        Annotated[MilestoneMetric, Tag("milestone")],
        Annotated[CellMetric, Tag("cell")],
        Annotated[RangeMetric, Tag("range")],
        Annotated[RatioMetric, Tag("ratio")],
        Annotated[FormulaMetric, Tag("formula")],
        Annotated[ManualMetric, Tag("manual")],
    ],
    Discriminator(
        _any_metric_tag,
        custom_error_type="metric_kind",
        custom_error_message="a metric needs one of the keys count, sum, avg, milestone, cell, range, "
        "ratio, formula, manual",
    ),
]
METRIC_TAGS = set(SOURCE_METRIC_KEYS.values()) | set(COMPOSITE_METRIC_KEYS.values())


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
