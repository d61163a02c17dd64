"""A throwaway PostgreSQL cluster for the test session.

``start_postgres()`` runs ``initdb`` into a fresh temporary directory and starts a server that
listens on 127.0.0.1 only (trust authentication, a free port, its Unix socket inside the
temporary directory, fsync off), creates the ``planbot_test`` database and returns a
:class:`PostgresCluster`. ``cluster.stop()`` stops the server and deletes the directory.

The binaries come from ``pg_ctl`` on the PATH (``initdb`` beside its real file). As root, as in
CI, they run as the ``postgres`` user through ``runuser``; PostgreSQL refuses to run as root.
``postgres_unavailable_reason()`` says why a cluster cannot be started here (None if it can).
``cluster.stop_server()`` / ``cluster.start_server()`` stop it as a crash would and start it
again on the same port, for fault tests (use a cluster of your own for those).
"""

from __future__ import annotations

import atexit
import os
import pwd
import re
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from support.loopback import free_port

SUPERUSER = "postgres"
DEFAULT_DATABASE = "planbot_test"
START_TIMEOUT_SECONDS = 30
_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def _bin_dir() -> Path | None:
    pg_ctl = shutil.which("pg_ctl")
    if pg_ctl is None:
        return None
    return Path(os.path.realpath(pg_ctl)).parent


def _running_as_root() -> bool:
    return os.geteuid() == 0


def postgres_unavailable_reason() -> str | None:
    """Why a throwaway cluster cannot be started here, or None when it can."""
    bin_dir = _bin_dir()
    if bin_dir is None:
        return "pg_ctl is not on the PATH (install PostgreSQL 15 server binaries)"
    for tool in ("initdb", "pg_ctl", "postgres"):
        if not (bin_dir / tool).exists():
            return f"{tool} not found in {bin_dir}"
    if _running_as_root():
        if shutil.which("runuser") is None:
            return "running as root but runuser is not available"
        try:
            pwd.getpwnam(SUPERUSER)
        except KeyError:
            return f"running as root but there is no {SUPERUSER!r} system user"
    return None


@dataclass
class PostgresCluster:
    """A running throwaway cluster; ``url`` is the ``planbot_test`` database."""

    root: Path
    bin_dir: Path
    port: int
    database: str = DEFAULT_DATABASE
    startup_seconds: float = 0.0
    _stopped: bool = field(default=False, repr=False)

    @property
    def data_dir(self) -> Path:
        """The cluster's data directory."""
        return self.root / "data"

    @property
    def socket_dir(self) -> Path:
        """Where the server puts its Unix socket."""
        return self.root / "run"

    @property
    def log_file(self) -> Path:
        """The server log, worth reading when something fails."""
        return self.root / "postgres.log"

    @property
    def url(self) -> str:
        """SQLAlchemy URL of the default test database."""
        return self.url_for(self.database)

    def url_for(self, database: str) -> str:
        """SQLAlchemy URL of one database in this cluster."""
        return f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def _execute(self, template: str, name: str) -> None:
        import psycopg  # lazy: only sessions that use PostgreSQL need the driver
        from psycopg import sql

        _check_identifier(name)
        statement = sql.SQL(template).format(sql.Identifier(name))
        conninfo = f"host=127.0.0.1 port={self.port} user={SUPERUSER} dbname=postgres"
        with psycopg.connect(conninfo, autocommit=True, connect_timeout=10) as conn:
            conn.execute(statement)

    def create_database(self, name: str) -> str:
        """Create an empty database (from ``template0``) and return its SQLAlchemy URL."""
        self._execute("CREATE DATABASE {} TEMPLATE template0", name)
        return self.url_for(name)

    def drop_database(self, name: str) -> None:
        """Drop a database, closing any connections a test left open."""
        self._execute("DROP DATABASE IF EXISTS {} WITH (FORCE)", name)

    def stop_server(self) -> None:
        """Stop the server at once, as a crash or a pulled plug would (`pg_ctl stop -m
        immediate`: no shutdown checkpoint, connections cut); its files stay for `start_server`."""
        _run(
            [self.bin_dir / "pg_ctl", "-D", self.data_dir, "-m", "immediate", "-w", "stop"],
            cwd=self.root,
        )

    def start_server(self) -> None:
        """Start a server stopped by `stop_server` again, on the same port and data."""
        _run(
            [
                self.bin_dir / "pg_ctl",
                "-D",
                self.data_dir,
                "-l",
                self.log_file,
                "-w",
                "-t",
                str(START_TIMEOUT_SECONDS),
                "start",
            ],
            cwd=self.root,
        )
        _wait_until_ready(self.port, time.monotonic() + START_TIMEOUT_SECONDS)

    def stop(self) -> None:
        """Stop the server and delete its directory (idempotent)."""
        if self._stopped:
            return
        self._stopped = True
        if (self.data_dir / "postmaster.pid").exists():
            _run(
                [self.bin_dir / "pg_ctl", "-D", self.data_dir, "-m", "immediate", "-w", "stop"],
                cwd=self.root,
                check=False,
            )
        shutil.rmtree(self.root, ignore_errors=True)


def _check_identifier(name: str) -> None:
    if not _IDENTIFIER.match(name):
        raise ValueError(f"not a plain lower-case identifier: {name!r}")


def _as_superuser(command: list[str | Path]) -> list[str]:
    argv = [str(part) for part in command]
    if _running_as_root():
        return ["runuser", "-u", SUPERUSER, "--", *argv]
    return argv


def _run(
    command: list[str | Path], *, cwd: Path, check: bool = True
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        _as_superuser(command),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=START_TIMEOUT_SECONDS + 30,
        check=False,
    )
    if check and result.returncode != 0:
        raise RuntimeError(
            f"{' '.join(_as_superuser(command))} failed ({result.returncode}):\n"
            f"{result.stdout}\n{result.stderr}"
        )
    return result


def _write_config(data_dir: Path, *, port: int, socket_dir: Path) -> None:
    with (data_dir / "postgresql.conf").open("a", encoding="utf-8") as conf:
        conf.write(
            "\n# planbot test cluster\n"
            f"port = {port}\n"
            "listen_addresses = '127.0.0.1'\n"
            f"unix_socket_directories = '{socket_dir}'\n"
            "fsync = off\n"
            "synchronous_commit = off\n"
            "full_page_writes = off\n"
            "max_connections = 200\n"
            "log_min_messages = warning\n"
        )
    (data_dir / "pg_hba.conf").write_text(
        "# planbot test cluster: trust, loopback and the private socket only\n"
        "local all all trust\n"
        "host all all 127.0.0.1/32 trust\n",
        encoding="utf-8",
    )


def _wait_until_ready(port: int, deadline: float) -> None:
    import psycopg

    conninfo = f"host=127.0.0.1 port={port} user={SUPERUSER} dbname=postgres connect_timeout=2"
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            with psycopg.connect(conninfo) as conn:
                conn.execute("SELECT 1")
            return
        except psycopg.OperationalError as exc:
            last_error = exc
            time.sleep(0.05)
    raise RuntimeError(f"PostgreSQL did not accept connections in time: {last_error}")


def start_or_skip() -> PostgresCluster:
    """A started cluster for a fixture; the test is skipped where none can start here, with
    the reason, and fails instead under CI, which must run the PostgreSQL tests."""
    import pytest

    reason = postgres_unavailable_reason()
    if reason is not None:
        if os.environ.get("CI", "").lower() not in {"", "0", "false", "no"}:
            pytest.fail(f"PostgreSQL is required under CI: {reason}", pytrace=False)
        pytest.skip(f"PostgreSQL unavailable: {reason}")
    cluster = start_postgres()
    assert cluster is not None
    return cluster


def start_postgres() -> PostgresCluster | None:
    """Start a throwaway cluster with the ``planbot_test`` database; None if unavailable."""
    if postgres_unavailable_reason() is not None:
        return None
    bin_dir = _bin_dir()
    assert bin_dir is not None
    began = time.monotonic()
    root = Path(tempfile.mkdtemp(prefix="planbot-pg-"))
    try:
        data_dir, socket_dir = root / "data", root / "run"
        socket_dir.mkdir()
        if _running_as_root():
            user = pwd.getpwnam(SUPERUSER)
            for path in (root, socket_dir):
                os.chown(path, user.pw_uid, user.pw_gid)
        _run(
            [
                bin_dir / "initdb",
                "-D",
                data_dir,
                "-U",
                SUPERUSER,
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C",
                "--no-sync",
                "--no-instructions",
            ],
            cwd=root,
        )
        cluster = _start_server(root, bin_dir, socket_dir)
    except BaseException:
        shutil.rmtree(root, ignore_errors=True)
        raise
    atexit.register(cluster.stop)  # a safety net if the session ends without teardown
    try:
        cluster.create_database(cluster.database)
    except BaseException:
        cluster.stop()
        raise
    cluster.startup_seconds = time.monotonic() - began
    return cluster


def _start_server(root: Path, bin_dir: Path, socket_dir: Path) -> PostgresCluster:
    """Start the server on a free port, trying another port if one was taken meanwhile."""
    data_dir = root / "data"
    original_conf = (data_dir / "postgresql.conf").read_text(encoding="utf-8")
    failure = ""
    for _attempt in range(3):
        port = free_port()
        (data_dir / "postgresql.conf").write_text(original_conf, encoding="utf-8")
        _write_config(data_dir, port=port, socket_dir=socket_dir)
        cluster = PostgresCluster(root=root, bin_dir=bin_dir, port=port)
        result = _run(
            [
                bin_dir / "pg_ctl",
                "-D",
                data_dir,
                "-l",
                cluster.log_file,
                "-w",
                "-t",
                str(START_TIMEOUT_SECONDS),
                "start",
            ],
            cwd=root,
            check=False,
        )
        if result.returncode == 0:
            _wait_until_ready(port, time.monotonic() + START_TIMEOUT_SECONDS)
            return cluster
        log = cluster.log_file.read_text(encoding="utf-8") if cluster.log_file.exists() else ""
        failure = f"{result.stdout}\n{result.stderr}\n{log}"
        if "already in use" not in failure:
            break
    raise RuntimeError(f"pg_ctl start failed:\n{failure}")
