"""Per-source limits that hold in a bare `okrsync sync` (no Prefect server, no global limits).

Prefect's `rate_limit(..., strict=False)` silently does nothing when the named limit does not exist,
so okrsync keeps its own: at most `concurrency` fetches in flight and `per_second` starts a second.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from flows.connect import SourceLimits


class Throttle:
    def __init__(self, limits: SourceLimits, sleep: Callable[[float], None] = time.sleep):
        self._slots = threading.BoundedSemaphore(limits.concurrency)
        self._interval = 1.0 / limits.per_second
        self._next_start = 0.0
        self._lock = threading.Lock()
        self._sleep = sleep

    @contextmanager
    def slot(self, on_wait: Callable[[float], None] | None = None) -> Iterator[None]:
        """Wait for a free slot and for the pace; `on_wait(seconds)` is told of any pacing wait."""
        with self._slots:
            with self._lock:
                now = time.monotonic()
                start = max(now, self._next_start)
                self._next_start = start + self._interval
            if start > now:
                if on_wait:
                    on_wait(start - now)
                self._sleep(start - now)
            yield
