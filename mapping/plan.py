"""Plan a sync: the distinct source queries the KRs need, and how each KR's value follows from them.

Two KRs with the same query (after placeholders are rendered) share one fetch. A formula that names
other KRs is evaluated after them. Pure: fetching is the flows' business.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from graphlib import TopologicalSorter

from mapping import schema
from mapping.formula import FormulaError, evaluate_formula
from mapping.rules import ratio

# (source name, query text) -> the text as sent to that source (placeholders rendered)
Render = Callable[[str, str], str]


@dataclass(frozen=True)
class SourceQuery:
    """One fetch: what is asked of which source. Equal queries are fetched once."""

    source: str
    kind: str  # count | sum | avg | milestone | cell | range
    query: str  # JQL, a GitHub search, a milestone title, or an A1 range
    field: str | None = None  # sum / avg: the Jira field
    repo: str | None = None  # milestone: owner/name
    agg: str | None = None  # range: sum, avg, min, max, last, count
    approximate: bool = False

    def describe(self) -> str:
        extra = self.field or self.repo or self.agg
        return f"{self.source} {self.kind}{f' {extra}' if extra else ''}: {self.query}"


@dataclass
class SyncPlan:
    queries: list[SourceQuery] = field(default_factory=list)  # distinct, in first-use order
    krs: list[schema.KeyResult] = field(default_factory=list)  # in evaluation order (formula deps first)
    uses: dict[str, list[SourceQuery]] = field(default_factory=dict)  # KR id -> its queries


class EvaluationError(Exception):
    """A KR's value cannot be computed; `error_class` says why (as connectors' errors do)."""

    def __init__(self, message: str, error_class: str = "bad_value"):
        super().__init__(message)
        self.error_class = error_class


def plan_sync(config: schema.Config, render: Render, only: Iterable[str] | None = None) -> SyncPlan:
    """The queries and evaluation order for all KRs with a metric (or `only` these, plus what their
    formulas need). Manual KRs are left out: their values come from check-ins."""
    by_id = {kr.id: kr for _, kr in config.key_results() if kr.metric is not None and not isinstance(kr.metric, schema.ManualMetric)}
    wanted = _with_dependencies(by_id, set(only) if only else set(by_id))
    plan = SyncPlan()
    seen: dict[SourceQuery, None] = {}
    for kr in _dependency_order([by_id[k] for k in by_id if k in wanted]):
        queries = [source_query(config, metric, render) for metric in _source_metrics(kr.metric)]
        plan.krs.append(kr)
        plan.uses[kr.id] = queries
        seen.update(dict.fromkeys(queries))
    plan.queries = list(seen)
    return plan


def source_query(config: schema.Config, metric: object, render: Render) -> SourceQuery:
    """The fetch a source metric asks for, with its query rendered for its source."""
    source = metric.source  # type: ignore[attr-defined]
    if isinstance(metric, schema.CountMetric):
        return SourceQuery(source, "count", render(source, metric.count), approximate=metric.approximate)
    if isinstance(metric, schema.FieldSumMetric):
        return SourceQuery(source, "sum", render(source, metric.jql), field=metric.sum)
    if isinstance(metric, schema.FieldAvgMetric):
        return SourceQuery(source, "avg", render(source, metric.jql), field=metric.avg)
    if isinstance(metric, schema.MilestoneMetric):
        return SourceQuery(source, "milestone", metric.milestone, repo=metric.repo)
    if isinstance(metric, schema.CellMetric):
        return SourceQuery(source, "cell", metric.cell)
    if isinstance(metric, schema.RangeMetric):
        return SourceQuery(source, "range", metric.range, agg=metric.agg)
    raise TypeError(f"not a source metric: {metric!r}")


def evaluate(
    config: schema.Config,
    kr: schema.KeyResult,
    fetched: Mapping[SourceQuery, float],
    kr_values: Mapping[str, float],
    render: Render,
) -> float:
    """A KR's value from the fetched numbers (and, for formulas, other KRs' values of this run)."""
    metric = kr.metric

    def number(part: object) -> float:
        return fetched[source_query(config, part, render)]

    if isinstance(metric, schema.RatioMetric):
        try:
            return ratio(number(metric.ratio.numerator), number(metric.ratio.denominator))
        except ValueError as error:
            raise EvaluationError(str(error)) from None
    if isinstance(metric, schema.FormulaMetric):
        values = {}
        for name, var in metric.vars.items():
            if isinstance(var, str):
                if var not in kr_values:
                    raise EvaluationError(f"{name} = {var}, which has no value (it failed or was never measured)", "unavailable")
                values[name] = kr_values[var]
            else:
                values[name] = number(var)
        try:
            return evaluate_formula(metric.formula, values)
        except FormulaError as error:
            raise EvaluationError(str(error)) from None
    return number(metric)


def _source_metrics(metric: object) -> list[object]:
    if isinstance(metric, schema.RatioMetric):
        return [metric.ratio.numerator, metric.ratio.denominator]
    if isinstance(metric, schema.FormulaMetric):
        return [var for var in metric.vars.values() if not isinstance(var, str)]
    return [metric]


def _kr_dependencies(kr: schema.KeyResult) -> set[str]:
    if isinstance(kr.metric, schema.FormulaMetric):
        return {var for var in kr.metric.vars.values() if isinstance(var, str)}
    return set()


def _with_dependencies(by_id: Mapping[str, schema.KeyResult], wanted: set[str]) -> set[str]:
    result, stack = set(), [k for k in wanted if k in by_id]
    while stack:
        current = stack.pop()
        if current not in result:
            result.add(current)
            stack.extend(d for d in _kr_dependencies(by_id[current]) if d in by_id)
    return result


def _dependency_order(krs: list[schema.KeyResult]) -> list[schema.KeyResult]:
    """KRs with formulas after the KRs they name (the loader has refused cycles)."""
    by_id = {kr.id: kr for kr in krs}
    graph = {kr.id: _kr_dependencies(kr) & by_id.keys() for kr in krs}
    return [by_id[kr_id] for kr_id in TopologicalSorter(graph).static_order()]
