"""A small wall-clock sampling profiler (what pyinstrument does, which the project does not install):
every `interval` seconds it looks at every thread's stack (`sys._current_frames()`) and counts, per
thread group, the innermost okrsync frame and the innermost Python frame (time in a C call, such as
`time.sleep` or a lock wait, shows as the Python frame that made the call). cProfile would not do:
it profiles one thread, and the sync's work happens in Prefect's worker threads while the flow's
thread waits on futures.

Threads are grouped as `flow` (the thread that called the flow) and `workers` (every other thread
with an okrsync frame on its stack: the task runner's threads). A thread with no okrsync frame (an
idle worker, Prefect's event loops) is not counted.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from types import FrameType
from typing import Any, Self

ROOT = str(Path(__file__).resolve().parent.parent)
PRODUCT = tuple(os.path.join(ROOT, p) + os.sep for p in ("flows", "connectors", "mapping", "okr_store", "okrsync"))


def _where(frame: FrameType | None) -> tuple[str | None, str]:
    """(innermost okrsync frame, innermost frame) as 'path:function' strings."""
    leaf = frame
    own = None
    while frame is not None:
        path = frame.f_code.co_filename
        if own is None and path.startswith(PRODUCT):
            own = f"{os.path.relpath(path, ROOT)}:{frame.f_code.co_name}"
        frame = frame.f_back
    if leaf is None:
        return own, "?"
    name = leaf.f_code.co_filename
    short = os.path.relpath(name, ROOT) if name.startswith(ROOT + os.sep) and ".venv" not in name else _site_relative(name)
    return own, f"{short}:{leaf.f_code.co_name}"


def _site_relative(path: str) -> str:
    marker = "site-packages" + os.sep
    return path.split(marker, 1)[1] if marker in path else os.path.basename(path)


class Sampler:
    def __init__(self, interval: float = 0.005):
        self.interval = interval
        self.samples = 0
        self.counts: dict[str, Counter[tuple[str | None, str]]] = {"flow": Counter(), "workers": Counter()}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._flow_thread = threading.get_ident()
        self.seconds = 0.0

    def __enter__(self) -> Self:
        self._flow_thread = threading.get_ident()
        self._started = time.perf_counter()
        self._thread = threading.Thread(target=self._run, name="bench-sampler", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join()
        self.seconds = time.perf_counter() - self._started

    def _run(self) -> None:
        me = threading.get_ident()
        while not self._stop.wait(self.interval):
            self.samples += 1
            for ident, frame in sys._current_frames().items():
                if ident == me:
                    continue
                own, leaf = _where(frame)
                if ident == self._flow_thread:
                    self.counts["flow"][(own, leaf)] += 1
                elif own is not None:
                    self.counts["workers"][(own, leaf)] += 1

    def summary(self, top: int = 12) -> dict[str, Any]:
        """Per group: seconds of thread time (samples x interval) at each (okrsync frame, leaf) pair."""
        scale = self.seconds / self.samples if self.samples else 0.0
        out: dict[str, Any] = {"wall_seconds": round(self.seconds, 2), "samples": self.samples, "groups": {}}
        for group, counter in self.counts.items():
            total = sum(counter.values())
            out["groups"][group] = {
                "thread_seconds": round(total * scale, 2),
                "top": [{"okrsync_frame": own or "(outside okrsync)", "waiting_in": leaf, "seconds": round(n * scale, 2)}
                        for (own, leaf), n in counter.most_common(top)],
            }
        return out
