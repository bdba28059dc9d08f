"""A Prefect server for `okrsync serve` on a machine that has none.

Prefect's temporary server runs no scheduler, so schedules served against it never fire. When
PREFECT_API_URL is not set, `okrsync serve` starts `prefect server start` on a free loopback port
(its database in PREFECT_HOME, so run history survives restarts) and stops it on the way out.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class ServerDidNotStart(RuntimeError):
    """A Prefect server (local, or the temporary one) did not start; the message says what to look at."""


@contextmanager
def prefect_api(timeout: float = 180.0) -> Iterator[str]:
    """Yield the Prefect API URL to use: the configured one, or a local server started for the purpose."""
    configured = os.environ.get("PREFECT_API_URL")
    if configured:
        yield configured
        return
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/api"
    command = [str(Path(sys.executable).with_name("prefect")), "server", "start", "--host", "127.0.0.1", "--port", str(port)]
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_healthy(url, server, timeout)
        os.environ["PREFECT_API_URL"] = url
        yield url
    finally:
        os.environ.pop("PREFECT_API_URL", None)
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def _wait_healthy(url: str, server: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise ServerDidNotStart(f"`prefect server start` exited with code {server.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise ServerDidNotStart(f"the local Prefect server did not answer within {timeout:.0f} s")
