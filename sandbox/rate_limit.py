"""GitHub's primary rate limits: a budget per token and resource (core 5,000 an hour, search 30 a
minute; less without a token) that resets at the end of its window."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

WINDOWS = {"core": 3600, "search": 60}
LIMITS = {"core": 5000, "search": 30}
ANONYMOUS_LIMITS = {"core": 60, "search": 10}


@dataclass(frozen=True)
class Budget:
    resource: str
    limit: int
    used: int
    reset: int  # epoch seconds

    @property
    def remaining(self) -> int:
        return max(0, self.limit - self.used)

    def as_dict(self) -> dict[str, int]:
        return {"limit": self.limit, "used": self.used, "remaining": self.remaining, "reset": self.reset}

    def headers(self) -> dict[str, str]:
        return {
            "x-ratelimit-limit": str(self.limit),
            "x-ratelimit-remaining": str(self.remaining),
            "x-ratelimit-reset": str(self.reset),
            "x-ratelimit-used": str(self.used),
            "x-ratelimit-resource": self.resource,
        }


class RateLimits:
    def __init__(self) -> None:
        self._limits = dict(LIMITS)
        self._windows: dict[tuple[str | None, str], tuple[float, int]] = {}  # (token, resource) -> (start, used)
        self._lock = threading.Lock()

    def set_limit(self, resource: str, limit: int) -> None:
        if resource not in WINDOWS:
            raise ValueError(f"unknown rate-limit resource {resource!r}; one of {', '.join(WINDOWS)}")
        with self._lock:
            self._limits[resource] = limit

    def reset(self) -> None:
        with self._lock:
            self._limits = dict(LIMITS)
            self._windows.clear()

    def peek(self, token: str | None, resource: str) -> Budget:
        with self._lock:
            return self._budget(token, resource)

    def spend(self, token: str | None, resource: str) -> tuple[Budget, bool]:
        """Spend one request; (budget after it, whether it was allowed)."""
        with self._lock:
            budget = self._budget(token, resource)
            if budget.remaining <= 0:
                return budget, False
            start, used = self._windows[(token, resource)]
            self._windows[(token, resource)] = (start, used + 1)
            return self._budget(token, resource), True

    def _budget(self, token: str | None, resource: str) -> Budget:
        now, window = time.time(), WINDOWS[resource]
        start, used = self._windows.get((token, resource), (now, 0))
        if now >= start + window:
            start, used = now, 0
        self._windows[(token, resource)] = (start, used)
        limit = self._limits[resource] if token else ANONYMOUS_LIMITS[resource]
        return Budget(resource, limit, used, int(start + window))
