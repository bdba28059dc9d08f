"""pytest plugin: the `sandbox` fixture, a running Sandbox (the seed data, ephemeral ports).

One server serves the whole session (started on first use, stopped when the session ends); each
test gets it reset: seed data, no faults, an empty request log, fresh rate limits.

Register it with `pytest_plugins = ["sandbox.pytest_plugin"]` in the root conftest.py, or import
the fixture into a conftest: `from sandbox.pytest_plugin import sandbox`.
"""

from __future__ import annotations

import pytest

from sandbox.server import Sandbox

_SERVER = pytest.StashKey[Sandbox]()


@pytest.fixture
def sandbox(request: pytest.FixtureRequest) -> Sandbox:
    """The session's sandbox, reset for this test."""
    config = request.config
    server = config.stash.get(_SERVER, None)
    if server is None:
        server = Sandbox().start()
        config.stash[_SERVER] = server
        config.add_cleanup(server.stop)
    server.reset()
    return server
