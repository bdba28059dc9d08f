"""What the three emulated APIs share: the data (Jira, GitHub, Sheets stores and the clock), the
fake credentials, the service account, faults, rate limits and the request log."""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sandbox.clock import Clock, optional_time
from sandbox.data import DataError, read_data
from sandbox.faults import Fault, FaultBook, fault_from_dict
from sandbox.github_store import GitHubStore
from sandbox.jira_store import JiraStore
from sandbox.rate_limit import RateLimits
from sandbox.service_account import ServiceAccount, TokenIssuer
from sandbox.sheets_store import SheetsStore
from sandbox.traffic import RequestLog

DEPLOYMENTS = ("Cloud", "Server")


@dataclass(frozen=True)
class Credentials:
    """The fake secrets the sandbox accepts (the data file's `credentials:` may change them)."""

    jira_email: str = "okr-bot@example.com"
    jira_token: str = "sandbox-jira-api-token"
    jira_pat: str = "sandbox-jira-personal-access-token"
    github_token: str = "ghp_sandbox0000000000000000000000000000"

    @classmethod
    def from_data(cls, raw: dict[str, Any]) -> Credentials:
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = set(raw) - known
        if unknown:
            raise DataError(f"unknown credentials: {', '.join(sorted(unknown))}; known: {', '.join(sorted(known))}")
        return cls(**{k: str(v) for k, v in raw.items()})


class SandboxState:
    def __init__(self, data: str | Path | dict[str, Any] | None = None, *, jira_deployment: str | None = None, faults: Iterable[Fault] = ()):
        self._raw = read_data(data)
        self._deployment = jira_deployment
        self.credentials = Credentials.from_data(self._raw.get("credentials") or {})
        self.account = ServiceAccount.create((self._raw.get("sheets") or {}).get("service_account"))
        self.tokens = TokenIssuer(self.account)
        self.faults = FaultBook()
        self.log = RequestLog()
        self.rate_limits = RateLimits()
        try:
            self._baseline = [fault_from_dict(f) for f in self._raw.get("faults", [])] + list(faults)
        except (TypeError, ValueError) as error:
            raise DataError(f"faults: {error}") from None
        self.load()

    def load(self, data: str | Path | dict[str, Any] | None = None, *, jira_deployment: str | None = None) -> None:
        """Replace the data (with `data`, else the data the sandbox started with); faults go back to
        the start-time ones, the request log and rate limits are emptied. Credentials and the
        service account stay as they were at start."""
        raw = read_data(data) if data is not None else copy.deepcopy(self._raw)
        deployment = jira_deployment or self._deployment or str((raw.get("jira") or {}).get("deployment", "Cloud"))
        if deployment not in DEPLOYMENTS:
            raise DataError(f"jira deployment must be one of {', '.join(DEPLOYMENTS)}, not {deployment!r}")
        try:
            clock = Clock(optional_time(raw.get("now")))
            jira = JiraStore(raw.get("jira") or {}, deployment)
            github = GitHubStore(raw.get("github") or {})
            sheets = SheetsStore(raw.get("sheets") or {})
        except (KeyError, ValueError, TypeError) as error:
            raise DataError(str(error)) from None
        self.clock, self.jira, self.github, self.sheets = clock, jira, github, sheets
        self.faults.clear()
        for fault in self._baseline:
            self.faults.add(dataclasses.replace(fault))
        self.log.reset()
        self.rate_limits.reset()

    def advance(self, days: float = 0, hours: float = 0) -> dt.datetime:
        """Move the clock forward: statuses, closings and merges dated up to the new time take effect."""
        if days < 0 or hours < 0:
            raise ValueError("the sandbox clock only moves forward")
        return self.clock.advance(dt.timedelta(days=days, hours=hours))

    def set_cells(self, spreadsheet: str, a1: str, values: list[list[Any]], input_option: str = "USER_ENTERED") -> dict[str, Any]:
        """Write values into a spreadsheet as a person editing it would (USER_ENTERED by default)."""
        with self.sheets.lock:
            book = self.sheets.spreadsheets.get(spreadsheet)
            if book is None:
                raise KeyError(f"no spreadsheet {spreadsheet!r}")
            write = self.sheets.plan_write(book, a1, values, "ROWS", input_option)
            self.sheets.apply(write)
            return write.report(book.id)
