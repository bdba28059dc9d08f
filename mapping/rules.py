"""Rules as data: a KR's metric in canonical form and its hash, kept with every value it produces."""

from __future__ import annotations

import hashlib
import json
import math
from typing import Any

from pydantic import BaseModel


def rule_document(metric: BaseModel | None) -> dict[str, Any] | None:
    """The metric as plain JSON data (what the store keeps and hashes)."""
    return None if metric is None else metric.model_dump(mode="json")


def rule_hash(metric: BaseModel | None) -> str | None:
    """sha256 of the metric's canonical JSON: equal rules hash equal, any change shows."""
    document = rule_document(metric)
    if document is None:
        return None
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def aggregate(values: list[float], agg: str) -> float:
    """Combine a range's numbers: sum, avg, min, max, last (the last non-empty cell) or count."""
    if agg == "count":
        return float(len(values))
    if not values:
        raise ValueError("the range holds no numbers")
    if agg == "sum":
        return float(math.fsum(values))
    if agg == "avg":
        return math.fsum(values) / len(values)
    if agg == "min":
        return min(values)
    if agg == "max":
        return max(values)
    if agg == "last":
        return values[-1]
    raise ValueError(f"unknown aggregate {agg!r}")


def ratio(numerator: float, denominator: float) -> float:
    """numerator / denominator; a zero denominator is an error, not an infinite or 0 progress."""
    if denominator == 0:
        raise ValueError(f"the denominator is 0 (numerator {numerator:g})")
    return numerator / denominator
