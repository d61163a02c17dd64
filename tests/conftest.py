"""Shared fixtures: the fake Slack Web API and databases (SQLite and a throwaway PostgreSQL).

- ``fake_slack``: a started :class:`support.fakeslack.FakeSlack`, reset for every test (one
  server per session underneath: ``fake_slack_server``).
- ``pg_cluster``: the session's PostgreSQL cluster. Skipped with a reason when PostgreSQL is not
  installed, and an error instead when ``CI`` is set (CI must run the PostgreSQL tests).
- ``db_url``: parametrised over ``sqlite`` and ``postgres`` (marked ``postgres``; deselect with
  ``-m "not postgres"``): an empty database of its own for each test.
- ``sqlite_url`` / ``postgres_url``: one backend only.
- ``cli_database_url``: a fresh SQLite database set as ``DATABASE_URL`` for a ``planbot``
  command run in the test.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.fakeslack import FakeSlack
from support.postgres import PostgresCluster, start_or_skip

from bot.planio import SAMPLE_PLAN, read_plan
from bot.services.plans import load_plan
from bot.settings import get_settings
from storage.db import Database


@pytest.fixture(scope="session")
def fake_slack_server() -> Iterator[FakeSlack]:
    """One fake Slack server for the whole session; tests use ``fake_slack``."""
    with FakeSlack() as fake:
        yield fake


@pytest.fixture
def fake_slack(fake_slack_server: FakeSlack) -> Iterator[FakeSlack]:
    """The fake Slack Web API, with no calls, users, faults or settings left from other tests."""
    fake_slack_server.reset()
    yield fake_slack_server
    fake_slack_server.reset()


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PostgresCluster]:
    """A throwaway PostgreSQL cluster for the session (skipped, or failed under CI, if absent)."""
    cluster = start_or_skip()
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def postgres_url(pg_cluster: PostgresCluster) -> Iterator[str]:
    """SQLAlchemy URL of a fresh, empty PostgreSQL database, dropped after the test."""
    name = f"planbot_t_{uuid.uuid4().hex[:16]}"
    url = pg_cluster.create_database(name)
    try:
        yield url
    finally:
        pg_cluster.drop_database(name)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """SQLAlchemy URL of a fresh SQLite database file."""
    return f"sqlite:///{tmp_path / 'planbot.db'}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest) -> str:
    """SQLAlchemy URL of a fresh database, once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        return str(request.getfixturevalue("sqlite_url"))
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def cli_database_url(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[str]:
    """A fresh SQLite database's URL, set as DATABASE_URL for `planbot` commands the test runs
    in process (from an empty folder, so no stray .env; settings read afresh)."""
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    monkeypatch.chdir(tmp_path)  # no stray .env
    get_settings.cache_clear()
    yield sqlite_url
    get_settings.cache_clear()


SAMPLE_LOADED_AT = dt.datetime(2019, 12, 2, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    """An empty planbot database with the schema, on SQLite and on PostgreSQL."""
    database = Database(db_url)
    database.create_all()
    yield database
    database.dispose()


@pytest.fixture
def sample_db(db: Database) -> Database:
    """The database holding the sample plan (Q1 and Q2 2019-20 history, Q3 to collect)."""
    load_plan(db=db, plan_file=read_plan(SAMPLE_PLAN), now=SAMPLE_LOADED_AT)
    return db
