"""Rules as data: a KR's metric in canonical form and its hash, kept with every value it produces."""

from __future__ import annotations

import hashlib
import json
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
