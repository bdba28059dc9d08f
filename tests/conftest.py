"""Shared fixtures. The same suite runs on SQLite (default) and PostgreSQL: `pytest --backend postgresql`."""

from __future__ import annotations

import os
import uuid

# Prefect offline and quiet, with its home inside the project (set before anything imports Prefect).
_PREFECT_HOME = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), ".prefect-test")
for _name, _value in {
    "PREFECT_HOME": _PREFECT_HOME,
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "180",
    "PREFECT_LOGGING_LEVEL": "WARNING",
    "PREFECT_SERVER_LOGGING_LEVEL": "WARNING",
}.items():
    os.environ.setdefault(_name, _value)

from collections.abc import Iterator
from importlib.resources import files
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from okr_store import db
from sandbox.server import Sandbox

pytest_plugins = ["sandbox.pytest_plugin"]  # the `sandbox` fixture

POSTGRES_URL = os.environ.get("OKRSYNC_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
CONFIGS = Path(__file__).parent / "configs"
DESIGN_ENV = {
    "JIRA_EMAIL": "okr-bot@example.com",
    "JIRA_API_TOKEN": "fake-jira-token",
    "GITHUB_TOKEN": "fake-github-token",
    "GOOGLE_APPLICATION_CREDENTIALS": "/tmp/fake-service-account.json",
}


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--backend",
        choices=("sqlite", "postgresql"),
        default=os.environ.get("OKRSYNC_TEST_BACKEND", "sqlite"),
        help="Store backend the suite runs against.",
    )


@pytest.fixture(scope="session")
def backend(request: pytest.FixtureRequest) -> str:
    return request.config.getoption("--backend")


def _new_store_url(backend: str, folder: Path) -> tuple[str, str | None]:
    """A fresh, empty store: a SQLite file, or a PostgreSQL schema of its own."""
    if backend == "sqlite":
        return f"sqlite:///{folder / 'store.db'}", None
    schema = f"okrsync_test_{uuid.uuid4().hex[:12]}"
    with sa.create_engine(POSTGRES_URL).begin() as connection:
        connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    return f"{POSTGRES_URL}?options=-csearch_path%3D{schema}", schema


def _drop_schema(schema: str | None) -> None:
    if schema:
        engine = sa.create_engine(POSTGRES_URL)
        with engine.begin() as connection:
            connection.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        engine.dispose()


@pytest.fixture
def store_url(backend: str, tmp_path: Path) -> Iterator[str]:
    """URL of a new, empty store for this test only (for CLI tests that open their own engine)."""
    url, schema = _new_store_url(backend, tmp_path)
    yield url
    _drop_schema(schema)


@pytest.fixture(scope="session")
def session_engine(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[sa.Engine]:
    """One store for the session, migrated once with `alembic upgrade head`."""
    url, schema = _new_store_url(backend, tmp_path_factory.mktemp("store"))
    engine = db.create_store_engine(url)
    db.upgrade(engine)
    yield engine
    engine.dispose()
    _drop_schema(schema)


@pytest.fixture
def session(session_engine: sa.Engine) -> Iterator[Session]:
    """A session inside a transaction that is rolled back after the test."""
    connection = session_engine.connect()
    outer = connection.begin()
    db_session = Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    yield db_session
    db_session.close()
    outer.rollback()
    connection.close()


@pytest.fixture
def design_env(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The environment variables DESIGN.md's example refers to, set to fake values."""
    for name, value in DESIGN_ENV.items():
        monkeypatch.setenv(name, value)
    return DESIGN_ENV


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[None]:
    """One temporary Prefect server for the whole session (it takes 10-25 s to start)."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=180):
        yield


@pytest.fixture
def sandbox_project(sandbox: Sandbox, store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The demo configuration pointed at the session's sandbox, its secrets in the environment and
    this test's store in OKRSYNC_STORE."""
    template = files("okrsync").joinpath("templates/demo.yaml").read_text(encoding="utf-8")
    config = tmp_path / "okrsync.yaml"
    config.write_text(template.replace("{sources}", sandbox.config_fragment()))
    for name, value in sandbox.env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("OKRSYNC_STORE", store_url)
    return config
