"""The database fixtures: each test gets a fresh, working database on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from support.postgres import PostgresCluster


def test_db_url_connects_to_the_backend_it_names(
    db_url: str, request: pytest.FixtureRequest
) -> None:
    backend = request.node.callspec.params["db_url"]
    engine = sa.create_engine(db_url)
    try:
        with engine.connect() as conn:
            assert conn.execute(sa.text("select 1")).scalar_one() == 1
        assert engine.dialect.name == {"sqlite": "sqlite", "postgres": "postgresql"}[backend]
    finally:
        engine.dispose()


def test_db_url_starts_empty_and_is_writable(db_url: str) -> None:
    engine = sa.create_engine(db_url)
    try:
        assert sa.inspect(engine).get_table_names() == []
        with engine.begin() as conn:
            conn.execute(sa.text("create table probe (id integer primary key)"))
            conn.execute(sa.text("insert into probe (id) values (1)"))
        with engine.connect() as conn:
            assert conn.execute(sa.text("select count(*) from probe")).scalar_one() == 1
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_postgres_url_uses_psycopg_on_postgresql_15(postgres_url: str) -> None:
    engine = sa.create_engine(postgres_url)
    try:
        assert engine.dialect.driver == "psycopg"
        with engine.connect() as conn:
            version = conn.execute(sa.text("show server_version_num")).scalar_one()
        assert int(version) // 10000 == 15
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_cluster_creates_separate_databases(pg_cluster: PostgresCluster) -> None:
    first = pg_cluster.create_database("planbot_probe_a")
    second = pg_cluster.create_database("planbot_probe_b")
    try:
        with sa.create_engine(first).begin() as conn:
            conn.execute(sa.text("create table only_in_a (id integer)"))
        engine = sa.create_engine(second)
        assert sa.inspect(engine).get_table_names() == []
        engine.dispose()
    finally:
        pg_cluster.drop_database("planbot_probe_a")
        pg_cluster.drop_database("planbot_probe_b")


def test_sqlite_url_is_a_file_in_tmp_path(sqlite_url: str, tmp_path: object) -> None:
    assert sqlite_url == f"sqlite:///{tmp_path}/planbot.db"
