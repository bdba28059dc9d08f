"""Fixtures of the reliability suite: the sandbox and the demo project pointed at it."""

from __future__ import annotations

from pathlib import Path

import pytest

from sandbox.pytest_plugin import sandbox  # noqa: F401 - the fixture
from sandbox.server import Sandbox
from tests.reliability.helpers import RETRY_ENV, write_project


@pytest.fixture
def project(sandbox: Sandbox, store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:  # noqa: F811
    """The demo configuration on the sandbox and a new store; short timeouts and retry waits."""
    for name, value in sandbox.env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("OKRSYNC_STORE", store_url)
    for name, value in RETRY_ENV.items():
        monkeypatch.setenv(name, value)
    return write_project(sandbox, tmp_path)
