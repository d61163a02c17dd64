"""The engine and session handling: one session per unit of work."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event, exc, text
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.orm import Session, sessionmaker

from storage.models import Base

SQLITE_BUSY_TIMEOUT_MS = 15_000
CONNECT_TIMEOUT_SECONDS = 10
MIGRATIONS = Path(__file__).parent / "migrations"
# Execution option of the connections of read-only sessions (`Database.read_session`).
READ_ONLY = "planbot_read_only"
# Execution option: how long (ms) a writing transaction may wait for SQLite's write lock.
LOCK_WAIT_MS = "planbot_lock_wait_ms"


def _configure_sqlite(engine: Engine) -> None:
    """WAL, a busy timeout and foreign keys; BEGIN IMMEDIATE so concurrent writers queue."""

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # let SQLAlchemy emit BEGIN itself
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection: Any) -> None:
        if connection.get_execution_options().get(READ_ONLY):
            # Readers never write: a deferred transaction, which in WAL mode neither waits
            # for the writer nor holds it up.
            connection.exec_driver_sql("BEGIN")
            return
        # A deferred transaction that later writes can fail with SQLITE_BUSY at once,
        # whatever the timeout; taking the write lock up front makes writers wait instead.
        wait = int(connection.get_execution_options().get(LOCK_WAIT_MS, SQLITE_BUSY_TIMEOUT_MS))
        if connection.info.get(LOCK_WAIT_MS, SQLITE_BUSY_TIMEOUT_MS) != wait:
            connection.exec_driver_sql(f"PRAGMA busy_timeout={wait}")
            connection.info[LOCK_WAIT_MS] = wait
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for `url`, configured for concurrent use."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 15}, **kwargs
        )
        _configure_sqlite(engine)
        return engine
    if parsed.drivername == "postgresql":
        url = parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    if parsed.get_backend_name() == "postgresql" and "connect_args" not in kwargs:
        # An unreachable server fails a request in seconds instead of hanging it (and
        # /healthz) for the operating system's TCP timeout of minutes.
        kwargs["connect_args"] = {"connect_timeout": CONNECT_TIMEOUT_SECONDS}
    return create_engine(url, pool_pre_ping=True, **kwargs)


def is_unavailable(error: BaseException) -> bool:
    """True when `error` says the database could not be reached or used just now: a server
    stopped, restarting or cut off, a dropped connection, an exhausted pool, a SQLite file
    locked for too long. Trying again later may work; nothing was committed."""
    if isinstance(error, exc.DBAPIError) and error.connection_invalidated:
        return True
    return isinstance(error, exc.OperationalError | exc.InterfaceError | exc.TimeoutError)


class Database:
    """The database of a running planbot: an engine and a session factory."""

    def __init__(self, url: str, **engine_kwargs: Any) -> None:
        self.url = url
        self.engine = make_engine(url, **engine_kwargs)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._reader = self.engine.execution_options(**{READ_ONLY: True})
        self._read_sessions = sessionmaker(self._reader, expire_on_commit=False)
        # SQLite lets one transaction write at a time, and a connection that finds the file
        # locked sleeps in SQLite's busy handler (1, 2, 5, ... 100 ms at a time) before it
        # looks again, long after the lock has been freed: a few threads writing at once
        # spent most of their time asleep. Writers of this process queue here instead.
        self._writing = threading.RLock() if self.dialect == "sqlite" else None

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session in a transaction: committed on success, rolled back on error, closed."""
        with self._write_turn(), self._sessions.begin() as session:
            yield session

    @contextmanager
    def transaction(self, *, wait: float | None = None) -> Iterator[Connection]:
        """A Core connection in a writing transaction, committed on success: for statements
        that need no ORM, at a fraction of a session's cost. `wait`: at most this many
        seconds in all for SQLite's write lock (this process's writers, then the file's),
        then it fails as unavailable (default: the busy timeout)."""
        if wait is None:
            with self._write_turn(), self.engine.begin() as connection:
                yield connection
            return
        deadline = time.monotonic() + wait
        with self._write_turn(wait):
            left = max(0.05, deadline - time.monotonic())
            waiting = self.engine.execution_options(**{LOCK_WAIT_MS: int(left * 1000)})
            with waiting.begin() as connection:
                yield connection

    @contextmanager
    def read_session(self) -> Iterator[Session]:
        """A session that only reads (writing in it is a bug): on SQLite it does not queue
        behind writers, and they do not wait for it."""
        with self._read_sessions.begin() as session:
            yield session

    @contextmanager
    def _write_turn(self, wait: float | None = None) -> Iterator[None]:
        if self._writing is None:
            yield
            return
        if not self._writing.acquire(
            timeout=SQLITE_BUSY_TIMEOUT_MS / 1000 if wait is None else wait
        ):
            # What SQLite itself says when its busy timeout runs out.
            raise exc.OperationalError(
                "BEGIN IMMEDIATE", None, sqlite3.OperationalError("database is locked")
            )
        try:
            yield
        finally:
            self._writing.release()

    def create_all(self) -> None:
        """Create the schema straight from the models (tests); production uses `upgrade`."""
        Base.metadata.create_all(self.engine)

    def upgrade(self, revision: str = "head") -> None:
        """Create or migrate the schema with Alembic."""
        from alembic import command

        command.upgrade(alembic_config(self), revision)

    def ping(self) -> bool:
        """True when the database answers."""
        try:
            with self._reader.connect() as connection:
                connection.execute(text("SELECT 1"))
        except (exc.SQLAlchemyError, OSError):
            return False
        return True

    def dispose(self) -> None:
        self.engine.dispose()


def alembic_config(db: Database) -> Any:
    """An Alembic config bound to this database's engine."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = db.engine
    return config
