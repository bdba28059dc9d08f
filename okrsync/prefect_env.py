"""Run Prefect quietly from the command line: its logs and the temporary server's exit noise are
not the user's business (the sync status report is)."""

from __future__ import annotations

import os
import sys

QUIET_DEFAULTS = {
    "PREFECT_LOGGING_LEVEL": "WARNING",
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
    "PREFECT_SERVER_LOGGING_LEVEL": "WARNING",
}


def quiet_prefect() -> None:
    """Set quiet defaults before Prefect is imported; the user's own settings win."""
    for name, value in QUIET_DEFAULTS.items():
        os.environ.setdefault(name, value)


def silence_shutdown() -> None:
    """Send what is printed after this point (Prefect's temporary server stopping at exit, with
    its CancelledError tracebacks) to /dev/null. Everything meant for the user is flushed first.
    Only for the real program: under a test runner stderr is not the process's own."""
    if sys.stderr is not sys.__stderr__:
        return
    sys.stdout.flush()
    sys.stderr.flush()
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
