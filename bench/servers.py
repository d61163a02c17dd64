"""Databases and server processes for the benchmarks: planbot itself and the bare-Bolt floor."""

from __future__ import annotations

import datetime as dt
import os
import socket
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import httpx
from planfactory import PLAN_KEY, BenchPlan
from sqlalchemy import func, select

from bot.delivery.reminders import run_tick
from bot.notifier import Notifier, make_client
from bot.runtime import Runtime, build_runtime
from bot.services.plans import load_plan
from bot.settings import Settings
from storage import models as m
from storage.db import Database

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
SIGNING_SECRET = "bench-signing-secret-8f742231b10e"
BOT_TOKEN = "xoxb-planbot-bench"
# Variables of the caller's environment that would change what the servers do.
_OURS = ("DATABASE_URL", "SLACK_", "PLANBOT_", "PORT")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def prepare_database(url: str, plan: BenchPlan) -> Database:
    """Migrate a fresh database as `planbot db upgrade` does and load the plan into it."""
    db = Database(url)
    db.upgrade()
    load_plan(db=db, plan_file=plan.plan, now=dt.datetime.now(dt.UTC))
    return db


def make_runtime(db: Database, api_url: str, *, max_retries: int = 4) -> Runtime:
    """The runtime `planbot serve` builds, in this process, pointed at the fake Slack."""
    settings = Settings(
        database_url=db.url,
        slack_bot_token=BOT_TOKEN,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=api_url,
        planbot_plan=PLAN_KEY,
        _env_file=None,
    )
    client = make_client(token=BOT_TOKEN, base_url=api_url, max_retries=max_retries)
    return build_runtime(settings, db=db, notifier=Notifier(client))


def send_due_reminders(db: Database, api_url: str) -> int:
    """Send today's reminders now, so a server's first scheduler tick finds nothing to do
    whatever the time of day the benchmark runs at."""
    runtime = make_runtime(db, api_url)
    report = run_tick(runtime, runtime.now(), pace=0)
    return len(report.sent)


def count_updates(db: Database, source: str = "command") -> int:
    with db.session() as session:
        return int(
            session.scalar(select(func.count(m.Update.id)).where(m.Update.source == source)) or 0
        )


def recorded_notes(db: Database, prefix: str, source: str = "command") -> Counter[str]:
    """How many times each note starting with `prefix` was recorded (by `source`)."""
    with db.session() as session:
        rows = session.execute(
            select(m.Update.note, func.count(m.Update.id))
            .where(m.Update.source == source, m.Update.note.startswith(prefix))
            .group_by(m.Update.note)
        )
        return Counter({note: int(n) for note, n in rows})


def wait_for_updates(db: Database, expected: int, *, timeout: float = 120.0) -> tuple[int, float]:
    """Poll until `expected` command updates are recorded (or none arrive for 10 s, or
    `timeout` passes): the count, and the monotonic time the last one was seen."""
    deadline = time.monotonic() + timeout
    seen, last_change = -1, time.monotonic()
    while time.monotonic() < deadline:
        count = count_updates(db)
        now = time.monotonic()
        if count != seen:
            seen, last_change = count, now
        if count >= expected or now - last_change > 10:
            break
        time.sleep(0.05)
    return seen, last_change


def rss_mb(pid: int) -> float:
    """Resident set size of a process, in MB (from /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def cpu_seconds(pid: int) -> float:
    """User and system CPU time a process has used, in seconds (from /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(_OURS)}
    env.update(extra)
    return env


def _planbot_command() -> list[str]:
    script = Path(sys.executable).parent / "planbot"
    return [str(script)] if script.exists() else [sys.executable, "-m", "bot"]


@dataclass
class Server:
    """A server process on loopback."""

    process: subprocess.Popen[bytes]
    url: str
    startup_s: float
    log: IO[bytes]

    @property
    def pid(self) -> int:
        return self.process.pid

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.log.close()

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def _wait_ready(process: subprocess.Popen[bytes], url: str, path: str, log: Path) -> float:
    """Seconds from `began` until `path` answers 200 (GET), polling every 10 ms."""
    deadline = time.monotonic() + 60
    with httpx.Client(base_url=url, timeout=2) as client:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"the server exited at start-up; see {log}:\n{log.read_text()}")
            try:
                if client.get(path).status_code == 200:
                    return time.monotonic()
            except httpx.TransportError:
                pass
            time.sleep(0.01)
    raise RuntimeError(f"the server did not answer {path} within 60 s; see {log}")


def start_planbot(database_url: str, api_url: str, workdir: Path, *, threads: int = 8) -> Server:
    """`planbot serve --http` as a subprocess; start-up is timed from launch to `/healthz` 200."""
    port = free_port()
    env = _clean_env(
        DATABASE_URL=database_url,
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=api_url,
        PLANBOT_PLAN=PLAN_KEY,
    )
    log_path = workdir / f"planbot-serve-{port}.log"
    log = log_path.open("wb")
    argv = [
        *_planbot_command(),
        "serve",
        "--http",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--threads",
        str(threads),
    ]
    began = time.monotonic()
    process = subprocess.Popen(argv, env=env, cwd=workdir, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        ready = _wait_ready(process, url, "/healthz", log_path)
    except BaseException:
        process.kill()
        process.wait()
        log.close()
        raise
    return Server(process, url, ready - began, log)


def start_floor(api_url: str, workdir: Path, *, deferred: bool = False) -> Server:
    """The bare async Bolt app on uvicorn (bench/floor_app.py)."""
    port = free_port()
    log_path = workdir / f"floor-{port}.log"
    log = log_path.open("wb")
    argv = [
        sys.executable,
        str(BENCH / "floor_app.py"),
        "--port",
        str(port),
        "--signing-secret",
        SIGNING_SECRET,
        "--api-url",
        api_url,
    ]
    if deferred:
        argv.append("--deferred")
    began = time.monotonic()
    process = subprocess.Popen(
        argv, env=_clean_env(), cwd=workdir, stdout=log, stderr=subprocess.STDOUT
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        if process.poll() is not None:
            log.close()
            raise RuntimeError(f"the floor app exited at start-up; see {log_path}")
        try:
            # Bolt's ASGI adapter answers 404 on any other path: it is up.
            httpx.get(url + "/", timeout=2)
            break
        except httpx.TransportError:
            if time.monotonic() > deadline:
                process.kill()
                log.close()
                raise RuntimeError(f"the floor app did not start; see {log_path}") from None
            time.sleep(0.01)
    return Server(process, url, time.monotonic() - began, log)
