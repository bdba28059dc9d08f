"""Fault injection rules: which requests (service, route) get which fault, after how many
requests and how many times. Set at start (`--fault`, `--latency-ms`, the data file's `faults:`)
or at run time (`Sandbox.add_fault`, POST /_admin/faults)."""

from __future__ import annotations

import dataclasses
import fnmatch
import itertools
import threading
from dataclasses import dataclass
from typing import Any

SERVICES = ("jira", "github", "sheets")
KINDS = (
    "latency",  # wait latency_ms (+ up to jitter_ms) before answering normally
    "rate_limit",  # 429 with Retry-After: retry_after
    "secondary_rate_limit",  # GitHub's 403 "secondary rate limit" with Retry-After
    "server_error",  # `status` (5xx) with the vendor's error body
    "timeout",  # hold the request `seconds` before answering (clients time out first)
    "drop",  # close the connection without an answer
    "expired_token",  # 401 as for a revoked token; with `after: N`, "401 after N requests"
    "malformed_json",  # the normal answer, cut in half
)


@dataclass
class Fault:
    kind: str
    service: str = "*"
    route: str = "*"  # glob over "METHOD /path", matched against the route template and the real path
    after: int = 0  # let this many matching requests through first
    times: int | None = None  # then fault at most this many (None: all that follow)
    latency_ms: int = 0
    jitter_ms: int = 0
    retry_after: float = 1.0
    status: int = 503
    seconds: float = 30.0
    id: int = 0
    seen: int = 0
    applied: int = 0

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; one of {', '.join(KINDS)}")
        if self.service not in (*SERVICES, "*"):
            raise ValueError(f"unknown service {self.service!r}; one of {', '.join(SERVICES)} or *")
        if self.kind == "secondary_rate_limit":
            if self.service not in ("github", "*"):
                raise ValueError("secondary_rate_limit is GitHub's; use service github")
            self.service = "github"
        if self.kind == "server_error" and not 500 <= self.status <= 599:
            raise ValueError(f"server_error needs a 5xx status, not {self.status}")
        if min(self.after, self.times if self.times is not None else 0, self.latency_ms, self.jitter_ms) < 0:
            raise ValueError("after, times, latency_ms and jitter_ms cannot be negative")

    def matches(self, service: str, method: str, path: str, template: str | None) -> bool:
        if self.service not in ("*", service):
            return False
        candidates = [f"{method} {path}", path] + ([f"{method} {template}", template] if template else [])
        return any(fnmatch.fnmatchcase(c, self.route) for c in candidates)

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


FIELDS = {f.name for f in dataclasses.fields(Fault)} - {"id", "seen", "applied"}


def fault_from_dict(raw: dict[str, Any]) -> Fault:
    unknown = set(raw) - FIELDS
    if unknown:
        raise ValueError(f"unknown fault setting(s): {', '.join(sorted(unknown))}")
    return Fault(**raw)


def parse_fault(spec: str) -> Fault:
    """`KIND[@SERVICE[:ROUTE]][,key=value...]`, e.g. `rate_limit@jira:*/search/jql,retry_after=2,times=1`."""
    head, *options = [part.strip() for part in spec.split(",")]
    kind, _, where = head.partition("@")
    service, _, route = where.partition(":")
    raw: dict[str, Any] = {"kind": kind, "service": service or "*", "route": route or "*"}
    for option in options:
        key, sep, value = option.partition("=")
        if not sep:
            raise ValueError(f"fault option {option!r} is not key=value")
        raw[key.strip()] = _number(value.strip())
    return fault_from_dict(raw)


def _number(text: str) -> Any:
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            continue
    return text


class FaultBook:
    """The active faults, thread-safe; `pick` counts the requests each one has seen."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def add(self, fault: Fault) -> Fault:
        with self._lock:
            fault.id, fault.seen, fault.applied = next(self._ids), 0, 0
            self._faults.append(fault)
        return fault

    def remove(self, fault_id: int) -> bool:
        with self._lock:
            before = len(self._faults)
            self._faults = [f for f in self._faults if f.id != fault_id]
            return len(self._faults) < before

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def all(self) -> list[Fault]:
        with self._lock:
            return list(self._faults)

    def pick(self, service: str, method: str, path: str, template: str | None) -> list[Fault]:
        """The faults this request gets: any latency faults, then at most one other fault."""
        chosen: list[Fault] = []
        with self._lock:
            for fault in self._faults:
                if not fault.matches(service, method, path, template):
                    continue
                if fault.kind != "latency" and any(f.kind != "latency" for f in chosen):
                    continue
                fault.seen += 1
                if fault.seen <= fault.after or (fault.times is not None and fault.applied >= fault.times):
                    continue
                fault.applied += 1
                chosen.append(fault)
        return chosen
