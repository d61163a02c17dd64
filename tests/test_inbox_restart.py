# Over 400 lines: `planbot serve` as a process, killed and restarted, in both modes on both
# databases, with the held response_urls that make the kill land mid-work every time.
"""A request acknowledged is a request done, even when the process is killed right after.

Issue 11, acceptance line 2: the real `planbot serve` (a subprocess, on SQLite and on the
throwaway PostgreSQL, over HTTP and in Socket Mode) acknowledges N `/update` commands; it is
SIGKILLed while its workers are mid-work, and started again. Every update is then recorded
exactly once and every person is answered on their response_url.

What makes it deterministic: the response_urls point at a loopback endpoint of the test's own
that holds every answer until the process is dead. `/update` is a prompt request, done by the
inbox's `PROMPT_WORKERS`; the process is killed once that many answers are held, so at the
kill some updates are recorded and unanswered (their rows `working`, claimed by a pid that is
then gone) and the rest are not even started (rows `waiting`). Answers that reached the
endpoint before the kill are never counted: the killed process's are refused once it is
dead, and only what arrives after that (from the restarted process) is an answer.

`planbot serve` has no setting for its clock, so the plan is made for today: its open
period's update window is open now and its deadline is days away (as bench/planfactory.py
does for the benchmarks).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from sqlalchemy import func, select
from support.fakeslack import FakeSlack
from support.loopback import free_port, holding_endpoint, record_and_answer
from support.slackapp import (
    APP_TOKEN,
    BOT_TOKEN,
    FORM,
    SIGNING_SECRET,
    SocketModeStandIn,
    all_text,
    sign,
    slash_command,
)

from bot.domain.calendar import Cycle
from bot.domain.periods import Period
from bot.domain.planfile import ActionRow, HistoryRow, MeetingRow, PersonRow, PlanFile
from bot.entrypoints.inbox import PROMPT_WORKERS
from bot.services.plans import load_plan
from storage import models as m
from storage.db import Database

N = 12  # commands acknowledged before the kill: three times the workers that take them
PLAN_KEY = "restart"
ADMIN = "U0RSADMIN1"
DIRECTOR = "U0RSDIR001"
DIRECTORATE = "Resilience"
HOLD_CAP_SECONDS = 60.0  # a held answer is let go after this anyway (the test has failed)
DEADLINE_SECONDS = 30.0  # for the server to start, and for the restarted one to finish
# Variables of the caller's environment that would change what the server does.
OURS = ("DATABASE_URL", "SLACK_", "PLANBOT_", "PORT")


def owner(n: int) -> str:
    return f"U0RSOWN{n:03d}"


# -- a plan whose update window is open today --------------------------------------------------


def plan_open_today() -> PlanFile:
    """N actions, ACT-n owned by `owner(n)`, green last quarter, due a year ahead; the open
    period's window opened before today and its deadline is more than three days away."""
    cycle = Cycle()  # what `planbot serve` builds from the default settings
    today = dt.datetime.now(cycle.tz).date()
    open_period = Period.containing(today).previous()
    reported = open_period.previous()
    meeting = next(
        day
        for day in (today + dt.timedelta(days=d) for d in range(1, 120))
        if cycle.calendar.is_working_day(day)
        and cycle.schedule(open_period, day).window_opens < today
        and cycle.schedule(open_period, day).update_deadline > today + dt.timedelta(days=3)
    )
    later = open_period.next()
    people = [
        PersonRow(ADMIN, "Ada Admin", "ada@restart.example", "admin", "Programme Office"),
        PersonRow(DIRECTOR, "Dee Director", "dee@restart.example", "director", DIRECTORATE),
    ] + [
        PersonRow(owner(n), f"Owner {n}", f"o{n}@restart.example", "owner", DIRECTORATE)
        for n in range(1, N + 1)
    ]
    actions = [
        ActionRow(
            ref=f"ACT-{n}",
            title=f"Action {n}",
            theme="Resilience",
            directorate=DIRECTORATE,
            owner=owner(n),
            target_date=today + dt.timedelta(days=400),
        )
        for n in range(1, N + 1)
    ]
    history = [HistoryRow(f"ACT-{n}", reported.key, "green", "On track") for n in range(1, N + 1)]
    meetings = [
        MeetingRow(
            reported.key, cycle.calendar.next_working_day(reported.end + dt.timedelta(days=45))
        ),
        MeetingRow(open_period.key, meeting),
        # The quarter after keeps its window shut today, whatever day of the quarter it is.
        MeetingRow(later.key, cycle.calendar.next_working_day(later.end + dt.timedelta(days=90))),
    ]
    return PlanFile(PLAN_KEY, "Restart Plan", people, actions, meetings, history)


def recorded_notes(db: Database, prefix: str) -> Counter[str]:
    """How many times each note starting with `prefix` is recorded."""
    with db.read_session() as session:
        rows = session.execute(
            select(m.Update.note, func.count(m.Update.id))
            .where(m.Update.note.startswith(prefix))
            .group_by(m.Update.note)
        )
        return Counter({note: int(count) for note, count in rows})


def inbox_states(db: Database) -> Counter[str]:
    with db.read_session() as session:
        return Counter(session.scalars(select(m.InboxItem.state)).all())


# -- the response_urls, held until the killed process is dead ----------------------------------


@dataclass
class ResponseUrls:
    """Stands in for Slack's response_urls. While `holding`, every post is held (its worker
    kept mid-work) and, once let go, refused without being counted: its process is dead.
    After `answer_from_now_on()`, posts are answered 200 and kept in `answers`."""

    url: str = ""
    holding: bool = True
    held: int = 0
    answers: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # path -> bodies
    released: threading.Event = field(default_factory=threading.Event)
    changed: threading.Condition = field(default_factory=threading.Condition)

    def for_request(self, n: int) -> str:
        return f"{self.url}/response/r{n}"

    def wait_until_held(self, count: int) -> None:
        with self.changed:
            if not self.changed.wait_for(lambda: self.held >= count, timeout=DEADLINE_SECONDS):
                raise AssertionError(f"expected {count} answers held, got {self.held}")

    def answer_from_now_on(self) -> None:
        """What arrives from now on is answered; what is held is let go, not counted."""
        with self.changed:
            self.holding = False
        self.released.set()

    def answered(self) -> dict[str, list[dict[str, Any]]]:
        with self.changed:
            return {path: list(bodies) for path, bodies in self.answers.items()}


@pytest.fixture
def response_urls() -> Iterator[ResponseUrls]:
    state = ResponseUrls()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            with state.changed:
                held = state.holding
                if held:
                    state.held += 1
                    state.changed.notify_all()
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            if held:
                state.released.wait(HOLD_CAP_SECONDS)
                self.send_response(503)  # its process is gone; nobody reads this
                self.end_headers()
                return
            record_and_answer(
                self,
                state,
                lambda: state.answers.setdefault(self.path, []).append(json.loads(body)),
            )

    with holding_endpoint(Handler, state):
        yield state


# -- planbot serve, as a process -------------------------------------------------------------


@dataclass
class Serving:
    """One `planbot serve` process; `url` is its HTTP address (None in Socket Mode)."""

    process: subprocess.Popen[bytes]
    log_path: Path
    url: str | None

    @property
    def pid(self) -> int:
        return self.process.pid

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]

    def end(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=10)


def wait_until(what: str, done: Callable[[], bool], serving: Serving | None = None) -> None:
    """Poll `done()` every 20 ms for DEADLINE_SECONDS at most."""
    deadline = time.monotonic() + DEADLINE_SECONDS
    while not done():
        if serving is not None and serving.process.poll() is not None:
            raise AssertionError(f"planbot serve exited while {what}:\n{serving.log()}")
        if time.monotonic() > deadline:
            log = f":\n{serving.log()}" if serving is not None else ""
            raise AssertionError(f"not done within {DEADLINE_SECONDS:g}s: {what}{log}")
        time.sleep(0.02)


@dataclass
class Launcher:
    """Starts `planbot serve` against one database and the fake Slack, in one mode."""

    mode: str  # "http" or "socket_mode"
    database_url: str
    fake: FakeSlack
    workdir: Path
    stand_in: SocketModeStandIn | None = None
    started: list[Serving] = field(default_factory=list)

    def start(self) -> Serving:
        env = {k: v for k, v in os.environ.items() if not k.startswith(OURS)}
        env.update(
            DATABASE_URL=self.database_url,
            SLACK_API_URL=self.fake.url,
            SLACK_BOT_TOKEN=BOT_TOKEN,
            PLANBOT_PLAN=PLAN_KEY,
            PYTHONUNBUFFERED="1",
        )
        argv = [sys.executable, "-m", "bot", "serve"]
        url = None
        if self.mode == "http":
            port = free_port()
            env["SLACK_SIGNING_SECRET"] = SIGNING_SECRET
            argv += ["--http", "--host", "127.0.0.1", "--port", str(port)]
            url = f"http://127.0.0.1:{port}"
        else:
            env["SLACK_APP_TOKEN"] = APP_TOKEN
        log_path = self.workdir / f"serve-{len(self.started) + 1}.log"
        with log_path.open("wb") as log:
            # cwd: a directory without a .env file of its own
            process = subprocess.Popen(
                argv, env=env, cwd=self.workdir, stdout=log, stderr=subprocess.STDOUT
            )
        serving = Serving(process, log_path, url)
        self.started.append(serving)
        if url is not None:
            wait_until("starting", lambda: _healthy(url), serving)
        else:
            assert self.stand_in is not None
            connections = len(self.started)
            wait_until(
                "connecting in Socket Mode",
                lambda: self.stand_in is not None and self.stand_in.connections >= connections,
                serving,
            )
        return serving

    def end_all(self) -> None:
        for serving in self.started:
            serving.end()


def _healthy(url: str) -> bool:
    try:
        return httpx.get(f"{url}/healthz", timeout=1).status_code == 200
    except httpx.TransportError:
        return False


# -- what Slack sends ------------------------------------------------------------------------


def send_and_wait_for_acks(
    launcher: Launcher, serving: Serving, commands: list[dict[str, str]]
) -> None:
    """Deliver every command as Slack would in this mode; return once each is acknowledged."""
    if serving.url is not None:
        with httpx.Client(base_url=serving.url, timeout=10) as http:
            for fields in commands:
                body = urlencode(fields).encode()
                stamp = int(time.time())
                response = http.post(
                    "/slack/events",
                    content=body,
                    headers={
                        "Content-Type": FORM,
                        "X-Slack-Request-Timestamp": str(stamp),
                        "X-Slack-Signature": sign(body, stamp),
                    },
                )
                assert (response.status_code, response.text) == (200, ""), response.text
        return
    assert launcher.stand_in is not None
    envelopes = [launcher.stand_in.send("slash_commands", fields) for fields in commands]
    for envelope in envelopes:
        assert launcher.stand_in.ack_for(envelope, timeout=10) == {"envelope_id": envelope}


# -- the test --------------------------------------------------------------------------------


@pytest.fixture(params=["http", "socket_mode"])
def launcher(
    request: pytest.FixtureRequest, db_url: str, fake_slack: FakeSlack, tmp_path: Path
) -> Iterator[Launcher]:
    db = Database(db_url)
    db.upgrade()  # as `planbot db upgrade` does
    load_plan(db=db, plan_file=plan_open_today(), now=dt.datetime.now(dt.UTC))
    db.dispose()
    stand_in = None
    if request.param == "socket_mode":
        stand_in = SocketModeStandIn().start()
        fake_slack.socket_url = stand_in.url  # what apps.connections.open answers
    launcher = Launcher(request.param, db_url, fake_slack, tmp_path, stand_in)
    try:
        yield launcher
    finally:
        launcher.end_all()
        if stand_in is not None:
            stand_in.stop()


def test_commands_acknowledged_before_a_sigkill_are_recorded_once_and_answered_after_restart(
    launcher: Launcher, response_urls: ResponseUrls
) -> None:
    db = Database(launcher.database_url)
    prefix = f"restart {uuid.uuid4().hex[:8]}"
    notes = {n: f"{prefix} note {n}" for n in range(1, N + 1)}
    commands = [
        slash_command(
            owner(n),
            "/update",
            f"ACT-{n} green {notes[n]}",
            response_url=response_urls.for_request(n),
        )
        for n in range(1, N + 1)
    ]
    try:
        first = launcher.start()
        send_and_wait_for_acks(launcher, first, commands)
        # Every worker that takes /update is mid-answer, the answer held: kill it now.
        response_urls.wait_until_held(PROMPT_WORKERS)
        os.kill(first.pid, signal.SIGKILL)
        first.process.wait(timeout=10)  # reaped: its pid is gone, as after a real kill
        response_urls.answer_from_now_on()

        # Not all were done: nobody was answered; each held worker had recorded its update
        # (its row `working`), and the rest were not started (`waiting`).
        assert response_urls.answered() == {}
        at_kill = recorded_notes(db, prefix)
        assert list(at_kill.values()) == [1] * PROMPT_WORKERS, at_kill
        assert inbox_states(db) == Counter(
            {"working": PROMPT_WORKERS, "waiting": N - PROMPT_WORKERS}
        )

        second = launcher.start()
        wanted = {f"/response/r{n}" for n in range(1, N + 1)}
        wait_until(
            "answering everyone and recording every update",
            lambda: (
                set(response_urls.answered()) >= wanted
                and set(recorded_notes(db, prefix)) == set(notes.values())
                and set(inbox_states(db)) == {"done"}
            ),
            second,
        )

        assert recorded_notes(db, prefix) == Counter(notes.values())
        answered = response_urls.answered()
        for n in range(1, N + 1):
            [answer] = answered[f"/response/r{n}"]
            assert answer["response_type"] == "ephemeral"
            assert f"Recorded ACT-{n}" in all_text(answer), all_text(answer)
            assert notes[n] in all_text(answer), all_text(answer)
        assert inbox_states(db) == Counter({"done": N})
    finally:
        launcher.end_all()
        db.dispose()
