"""Cross-reference checks on a merged configuration: everything a per-field schema cannot see."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping

from mapping import schema
from mapping.a1 import parse_a1
from mapping.formula import FormulaError, check_formula, formula_names
from mapping.problems import Finding, Loc
from mapping.secrets import env_names

PLACEHOLDERS = ("cycle.start", "cycle.end", "cycle.name")
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_JIRA_KEY = re.compile(r"^[A-Z][A-Z0-9_]+-[1-9][0-9]*$")
_GITHUB_ISSUE = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+#[1-9][0-9]*$")


def check_config(config: schema.Config, environ: Mapping[str, str] | None = None) -> Iterator[Finding]:
    """Yield every cross-reference error; with `environ`, also each unset `${VAR}` a used source needs."""
    if config.cycle.end < config.cycle.start:
        yield Finding(("cycle", "end"), f"the cycle ends ({config.cycle.end}) before it starts ({config.cycle.start})")
    yield from _check_ids(config)
    kr_ids = {kr.id for _, kr in config.key_results()}
    for o_index, objective in enumerate(config.objectives):
        for k_index, kr in enumerate(objective.key_results):
            loc: Loc = ("objectives", o_index, "key_results", k_index)
            if kr.metric is not None:
                yield from _check_metric(config, kr.metric, (*loc, "metric"), kr_ids)
            for p_index, target in enumerate(kr.publish):
                yield from _check_publish(config, target, (*loc, "publish", p_index))
    yield from _check_formula_cycles(config)
    if environ is not None:
        yield from _check_environment(config, environ)


def used_sources(config: schema.Config) -> set[str]:
    """Names of the sources that some KR reads from or publishes to."""
    used: set[str] = set()
    for _, kr in config.key_results():
        used.update(metric.source for metric in source_metrics(kr.metric))
        used.update(target.to for target in kr.publish)
    return used


def source_metrics(metric: object) -> list[object]:
    """The source metrics inside a metric: itself, a ratio's parts, a formula's own metrics."""
    if isinstance(metric, schema.RatioMetric):
        return [metric.ratio.numerator, metric.ratio.denominator]
    if isinstance(metric, schema.FormulaMetric):
        return [var for var in metric.vars.values() if not isinstance(var, str)]
    if metric is None or isinstance(metric, schema.ManualMetric):
        return []
    return [metric]


def _check_ids(config: schema.Config) -> Iterator[Finding]:
    seen: dict[str, Loc] = {}
    for o_index, objective in enumerate(config.objectives):
        entries = [(objective.id, ("objectives", o_index, "id"))]
        entries += [(kr.id, ("objectives", o_index, "key_results", k, "id")) for k, kr in enumerate(objective.key_results)]
        for identifier, loc in entries:
            if identifier in seen:
                yield Finding(loc, f"duplicate id {identifier!r}", related=seen[identifier])
            else:
                seen[identifier] = loc


def _check_metric(config: schema.Config, metric: object, loc: Loc, kr_ids: set[str]) -> Iterator[Finding]:
    if isinstance(metric, schema.RatioMetric):
        yield from _check_source_metric(config, metric.ratio.numerator, (*loc, "ratio", "numerator"))
        yield from _check_source_metric(config, metric.ratio.denominator, (*loc, "ratio", "denominator"))
    elif isinstance(metric, schema.FormulaMetric):
        yield from _check_formula(config, metric, loc, kr_ids)
    elif not isinstance(metric, schema.ManualMetric):
        yield from _check_source_metric(config, metric, loc)


def _check_source_metric(config: schema.Config, metric, loc: Loc) -> Iterator[Finding]:  # noqa: ANN001
    kind = schema.metric_kind(metric, schema.SOURCE_METRIC_KEYS)
    source = config.sources.get(metric.source)
    if source is None:
        yield Finding((*loc, "source"), f"unknown source {metric.source!r}; defined: {_names(config.sources)}")
        return
    allowed = schema.METRIC_SOURCE_TYPES[kind]
    if source.type not in allowed:
        kinds = " or ".join(schema.SOURCE_KINDS[t] for t in allowed)
        yield Finding((*loc, kind), f"'{kind}' reads from a {kinds} source; {metric.source!r} is {schema.SOURCE_KINDS[source.type]}")
        return
    if isinstance(metric, schema.CountMetric) and metric.approximate and source.type != "jira":
        yield Finding((*loc, "approximate"), "approximate counts exist only for Jira sources")
    for field in ("count", "jql"):
        text = getattr(metric, field, None)
        if text is not None:
            yield from _check_placeholders(text, (*loc, field))
    if isinstance(metric, schema.CellMetric):
        yield from _check_a1(metric.cell, (*loc, "cell"), single_cell=True)
    if isinstance(metric, schema.RangeMetric):
        yield from _check_a1(metric.range, (*loc, "range"), single_cell=False)


def _check_placeholders(text: str, loc: Loc) -> Iterator[Finding]:
    for name in _PLACEHOLDER.findall(text):
        if name.strip() not in PLACEHOLDERS:
            allowed = ", ".join("{" + p + "}" for p in PLACEHOLDERS)
            yield Finding(loc, f"unknown placeholder {{{name}}}; the placeholders are {allowed}")


def _check_a1(text: str, loc: Loc, single_cell: bool) -> Iterator[Finding]:
    try:
        a1 = parse_a1(text)
    except ValueError as error:
        yield Finding(loc, str(error))
        return
    if single_cell and not a1.is_single_cell:
        yield Finding(loc, f"{text!r} is a range; 'cell' takes one cell such as 'Sheet1!B2' (use 'range' with 'agg')")


def _check_formula(config: schema.Config, metric: schema.FormulaMetric, loc: Loc, kr_ids: set[str]) -> Iterator[Finding]:
    for name, var in metric.vars.items():
        if isinstance(var, str):
            if var not in kr_ids:
                yield Finding((*loc, "vars", name), f"{var!r} is not the id of a key result")
        else:
            yield from _check_source_metric(config, var, (*loc, "vars", name))
    try:
        names = formula_names(metric.formula)
    except FormulaError as error:
        yield Finding((*loc, "formula"), str(error))
        return
    unknown = sorted(names - metric.vars.keys())
    if unknown:
        yield Finding((*loc, "formula"), f"the formula uses {', '.join(unknown)}, not defined in vars")
        return
    problem = check_formula(metric.formula, set(metric.vars))
    if problem:
        yield Finding((*loc, "formula"), problem)
    for name in sorted(metric.vars.keys() - names):
        yield Finding((*loc, "vars", name), f"{name!r} is not used by the formula", "warning")


def _check_formula_cycles(config: schema.Config) -> Iterator[Finding]:
    """A formula may not depend, directly or through other formulas, on its own KR."""
    depends: dict[str, set[str]] = {}
    where: dict[str, Loc] = {}
    for o_index, objective in enumerate(config.objectives):
        for k_index, kr in enumerate(objective.key_results):
            if isinstance(kr.metric, schema.FormulaMetric):
                depends[kr.id] = {v for v in kr.metric.vars.values() if isinstance(v, str)}
                where[kr.id] = ("objectives", o_index, "key_results", k_index, "metric", "vars")
    for start in depends:
        stack, seen = list(depends[start]), set()
        while stack:
            current = stack.pop()
            if current == start:
                yield Finding(where[start], f"the formula of {start!r} depends on its own value (a cycle)")
                break
            if current not in seen:
                seen.add(current)
                stack.extend(depends.get(current, ()))


def _check_publish(config: schema.Config, target: schema.PublishTarget, loc: Loc) -> Iterator[Finding]:
    source = config.sources.get(target.to)
    if source is None:
        yield Finding((*loc, "to"), f"unknown source {target.to!r}; defined: {_names(config.sources)}")
        return
    needs = {"jira": "issue", "github": "issue", "google_sheets": "range"}[source.type]
    if getattr(target, needs) is None:
        yield Finding(loc, f"publishing to {schema.SOURCE_KINDS[source.type]} needs '{needs}'")
    for key in ("issue", "range", "field"):
        if getattr(target, key) is not None and key != needs and not (key == "field" and source.type == "jira"):
            yield Finding((*loc, key), f"'{key}' does not apply to a {schema.SOURCE_KINDS[source.type]} target")
    if target.issue is not None and needs == "issue":
        pattern, example = (_JIRA_KEY, "ONB-1") if source.type == "jira" else (_GITHUB_ISSUE, "acme/okrs#3")
        if not pattern.match(target.issue):
            yield Finding((*loc, "issue"), f"{target.issue!r} is not an issue reference like {example!r}")
    if target.range is not None and needs == "range":
        yield from _check_a1(target.range, (*loc, "range"), single_cell=False)


def _check_environment(config: schema.Config, environ: Mapping[str, str]) -> Iterator[Finding]:
    used = used_sources(config)
    for name, source in config.sources.items():
        for field, value in source:
            if field == "limits":
                continue
            for variable in env_names(value):
                if variable in environ and environ[variable]:
                    continue
                if name in used:
                    yield Finding(("sources", name, field), f"environment variable {variable} is not set")
                else:
                    yield Finding(("sources", name, field), f"environment variable {variable} is not set (source unused)", "warning")


def _names(mapping: Mapping[str, object]) -> str:
    return ", ".join(sorted(mapping)) or "(none)"
