"""Engines, transactions and migrations of the OKR store."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS = Path(__file__).with_name("migrations")
SQLITE_BUSY_TIMEOUT_MS = 30_000
SCHEMA_LOCK_KEY = 0x6F6B72736368656D  # "okrschem": one process at a time creates or migrates a PostgreSQL store


class StoreError(Exception):
    """The store cannot be used as it is (unreachable, or not migrated)."""


def display_url(url: str) -> str:
    """The store URL with any password masked, for messages and logs."""
    return make_url(url).render_as_string(hide_password=True)


def create_store_engine(url: str) -> sa.Engine:
    """An engine for the store. SQLite gets WAL, a busy timeout and `BEGIN IMMEDIATE` transactions; an
    in-memory SQLite store is one connection, so its users must not open two transactions at once."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return sa.create_engine(parsed, pool_pre_ping=True)
    connect_args: dict[str, object] = {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(parsed, connect_args=connect_args)
    else:  # in memory: one connection, shared by the run's threads, or each thread would see an empty store
        engine = sa.create_engine(parsed, connect_args={**connect_args, "check_same_thread": False}, poolclass=sa.pool.StaticPool)

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:  # noqa: ANN001
        dbapi_connection.isolation_level = None  # SQLAlchemy, not pysqlite, emits BEGIN
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")  # first: switching to WAL waits for other writers
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(connection: sa.Connection) -> None:
        # A deferred BEGIN lets two read-then-write transactions both read and one lose its write.
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def make_sessionmaker(engine: sa.Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(engine: sa.Engine) -> Iterator[Session]:
    """A session whose work is committed together, or rolled back on any error."""
    with make_sessionmaker(engine).begin() as session:
        yield session


def _alembic_config(connection: sa.Connection) -> AlembicConfig:
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    head = ScriptDirectory.from_config(config).get_current_head()
    assert head is not None
    return head


def current_revision(engine: sa.Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: sa.Engine, revision: str = "head") -> None:
    """Create or migrate the store's tables (`okrsync db upgrade`), one process at a time."""
    with engine.begin() as connection:
        _lock_schema(connection)
        command.upgrade(_alembic_config(connection), revision)


def _lock_schema(connection: sa.Connection) -> None:
    """Hold the schema lock until the transaction ends: PostgreSQL's transaction advisory lock; SQLite's
    `BEGIN IMMEDIATE` (see create_store_engine) already keeps every other writer out."""
    if connection.dialect.name == "postgresql":
        connection.execute(sa.select(sa.func.pg_advisory_xact_lock(SCHEMA_LOCK_KEY)))


def downgrade(engine: sa.Engine, revision: str) -> None:
    with engine.begin() as connection:
        command.downgrade(_alembic_config(connection), revision)


def ensure_current(engine: sa.Engine) -> None:
    """Create the tables of a new, empty store; refuse a store whose schema is behind or ahead."""
    try:
        revision = current_revision(engine)
    except sa.exc.OperationalError as error:
        raise StoreError(f"cannot open the store {display_url(str(engine.url))}: {error.orig}") from None
    if revision is None:  # a new store, unless another process (a sync started at the same time) is creating it
        with engine.begin() as connection:
            _lock_schema(connection)
            revision = MigrationContext.configure(connection).get_current_revision()
            if revision is None:
                if set(sa.inspect(connection).get_table_names()) - {"alembic_version"}:
                    raise StoreError("the store has tables but no okrsync schema version; is it the right database?")
                command.upgrade(_alembic_config(connection), "head")
                return
    if revision != head_revision():
        raise StoreError(f"the store's schema is at {revision}, this okrsync needs {head_revision()}: run `okrsync db upgrade`")
