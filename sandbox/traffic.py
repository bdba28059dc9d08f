"""The request log: every API request the sandbox answered (admin calls excluded), and counts per
route, so tests and the benchmark can read what a sync cost."""

from __future__ import annotations

import threading
from collections import Counter, deque
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Entry:
    seq: int
    at: float  # epoch seconds
    service: str
    method: str
    path: str
    query: str
    route: str  # the route template, e.g. /rest/api/3/search/jql ("" when no route matched)
    status: int  # 0 when the connection was dropped
    ms: float
    fault: str  # the fault kinds applied, joined by "+" (e.g. "latency+drop"), or ""

    @property
    def key(self) -> str:
        return f"{self.service} {self.method} {self.route or self.path}"


class RequestLog:
    """Keeps the last `keep` requests and exact counts of all of them, and how many are being answered."""

    def __init__(self, keep: int = 100_000):
        self._entries: deque[Entry] = deque(maxlen=keep)
        self._counts: Counter[str] = Counter()
        self._seq = 0
        self._open = 0
        self._lock = threading.Lock()

    def opened(self) -> None:
        """A request arrived; `record` closes it."""
        with self._lock:
            self._open += 1

    @property
    def in_flight(self) -> int:
        """Requests that arrived and are not answered (or dropped) yet."""
        with self._lock:
            return self._open

    def record(self, **fields: Any) -> Entry:
        with self._lock:
            self._open = max(0, self._open - 1)
            self._seq += 1
            entry = Entry(seq=self._seq, **fields)
            self._entries.append(entry)
            self._counts[entry.key] += 1
        return entry

    def entries(self, service: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            return [asdict(e) for e in self._entries if service in (None, e.service)]

    def counts(self, service: str | None = None) -> dict[str, int]:
        """Requests per route, e.g. {"jira GET /rest/api/3/search/jql": 3}."""
        with self._lock:
            return {k: n for k, n in sorted(self._counts.items()) if service in (None, k.split(" ", 1)[0])}

    def total(self, service: str | None = None) -> int:
        return sum(self.counts(service).values())

    def reset(self) -> None:
        with self._lock:
            self._entries.clear()
            self._counts.clear()
