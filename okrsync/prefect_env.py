"""Run Prefect quietly from the command line: its logs and the temporary server's exit noise are
not the user's business (the sync status report is)."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from okrsync.local_server import ServerDidNotStart

QUIET_DEFAULTS = {
    "PREFECT_LOGGING_LEVEL": "WARNING",
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
    "PREFECT_SERVER_LOGGING_LEVEL": "WARNING",
}
SERVER_LOG = "okrsync-temporary-server.log"  # in PREFECT_HOME: what the temporary server printed, last start


def quiet_prefect() -> None:
    """Set quiet defaults before Prefect is imported; the user's own settings win."""
    for name, value in QUIET_DEFAULTS.items():
        os.environ.setdefault(name, value)


@contextmanager
def in_process_runs() -> Iterator[None]:
    """Settings for a command that runs one flow on Prefect's temporary server (no PREFECT_API_URL):
    flow-run heartbeats off. They let a lasting server mark a crashed run, but the temporary server
    stops with this process, and Prefect's engine waits up to a second for its heartbeat thread at the
    end of every run (the thread sleeps in 1 s steps): an empty flow run takes 1.06 s with them, 0.07 s
    without. Not for many runs in a row: without that pause the temporary server answers the next
    run's creation with 503 while it still records the last one, and the client backs off ~2 s."""
    from prefect.settings import PREFECT_API_URL, PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

    if PREFECT_API_URL.value():
        yield
        return
    with temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
        yield


def start_temporary_server() -> None:
    """Start Prefect's temporary server now, unless PREFECT_API_URL names one, with its output sent to
    SERVER_LOG in PREFECT_HOME: it is a child process that inherits this one's stdout and stderr, and
    as it stops at exit its services can log CancelledError tracebacks. Prefect's client then uses it."""
    from prefect.server.api.server import SubprocessASGIServer
    from prefect.settings import PREFECT_API_URL, PREFECT_HOME

    if PREFECT_API_URL.value():
        return
    log = Path(PREFECT_HOME.value()) / SERVER_LOG
    log.parent.mkdir(parents=True, exist_ok=True)
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    with log.open("w") as output:
        try:
            os.dup2(output.fileno(), 1)
            os.dup2(output.fileno(), 2)
            SubprocessASGIServer().start()
        except Exception as error:
            raise ServerDidNotStart(f"Prefect's temporary server did not start ({error}); its output is in {log}") from None
        finally:
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            for fd in saved:
                os.close(fd)


def silence_shutdown() -> None:
    """Send what this process prints after this point (Prefect's clients and services stopping at
    exit) to /dev/null; the temporary server's own output is in SERVER_LOG. Everything meant for the
    user is flushed first.
    Only for the real program: under a test runner stderr is not the process's own."""
    if sys.stderr is not sys.__stderr__:
        return
    sys.stdout.flush()
    sys.stderr.flush()
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
