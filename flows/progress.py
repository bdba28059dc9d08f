"""Live progress of a sync: queries done of total per source, and rate-limit waits as such."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass


@dataclass
class SourceProgress:
    total: int = 0
    done: int = 0
    waiting_until: float = 0.0  # monotonic time a rate-limit wait ends

    def describe(self) -> str:
        wait = self.waiting_until - time.monotonic()
        suffix = f" (waiting {wait:.0f}s for the rate limit)" if wait >= 1 else ""
        return f"{self.done}/{self.total}{suffix}"


class ProgressBoard:
    """Updated by fetch tasks (any thread), read by the command line's live display."""

    def __init__(self) -> None:
        self.sources: dict[str, SourceProgress] = {}
        self.stage = "starting"
        self._lock = threading.Lock()

    def expect(self, source: str, count: int) -> None:
        with self._lock:
            self.sources.setdefault(source, SourceProgress()).total += count

    def done(self, source: str, count: int) -> None:
        with self._lock:
            self.sources.setdefault(source, SourceProgress()).done += count

    def waiting(self, source: str, seconds: float) -> None:
        with self._lock:
            self.sources.setdefault(source, SourceProgress()).waiting_until = time.monotonic() + seconds

    def snapshot(self) -> tuple[str, dict[str, str]]:
        with self._lock:
            return self.stage, {name: progress.describe() for name, progress in self.sources.items()}
