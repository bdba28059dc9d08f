"""`okrsync sync`'s Prefect settings: no flow-run heartbeats on the temporary server, whose end-of-run
join costs up to a second (measured by the benchmark: docs/benchmark.md, finding 8); a configured
server keeps them."""

from __future__ import annotations

from prefect.settings import PREFECT_API_URL, PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

from okrsync.prefect_env import in_process_runs


def test_heartbeats_are_off_on_the_temporary_server_only() -> None:
    with temporary_settings(updates={PREFECT_API_URL: None}):
        before = PREFECT_FLOWS_HEARTBEAT_FREQUENCY.value()
        with in_process_runs():
            assert PREFECT_FLOWS_HEARTBEAT_FREQUENCY.value() is None
        assert PREFECT_FLOWS_HEARTBEAT_FREQUENCY.value() == before == 180
    with temporary_settings(updates={PREFECT_API_URL: "http://127.0.0.1:4200/api"}), in_process_runs():
        assert PREFECT_FLOWS_HEARTBEAT_FREQUENCY.value() == 180

