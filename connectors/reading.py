"""What a connector hands back for one metric: the number and how it was obtained."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from connectors.counting import RequestCounter

DEFAULT_EVIDENCE_CAP = 50


@dataclass(frozen=True)
class Evidence:
    """The records a number was computed from: their ids (capped) and how many there were."""

    items: tuple[str, ...]
    total: int

    @property
    def truncated(self) -> bool:
        return len(self.items) < self.total

    def to_json(self) -> dict[str, Any]:
        return {"items": list(self.items), "total": self.total, "truncated": self.truncated}


@dataclass(frozen=True)
class Reading:
    """One metric read from a tool: value, evidence, the exact query sent, requests spent, fetch time.

    `notes` flags what the reader should know about the number, e.g. "approximate" (Jira Cloud's
    approximate count) or "incomplete_results" (GitHub search timed out on its side).
    """

    value: float
    query: str
    evidence: Evidence
    requests: int
    fetched_at: dt.datetime
    seconds: float
    notes: tuple[str, ...] = field(default_factory=tuple)

    def to_json(self) -> dict[str, Any]:
        return {
            "value": self.value,
            "query": self.query,
            "evidence": self.evidence.to_json(),
            "requests": self.requests,
            "fetched_at": self.fetched_at.isoformat(),
            "seconds": round(self.seconds, 3),
            "notes": list(self.notes),
        }


@contextmanager
def timed_reading(counter: RequestCounter) -> Iterator[Callable[..., Reading]]:
    """Time one read and count its requests; call the yielded `done(value, query, evidence, notes)`."""
    started = time.perf_counter()
    with counter.measure() as tally:

        def done(value: float, query: str, evidence: Evidence, notes: tuple[str, ...] = ()) -> Reading:
            elapsed = time.perf_counter() - started
            return Reading(value, query, evidence, tally.requests, dt.datetime.now(dt.UTC), elapsed, notes)

        yield done
