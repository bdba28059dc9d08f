"""`Sandbox`: the Jira, GitHub and Sheets emulators on 127.0.0.1, run by uvicorn in a background
thread (one event loop, one port each), with the Python API tests, the demo and the benchmark use.

    with Sandbox() as sandbox:
        jira = JIRA(server=sandbox.jira_url, basic_auth=(sandbox.credentials.jira_email, sandbox.credentials.jira_token))
"""

from __future__ import annotations

import asyncio
import datetime as dt
import shutil
import socket
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import uvicorn
from starlette.types import Receive, Scope, Send
from uvicorn.protocols.http.h11_impl import H11Protocol

from sandbox.faults import SERVICES, Fault
from sandbox.github_app import create_github_app
from sandbox.jira_app import create_jira_app
from sandbox.middleware import TRANSPORT_KEY
from sandbox.sheets_app import create_sheets_app
from sandbox.state import Credentials, SandboxState

START_TIMEOUT = 10.0
RESET_WAIT = 10.0  # seconds reset() waits for requests still being answered


class _Protocol(H11Protocol):
    """uvicorn's h11 protocol that hands the app its connection, so a `drop` fault can close it."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        app = self.app

        async def with_transport(scope: Scope, receive: Receive, send: Send) -> None:
            scope[TRANSPORT_KEY] = self.transport
            await app(scope, receive, send)

        self.app = with_transport


class Sandbox:
    """The three emulated APIs. `start()` returns once all three answer; `stop()` is quick."""

    def __init__(
        self,
        data: str | Path | dict[str, Any] | None = None,
        *,
        jira_deployment: str | None = None,
        latency_ms: int = 0,
        port_base: int | None = None,
        faults: Iterable[Fault] = (),
        workdir: Path | None = None,
    ):
        start_faults = list(faults) + ([Fault("latency", latency_ms=latency_ms)] if latency_ms else [])
        self.state = SandboxState(data, jira_deployment=jira_deployment, faults=start_faults)
        self._port_base = port_base
        self._given_workdir = Path(workdir) if workdir else None
        self._temporary_workdir: Path | None = None
        self._servers: list[uvicorn.Server] = []
        self._sockets: list[socket.socket] = []
        self._thread: threading.Thread | None = None
        self._failure: BaseException | None = None
        self.urls: dict[str, str] = {}

    # --- lifecycle -------------------------------------------------------------------------------

    def start(self) -> Sandbox:
        if self._thread is not None:
            return self
        apps = {"jira": create_jira_app(self.state), "github": create_github_app(self.state), "sheets": create_sheets_app(self.state)}
        for n, service in enumerate(SERVICES):
            # IPPROTO_TCP, so asyncio sets TCP_NODELAY on accepted connections (else each answer waits 40 ms for an ACK)
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(("127.0.0.1", self._port_base + n if self._port_base else 0))
            self._sockets.append(sock)
            self.urls[service] = f"http://127.0.0.1:{sock.getsockname()[1]}"
            config = uvicorn.Config(
                apps[service], http=_Protocol, ws="none", lifespan="off", log_level="warning",
                access_log=False, timeout_keep_alive=30,
            )
            self._servers.append(uvicorn.Server(config))
        self.state.account.write_file(self.service_account_file, self.token_uri)
        self._thread = threading.Thread(target=self._run, name="okrsync-sandbox", daemon=True)
        self._thread.start()
        self._wait_until_ready()
        return self

    def stop(self) -> None:
        for server in self._servers:
            server.should_exit = server.force_exit = True
        if self._thread is not None:
            self._thread.join(timeout=5)
        for sock in self._sockets:
            sock.close()
        self._servers, self._sockets, self._thread = [], [], None
        if self._temporary_workdir is not None:
            shutil.rmtree(self._temporary_workdir, ignore_errors=True)
            self._temporary_workdir = None

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _run(self) -> None:
        async def serve_all() -> None:
            await asyncio.gather(*(server.serve(sockets=[sock]) for server, sock in zip(self._servers, self._sockets, strict=True)))

        try:
            asyncio.run(serve_all())
        except BaseException as error:  # reported by start() instead of dying silently
            self._failure = error

    def _wait_until_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while not all(s.started for s in self._servers):
            if self._failure is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the sandbox did not start: {self._failure or 'timed out'}")
            time.sleep(0.01)
        for url in self.urls.values():
            with urllib.request.urlopen(f"{url}/_admin/health", timeout=START_TIMEOUT) as answer:
                answer.read()

    # --- where and who ---------------------------------------------------------------------------

    @property
    def jira_url(self) -> str:
        return self.urls["jira"]

    @property
    def github_url(self) -> str:
        return self.urls["github"]

    @property
    def sheets_url(self) -> str:
        return self.urls["sheets"]

    @property
    def token_uri(self) -> str:
        return f"{self.sheets_url}/token"

    @property
    def workdir(self) -> Path:
        """Where the service-account file goes: the given folder, else a temporary one removed by stop()."""
        if self._given_workdir is not None:
            return self._given_workdir
        if self._temporary_workdir is None:
            self._temporary_workdir = Path(tempfile.mkdtemp(prefix="okrsync-sandbox-"))
        return self._temporary_workdir

    @property
    def service_account_file(self) -> Path:
        return self.workdir / "service-account.json"

    @property
    def credentials(self) -> Credentials:
        return self.state.credentials

    @property
    def jira_deployment(self) -> str:
        return self.state.jira.deployment

    @property
    def spreadsheet_id(self) -> str:
        """The first spreadsheet of the data."""
        return next(iter(self.state.sheets.spreadsheets))

    def env(self) -> dict[str, str]:
        """The environment variables the config fragment refers to."""
        creds = self.credentials
        cloud = self.jira_deployment == "Cloud"
        env = {"JIRA_EMAIL": creds.jira_email} if cloud else {}
        env["JIRA_API_TOKEN"] = creds.jira_token if cloud else creds.jira_pat
        env["GITHUB_TOKEN"] = creds.github_token
        env["GOOGLE_APPLICATION_CREDENTIALS"] = str(self.service_account_file)
        return env

    def config_fragment(self) -> str:
        """An okrsync.yaml `sources:` section for the sandbox, secrets as ${ENV} references."""
        email = "    email: '${JIRA_EMAIL}'\n" if self.jira_deployment == "Cloud" else ""
        sheet = f"    spreadsheet: {self.spreadsheet_id}\n" if self.state.sheets.spreadsheets else ""
        return (
            "sources:\n"
            f"  jira:\n    type: jira\n    url: {self.jira_url}\n{email}    token: '${{JIRA_API_TOKEN}}'\n"
            f"  gh:\n    type: github\n    url: {self.github_url}\n    token: '${{GITHUB_TOKEN}}'\n"
            f"  sheet:\n    type: google_sheets\n{sheet}    credentials: '${{GOOGLE_APPLICATION_CREDENTIALS}}'\n    url: {self.sheets_url}\n"
        )

    # --- request log -----------------------------------------------------------------------------

    def requests(self, service: str | None = None) -> list[dict[str, Any]]:
        """The logged API requests (admin calls excluded), oldest first."""
        return self.state.log.entries(service)

    def counts(self, service: str | None = None) -> dict[str, int]:
        """Requests per route, e.g. {"github GET /search/issues": 4}."""
        return self.state.log.counts(service)

    def total_requests(self, service: str | None = None) -> int:
        return self.state.log.total(service)

    def reset_log(self) -> None:
        self.state.log.reset()

    def wait_until_idle(self, quiet: float = 0.05, timeout: float = 10.0) -> bool:
        """Wait until no request has been in flight for `quiet` seconds (a killed client's last requests
        are still answered, and their writes made, by the sandbox); False if `timeout` came first."""
        idle_since = time.monotonic()
        deadline = idle_since + timeout
        while True:
            now = time.monotonic()
            if self.state.log.in_flight:
                idle_since = now
            elif now - idle_since >= quiet:
                return True
            if now > deadline:
                return False
            time.sleep(0.005)

    # --- faults ----------------------------------------------------------------------------------

    def add_fault(self, kind: str, service: str = "*", route: str = "*", **settings: Any) -> Fault:
        """Inject a fault, e.g. add_fault("rate_limit", "jira", "*/search/jql", retry_after=2, times=1)."""
        return self.state.faults.add(Fault(kind, service, route, **settings))

    def clear_faults(self) -> None:
        self.state.faults.clear()

    def faults(self) -> list[Fault]:
        return self.state.faults.all()

    # --- data ------------------------------------------------------------------------------------

    @property
    def now(self) -> dt.datetime:
        return self.state.clock.now()

    def advance(self, days: float = 0, hours: float = 0) -> dt.datetime:
        """Move the clock forward: issues progress, PRs merge, as dated in the data."""
        return self.state.advance(days, hours)

    def set_cells(self, spreadsheet: str, a1: str, values: list[list[Any]], input_option: str = "USER_ENTERED") -> dict[str, Any]:
        return self.state.set_cells(spreadsheet, a1, values, input_option)

    def set_cell(self, spreadsheet: str, a1: str, value: Any, input_option: str = "USER_ENTERED") -> None:
        self.state.set_cells(spreadsheet, a1, [[value]], input_option)

    def set_rate_limit(self, resource: str, limit: int) -> None:
        """Change GitHub's budget per token for `core` or `search` (until the next load/reset)."""
        self.state.rate_limits.set_limit(resource, limit)

    def load(self, data: str | Path | dict[str, Any] | None = None, *, jira_deployment: str | None = None) -> None:
        """Replace the data (None: the data the sandbox started with); faults, log and rate limits reset."""
        self.state.load(data, jira_deployment=jira_deployment)

    def reset(self) -> None:
        """Back to the start: the starting data and faults, an empty log, fresh rate limits. Requests
        still being answered (held by a fault) are let finish first, up to RESET_WAIT seconds, so they
        land in the old state, not the new one."""
        self.wait_until_idle(quiet=0.0, timeout=RESET_WAIT)
        self.state.load()
