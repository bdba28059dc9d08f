"""One sync at a time per store, across processes and machines, released even if a run crashes.

PostgreSQL: a session advisory lock held on a dedicated connection (the server drops it when the
connection dies). SQLite: an exclusive lock on a file beside the database (the kernel drops it when
the process dies); SQLite stores are single-machine by nature.
"""

from __future__ import annotations

import fcntl
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

LOCK_KEY = 0x6F6B7273796E63  # "okrsync"


class StoreBusy(Exception):
    """Another sync holds the store's lock."""


@contextmanager
def sync_lock(engine: sa.Engine, timeout: float = 600.0, poll: float = 0.25) -> Iterator[None]:
    """Hold the store's sync lock; wait up to `timeout` seconds for another run to finish."""
    deadline = time.monotonic() + timeout
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            while not connection.scalar(sa.select(sa.func.pg_try_advisory_lock(LOCK_KEY))):
                _wait(deadline, poll)
            connection.commit()
            try:
                yield
            finally:
                connection.scalar(sa.select(sa.func.pg_advisory_unlock(LOCK_KEY)))
                connection.commit()
        return
    database = engine.url.database
    if not database or database == ":memory:":
        yield
        return
    with Path(f"{database}.sync-lock").open("a") as handle:
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                _wait(deadline, poll)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _wait(deadline: float, poll: float) -> None:
    if time.monotonic() >= deadline:
        raise StoreBusy("another okrsync sync is running against this store; try again when it has finished")
    time.sleep(poll)
