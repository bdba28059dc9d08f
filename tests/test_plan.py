"""Planning a sync (distinct queries, formula order) and evaluating KRs from fetched numbers."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from connectors.errors import AuthError
from connectors.reading import Evidence, Reading
from flows.evaluate import evaluate_plan
from mapping.loader import load_config
from mapping.plan import SourceQuery, plan_sync

CONFIG = """
cycle: {name: Q4, start: 2026-10-01, end: 2026-12-31}
sources:
  jira: {type: jira, url: https://x.atlassian.net, email: a@b.c, token: '${T}'}
  gh: {type: github, token: '${T}'}
objectives:
  - id: O1
    title: T
    key_results:
      - {id: DONE, title: a, target: 40, metric: {source: jira, count: 'project = A AND resolved >= {cycle.start}'}}
      - {id: SAME, title: b, target: 40, metric: {source: jira, count: 'project = A AND resolved >= {cycle.start}'}}
      - id: SHARE
        title: c
        target: 100
        metric: {formula: '100 * done / max(all, 1)', vars: {done: DONE, all: {source: jira, count: 'project = A'}}}
      - id: MERGED
        title: d
        target: 0.8
        metric: {ratio: {numerator: {source: gh, count: 'is:pr is:merged'}, denominator: {source: gh, count: 'is:pr'}}}
      - {id: BYHAND, title: e, target: 3, metric: {manual: true}}
"""


@pytest.fixture
def config(tmp_path: Path):
    path = tmp_path / "okrsync.yaml"
    path.write_text(CONFIG)
    return load_config(path).config


def render(source: str, text: str) -> str:
    return text.replace("{cycle.start}", "2026-10-01")


def reading(value: float) -> Reading:
    return Reading(value, "q", Evidence(("A-1",), 1), 1, dt.datetime(2026, 11, 1, tzinfo=dt.UTC), 0.01)


def test_identical_queries_are_fetched_once_and_formulas_come_after(config) -> None:
    plan = plan_sync(config, render)
    assert [q.query for q in plan.queries].count("project = A AND resolved >= 2026-10-01") == 1
    assert len(plan.queries) == 4  # shared count, 'project = A', two GitHub searches
    order = [kr.id for kr in plan.krs]
    assert order.index("DONE") < order.index("SHARE")
    assert "BYHAND" not in order  # manual KRs get their values from check-ins


def test_only_brings_the_krs_a_formula_names(config) -> None:
    plan = plan_sync(config, render, only=["SHARE"])
    assert {kr.id for kr in plan.krs} == {"SHARE", "DONE"}
    assert plan_sync(config, render, only=["MERGED"]).queries == [
        SourceQuery("gh", "count", "is:pr is:merged"), SourceQuery("gh", "count", "is:pr")
    ]


def test_evaluation_values_and_provenance(config) -> None:
    plan = plan_sync(config, render)
    numbers = {"project = A AND resolved >= 2026-10-01": 10.0, "project = A": 40.0, "is:pr is:merged": 30.0, "is:pr": 40.0}
    fetched = {q: reading(numbers[q.query]) for q in plan.queries}
    outcomes = {o.kr_key: o for o in evaluate_plan(config, plan, fetched, {}, render)}
    assert outcomes["DONE"].value == 10 and outcomes["SAME"].value == 10
    assert outcomes["SHARE"].value == pytest.approx(25.0)
    assert outcomes["MERGED"].value == pytest.approx(0.75)
    assert outcomes["MERGED"].source == "gh" and outcomes["MERGED"].requests == 2
    assert outcomes["MERGED"].evidence["queries"][0]["query"] == "q"


def test_a_failure_fails_its_krs_and_formulas_that_use_them_not_others(config) -> None:
    plan = plan_sync(config, render)
    fetched = {q: reading(5.0) for q in plan.queries}
    shared = next(q for q in plan.queries if "resolved" in q.query)
    fetched[shared] = AuthError("Jira rejected the credentials", hint="set JIRA_API_TOKEN")
    outcomes = {o.kr_key: o for o in evaluate_plan(config, plan, fetched, {"DONE": 7.0}, render)}
    assert outcomes["DONE"].status == "failed" and outcomes["DONE"].error_class == "auth"
    assert "set JIRA_API_TOKEN" in outcomes["DONE"].message and "source 'jira'" in outcomes["DONE"].message
    assert outcomes["SHARE"].status == "failed"  # never computed from DONE's stale value
    assert "DONE" in outcomes["SHARE"].message
    assert outcomes["MERGED"].status == "ok" and outcomes["MERGED"].value == 1.0


def test_zero_denominator_is_a_bad_value(config) -> None:
    plan = plan_sync(config, render, only=["MERGED"])
    fetched = {q: reading(0.0) for q in plan.queries}
    (outcome,) = evaluate_plan(config, plan, fetched, {}, render)
    assert (outcome.status, outcome.error_class) == ("failed", "bad_value")
    assert "denominator is 0" in outcome.message
