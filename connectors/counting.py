"""Counting the HTTP requests a connector makes, in all and per operation (thread-safe)."""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from requests.adapters import HTTPAdapter


@dataclass
class Tally:
    requests: int = 0


_ACTIVE: contextvars.ContextVar[tuple[Tally, ...]] = contextvars.ContextVar("okrsync_request_tallies", default=())


class RequestCounter:
    """Counts every request; `measure()` also counts the requests of one operation in this thread."""

    def __init__(self) -> None:
        self.total = 0
        self._lock = threading.Lock()

    def add(self) -> None:
        with self._lock:
            self.total += 1
        for tally in _ACTIVE.get():
            tally.requests += 1

    @contextmanager
    def measure(self) -> Iterator[Tally]:
        tally = Tally()
        token = _ACTIVE.set((*_ACTIVE.get(), tally))
        try:
            yield tally
        finally:
            _ACTIVE.reset(token)


class CountingAdapter(HTTPAdapter):
    """A requests adapter that counts each attempt, failed connections included."""

    def __init__(self, counter: RequestCounter, **kwargs: object):
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.counter = counter

    def send(self, request, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN201
        self.counter.add()
        return super().send(request, *args, **kwargs)
