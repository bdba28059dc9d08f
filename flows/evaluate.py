"""Turn fetched numbers into each KR's value with its provenance, or a classified failure."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from connectors.errors import ConnectorError
from connectors.reading import Reading
from mapping import schema
from mapping.plan import EvaluationError, Render, SourceQuery, SyncPlan, evaluate
from mapping.rules import rule_hash
from okr_store.runs import KROutcome


def evaluate_plan(
    config: schema.Config,
    plan: SyncPlan,
    fetched: Mapping[SourceQuery, Reading | ConnectorError],
    stored_values: Mapping[str, float],
    render: Render,
) -> list[KROutcome]:
    """One outcome per planned KR, in plan order. A formula sees this run's values of the KRs it
    names (or their stored values when they are not part of this run); a KR that failed this run
    is not used stale: the formula fails too, saying why."""
    numbers = {query: result.value for query, result in fetched.items() if isinstance(result, Reading)}
    values = {key: value for key, value in stored_values.items() if key not in {kr.id for kr in plan.krs}}
    outcomes = []
    for kr in plan.krs:
        queries = plan.uses[kr.id]
        failed = next((q for q in queries if isinstance(fetched.get(q), ConnectorError)), None)
        if failed is not None:
            error = fetched[failed]
            assert isinstance(error, ConnectorError)
            outcomes.append(_failed(kr, error.error_class, f"source {failed.source!r}, {failed.kind} {failed.query!r}: {error}"))
            continue
        try:
            value = evaluate(config, kr, numbers, values, render)
        except EvaluationError as error:
            outcomes.append(_failed(kr, error.error_class, str(error)))
            continue
        values[kr.id] = value
        readings = [fetched[q] for q in queries]
        outcomes.append(_succeeded(kr, value, queries, readings))  # type: ignore[arg-type]
    return outcomes


def _succeeded(kr: schema.KeyResult, value: float, queries: list[SourceQuery], readings: list[Reading]) -> KROutcome:
    sources = sorted({q.source for q in queries}) or ["formula"]
    notes = sorted({note for reading in readings for note in reading.notes})
    evidence = {
        "queries": [{"source": q.source, "kind": q.kind, **r.to_json()} for q, r in zip(queries, readings, strict=True)],
        "notes": notes,
    }
    fetched_at = max((r.fetched_at for r in readings), default=dt.datetime.now(dt.UTC))
    return KROutcome(
        kr_key=kr.id, status="ok", value=value, source=",".join(sources),
        query=" | ".join(r.query for r in readings) or None, rule_hash=rule_hash(kr.metric),
        evidence=evidence, requests=sum(r.requests for r in readings), fetched_at=fetched_at,
    )


def _failed(kr: schema.KeyResult, error_class: str, message: str) -> KROutcome:
    return KROutcome(kr_key=kr.id, status="failed", rule_hash=rule_hash(kr.metric), error_class=error_class, message=message)

