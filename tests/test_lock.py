"""The store's sync lock, and per-source throttling that holds without a Prefect server."""

from __future__ import annotations

import threading
import time

import pytest

from flows.connect import SourceLimits
from flows.throttle import Throttle
from okr_store import db
from okr_store.lock import StoreBusy, sync_lock


def test_one_sync_at_a_time_per_store(store_url: str) -> None:
    engine = db.create_store_engine(store_url)
    db.upgrade(engine)
    other = db.create_store_engine(store_url)  # as another process would
    with sync_lock(engine):
        with pytest.raises(StoreBusy, match="another okrsync sync is running"):
            with sync_lock(other, timeout=0.3):
                pass
    with sync_lock(other, timeout=0.3):  # released: the next run gets it
        pass
    engine.dispose()
    other.dispose()


def test_a_waiting_sync_runs_after_the_first(store_url: str) -> None:
    engine = db.create_store_engine(store_url)
    db.upgrade(engine)
    order: list[str] = []

    def first() -> None:
        with sync_lock(engine):
            order.append("first in")
            time.sleep(0.5)
            order.append("first out")

    thread = threading.Thread(target=first)
    thread.start()
    time.sleep(0.1)
    with sync_lock(db.create_store_engine(store_url), timeout=10):
        order.append("second in")
    thread.join()
    assert order == ["first in", "first out", "second in"]
    engine.dispose()


def test_throttle_limits_concurrency_and_pace() -> None:
    throttle = Throttle(SourceLimits(concurrency=2, per_second=50))
    active, peak, lock = [0], [0], threading.Lock()
    waits: list[float] = []

    def work() -> None:
        with throttle.slot(on_wait=waits.append):
            with lock:
                active[0] += 1
                peak[0] = max(peak[0], active[0])
            time.sleep(0.02)
            with lock:
                active[0] -= 1

    started = time.monotonic()
    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert peak[0] == 2
    assert time.monotonic() - started >= 7 / 50  # eight starts at most 50 a second apart
    assert waits  # pacing waits are reported (the live display shows them)
