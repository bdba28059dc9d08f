"""`okrsync sync`'s Prefect settings: no flow-run heartbeats on the temporary server, whose end-of-run
join costs up to a second (measured by the benchmark: docs/benchmark.md, finding 8); a configured
server keeps them. The temporary server's output goes to /dev/null."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from prefect.settings import PREFECT_API_URL, PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

from okrsync.prefect_env import SERVER_LOG, in_process_runs


def test_heartbeats_are_off_on_the_temporary_server_only() -> None:
    with temporary_settings(updates={PREFECT_API_URL: None}):
        before = PREFECT_FLOWS_HEARTBEAT_FREQUENCY.value()
        with in_process_runs():
            assert PREFECT_FLOWS_HEARTBEAT_FREQUENCY.value() is None
        assert PREFECT_FLOWS_HEARTBEAT_FREQUENCY.value() == before == 180
    with temporary_settings(updates={PREFECT_API_URL: "http://127.0.0.1:4200/api"}), in_process_runs():
        assert PREFECT_FLOWS_HEARTBEAT_FREQUENCY.value() == 180



@pytest.mark.slow
def test_the_temporary_server_writes_to_its_log(tmp_path: Path) -> None:
    """Its exit noise (CancelledError tracebacks of its services) must not reach the user's terminal:
    it goes to a file in PREFECT_HOME; this process's own output is back where it was."""
    program = (
        "import os\n"
        "from okrsync.prefect_env import start_temporary_server\n"
        "from prefect.server.api.server import SubprocessASGIServer\n"
        "start_temporary_server()\n"
        "server = SubprocessASGIServer()\n"
        "pid = server.server_process.pid\n"
        "print(os.readlink(f'/proc/{pid}/fd/1'), os.readlink(f'/proc/{pid}/fd/2'), os.readlink('/proc/self/fd/2'))\n"
        "server.stop()\n"
    )
    env = {**os.environ, "PREFECT_HOME": str(tmp_path / "prefect"), "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
           "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120"}
    env.pop("PREFECT_API_URL", None)
    done = subprocess.run([sys.executable, "-c", program], env=env, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr
    server_out, server_err, own_err = done.stdout.split()
    assert server_out == server_err == str(tmp_path / "prefect" / SERVER_LOG)
    assert own_err.startswith("pipe:")  # this process's stderr, restored
