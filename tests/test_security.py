# Over 400 lines: hostile input on every surface, one case each.
"""The security pass: who may do what, signatures and replays, mention and mrkdwn injection,
formula (and markup) injection in exports, secrets kept out of logs and error messages, and
the Docker image's user.

Every permission cell goes through the real Bolt app behind the real HTTP server with signed
requests (import has no Slack path at all: that is asserted, and that the CLI needs the
database itself). A refusal changes nothing: every row of every table is compared.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import openpyxl
import pytest
from sqlalchemy import select, update
from support.context import ctx
from support.fakeslack import Call, FakeSlack, Fault
from support.httpserver import start_http_server
from support.loopback import free_port
from support.slackapp import (
    BOT_TOKEN,
    HELEN,
    IN_Q3_WINDOW,
    KWAME,
    MARK,
    PRIYA,
    SIGNING_SECRET,
    SINEAD,
    STRANGER,
    TOM,
    Bot,
    all_text,
    app_home_opened,
    input_values,
    running_bot,
    sign,
    slash_command,
    update_count,
    updates_of,
    view_submission,
    wait_for,
)
from typer.testing import CliRunner

from bot.app import create_app
from bot.cli import app as cli_app
from bot.delivery.reminders import run_tick
from bot.domain.periods import Period
from bot.domain.status import DEFAULT_SCHEME
from bot.entrypoints.http import PlanbotWSGI
from bot.entrypoints.inbox import Inbox
from bot.manifest import build_manifest
from bot.model.report import ReportAudience
from bot.notifier import FileToUpload, Notifier, make_client
from bot.planio import SAMPLE_PLAN, read_plan
from bot.render.report_html import render_html
from bot.render.update_form import render_update_modal
from bot.runtime import Runtime, build_runtime
from bot.services.actions import update_form
from bot.services.digest import compile_digest
from bot.services.plans import load_plan
from bot.settings import Settings, get_settings
from storage import models as m
from storage.db import Database

REPO = SAMPLE_PLAN.parent.parent
LOADED_AT = dt.datetime(2019, 12, 2, 9, 0, tzinfo=dt.UTC)
Q3 = "2019-20-Q3"
DIGEST_CHANNEL = "C0DIGEST01"


# -- a bot of our own: settings with a digest channel, secrets chosen by the test -------------


def runtime_for(
    db: Database,
    fake: FakeSlack,
    *,
    token: str = BOT_TOKEN,
    secret: str = SIGNING_SECRET,
) -> Runtime:
    settings = Settings(
        database_url=db.url,
        slack_bot_token=token,
        slack_signing_secret=secret,
        slack_api_url=fake.url,
        planbot_digest_channel=DIGEST_CHANNEL,
        _env_file=None,
    )
    fake.add_channel(DIGEST_CHANNEL, name="joint-committee")  # planbot was invited to it
    client = make_client(token=token, base_url=fake.url, backoff_factor=0.01, timeout=5)
    return build_runtime(settings, db=db, clock=lambda: IN_Q3_WINDOW, notifier=Notifier(client))


@dataclass
class SignedBot(Bot):
    """A `Bot` whose requests are signed with the signing secret it was started with."""

    secret: str = SIGNING_SECRET

    def post(
        self,
        body: bytes,
        content_type: str,
        *,
        timestamp: int | None = None,
        secret: str | None = None,
        signature: str | None = None,
        signed: bool = True,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        return super().post(
            body,
            content_type,
            timestamp=timestamp,
            secret=secret or self.secret,
            signature=signature,
            signed=signed,
            headers=headers,
        )


@contextmanager
def serving(runtime: Runtime, fake: FakeSlack, secret: str = SIGNING_SECRET) -> Iterator[Bot]:
    """The real app and HTTP server for `runtime`, as `support.slackapp.running_bot`."""
    inbox = Inbox(runtime)
    app = create_app(runtime, signing_secret=secret, inbox=inbox)
    server = start_http_server(PlanbotWSGI(app, db=runtime.db))
    try:
        with httpx.Client(base_url=server.url, timeout=10) as http:
            yield SignedBot(runtime=runtime, fake=fake, server=server, http=http, secret=secret)
    finally:
        server.stop()
        inbox.wait_idle()
        inbox.stop()


@pytest.fixture
def light_reports(monkeypatch: pytest.MonkeyPatch) -> None:
    """Word, Excel and chart files replaced by a small one: who may see a report is decided
    before any file is made, and rendering them takes most of a second each time."""

    def one_file(_digest: Any) -> list[FileToUpload]:
        return [FileToUpload("report.txt", b"report", "Report")]

    monkeypatch.setattr("handlers.digest.report_files", one_file)
    monkeypatch.setattr("bot.delivery.publication.report_files", one_file)


def snapshot(db: Database) -> list[list[tuple[Any, ...]]]:
    """Every row of every table but the inbox (each request's own record, whatever it
    asked for: a refused one is stored and done like any other)."""
    with db.session() as session:
        return [
            [tuple(row) for row in session.execute(select(*t.c).order_by(*t.c))]
            for t in m.Base.metadata.sorted_tables
            if t.name != m.InboxItem.__tablename__
        ]


# -- 1. who may do what ----------------------------------------------------------------------

ROLES = {
    "owner": SINEAD,  # owns ACT-12 (HR & OD)
    "delegate": TOM,  # Sinead's delegate (an owner in Business Services)
    "director": MARK,  # director of HR & OD, ACT-12's directorate
    "other director": HELEN,  # director of Business Services
    "admin": PRIYA,  # the programme office
    "stranger": STRANGER,  # not in the plan
}

# Y: allowed, N: refused (privately, with a reason, changing nothing).
PERMISSIONS = """
operation              owner  delegate  director  other-director  admin  stranger
update                   Y       Y         Y            N           Y       N
amend-locked-period      N       N         N            N           Y       N
digest-directorate       Y       Y         Y            Y           Y       N
digest-whole-plan        Y       Y         Y            Y           Y       N
digest-names-visible     N       N         Y            Y           Y       N
publish                  N       N         N            N           Y       N
away                     Y       Y         Y            Y           Y       N
import                   N       N         N            N           N       N
"""


def _cells() -> list[Any]:
    lines = [line.split() for line in PERMISSIONS.strip().splitlines()]
    roles = list(ROLES)
    assert len(lines[0]) == len(roles) + 1
    return [
        pytest.param(op, role, flag == "Y", id=f"{op}-{role.replace(' ', '-')}")
        for op, *flags in lines[1:]
        for role, flag in zip(roles, flags, strict=True)
    ]


@pytest.fixture(scope="module")
def permissions_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample plan on SQLite, Tom named as Sinead's delegate; copied for each cell."""
    path = tmp_path_factory.mktemp("permissions") / "planbot.db"
    db = Database(f"sqlite:///{path}")
    db.create_all()
    load_plan(db=db, plan_file=read_plan(SAMPLE_PLAN), now=LOADED_AT)
    with db.session() as session:
        people = {p.slack_id: p for p in session.scalars(select(m.Person))}
        people[SINEAD].delegate = people[TOM]
    db.dispose()  # checkpoints the WAL into the file
    return path


@pytest.fixture
def cell_bot(
    permissions_template: Path, tmp_path: Path, fake_slack: FakeSlack, light_reports: None
) -> Iterator[Bot]:
    path = tmp_path / "planbot.db"
    shutil.copyfile(permissions_template, path)
    db = Database(f"sqlite:///{path}")
    try:
        with serving(runtime_for(db, fake_slack), fake_slack) as bot:
            yield bot
    finally:
        db.dispose()


def lock_q3(db: Database) -> None:
    with db.session() as session:
        session.execute(update(m.Period).where(m.Period.key == Q3).values(locked_at=LOADED_AT))


def reply_text(bot: Bot, response: httpx.Response) -> str:
    assert response.status_code == 200
    [reply] = bot.replies_to(response)
    assert reply["response_type"] == "ephemeral"
    return all_text(reply)


def refused(said: str) -> bool:
    return said.lstrip().startswith(":no_entry:")


def op_update(bot: Bot, user: str) -> bool:
    said = reply_text(bot, bot.command(user, "/update", "ACT-12 green Security table"))
    recorded = updates_of(bot.db, "ACT-12")[-1].note == "Security table"
    assert recorded == ("Recorded ACT-12" in said) != refused(said), said
    return recorded


def prepare_amend(bot: Bot) -> None:
    lock_q3(bot.db)


def op_amend(bot: Bot, user: str) -> bool:
    # The programme office's form for the locked period, submitted by `user` (for anyone but
    # the programme office, a form they could not have opened: the server decides).
    form = update_form(bot.runtime.request(PRIYA, now=IN_Q3_WINDOW), ref="ACT-12", period=Q3)
    view = render_update_modal(form.draft, DEFAULT_SCHEME, periods=form.periods)
    view = {**view, "id": f"V0AMEND{user}", "hash": "1.amend", "state": {"values": {}}}
    values = input_values(
        view, status="green", note="Amended", period=Q3, amendment_reason="Typo in the figure"
    )
    response = bot.interact(view_submission(user, view, values))
    assert response.status_code == 200
    [told] = bot.dms_to(user)
    amended = [u for u in updates_of(bot.db, "ACT-12") if u.amendment_reason]
    said = all_text(told)
    assert bool(amended) == ("recorded as" in said) != refused(said), said
    if amended:
        assert (amended[0].period_key, amended[0].note) == (Q3, "Amended")
    return bool(amended)


def _digest(bot: Bot, user: str, text: str) -> str | None:
    """The report's text as the person sees it, or None when refused."""
    said = reply_text(bot, bot.command(user, "/digest", text))
    if refused(said):
        return None
    assert "*Summary*" in said, said
    return said


def op_digest_directorate(bot: Bot, user: str) -> bool:
    said = _digest(bot, user, "Q3 2019/20 directorate:HR & OD")
    if said is not None:
        assert "Finance" not in said.split("*By theme*")[0]  # HR & OD's actions only
    return said is not None


def op_digest_whole_plan(bot: Bot, user: str) -> bool:
    said = _digest(bot, user, "Q3 2019/20 all")
    if said is not None:
        assert "Finance &amp; savings" in said  # every theme, not only the caller's
    return said is not None


def op_digest_names_visible(bot: Bot, user: str) -> bool:
    said = _digest(bot, user, "Q3 2019/20 all")
    # Kwame has sent nothing for Q3: the draft names him, and comes with the files; the
    # committee's version says "no update received" and names nobody.
    named = said is not None and "Kwame Mensah" in said
    if named:
        bot.fake.wait_for_calls("files.completeUploadExternal")
    else:
        time.sleep(0.1)  # the listener has answered; give a file the time to show up
        assert bot.fake.calls_to("files.completeUploadExternal") == []
    return named


def op_publish(bot: Bot, user: str) -> bool:
    said = reply_text(bot, bot.command(user, "/digest", "publish"))
    with bot.db.session() as session:
        locked = session.scalars(select(m.Period.key).where(m.Period.locked_at.is_not(None)))
        locked_keys = list(locked)
    posted = [
        c for c in bot.fake.calls_to("chat.postMessage") if c.args["channel"] == DIGEST_CHANNEL
    ]
    published = said.startswith("Published")
    assert bool(locked_keys) == bool(posted) == published != refused(said), said
    return published


def op_away(bot: Bot, user: str) -> bool:
    said = reply_text(bot, bot.command(user, "/planbot", "away 13/01/2020 17/01/2020"))
    with bot.db.session() as session:
        person = session.scalar(select(m.Person).where(m.Person.slack_id == user))
        away = person is not None and person.away_from == dt.date(2020, 1, 13)
    assert away != refused(said), said
    return away


def op_import(bot: Bot, user: str) -> bool:
    said = reply_text(bot, bot.command(user, "/planbot", "import plan.xlsx"))
    assert refused(said) and "import" in said, said
    return False


OPERATIONS: dict[str, tuple[Callable[[Bot], None] | None, Callable[[Bot, str], bool]]] = {
    "update": (None, op_update),
    "amend-locked-period": (prepare_amend, op_amend),
    "digest-directorate": (None, op_digest_directorate),
    "digest-whole-plan": (None, op_digest_whole_plan),
    "digest-names-visible": (None, op_digest_names_visible),
    "publish": (None, op_publish),
    "away": (None, op_away),
    "import": (None, op_import),
}


@pytest.mark.parametrize(("operation", "role", "allowed"), _cells())
def test_who_may_do_what(cell_bot: Bot, operation: str, role: str, allowed: bool) -> None:
    prepare, act = OPERATIONS[operation]
    if prepare is not None:
        prepare(cell_bot)
    before = snapshot(cell_bot.db)

    done = act(cell_bot, ROLES[role])

    assert done == allowed
    if not allowed:
        assert snapshot(cell_bot.db) == before  # nothing changed
        channel_posts = [
            c for c in cell_bot.fake.calls_to("chat.postMessage") if c.args["channel"][:1] == "C"
        ]
        assert channel_posts == []
        assert cell_bot.fake.calls_to("files.completeUploadExternal") == []


def test_the_permissions_table_covers_every_role_and_operation() -> None:
    cells = {(p.values[0], p.values[1]) for p in _cells()}
    assert cells == {(op, role) for op in OPERATIONS for role in ROLES}


def test_there_is_no_slack_path_to_import_a_plan() -> None:
    manifest = build_manifest(request_url="https://planbot.example.gov.uk")
    commands = {c["command"] for c in manifest["features"]["slash_commands"]}
    assert commands == {"/update", "/actions", "/digest", "/planbot"}
    assert "import" not in json.dumps(manifest).lower()


def test_the_cli_import_needs_the_database_itself_and_hides_its_password(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # no .env
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    url = f"postgresql+psycopg://planbot:Pa55-db-SECRET@127.0.0.1:{port}/planbot"
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(
            cli_app, ["import", str(SAMPLE_PLAN)], env={"DATABASE_URL": url}
        )
    finally:
        get_settings.cache_clear()

    assert result.exit_code == 1
    assert "cannot reach the database" in result.stderr
    assert "Pa55-db-SECRET" not in result.output + result.stderr
    assert "***" in result.stderr


# -- 2. signatures and replays ---------------------------------------------------------------


def _bad_headers(body: bytes) -> dict[str, dict[str, str]]:
    now = int(time.time())
    good = sign(body, now)
    return {
        "wrong secret": {"ts": str(now), "sig": sign(body, now, "not-the-secret")},
        "six minutes old": {"ts": str(now - 360), "sig": sign(body, now - 360)},
        "six minutes ahead": {"ts": str(now + 360), "sig": sign(body, now + 360)},
        "another body's": {"ts": str(now), "sig": sign(body + b"&x=1", now)},
        "another timestamp's": {"ts": str(now - 1), "sig": good},
        "v1 scheme": {"ts": str(now), "sig": "v1=" + good[3:]},
        "upper-case hex": {"ts": str(now), "sig": "v0=" + good[3:].upper()},
        "no signature": {"ts": str(now), "sig": ""},
        "no timestamp": {"ts": "", "sig": good},
        "timestamp not a number": {"ts": f"{now}.0", "sig": good},
    }


def test_bad_or_stale_signatures_get_401_and_change_nothing(cell_bot: Bot) -> None:
    fields = slash_command(
        SINEAD, "/update", "ACT-12 green Forged", response_url=cell_bot.fake.response_url("f")
    )
    body = urlencode(fields).encode()
    before = snapshot(cell_bot.db)
    for name, bad in _bad_headers(body).items():
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        if bad["ts"]:
            headers["X-Slack-Request-Timestamp"] = bad["ts"]
        if bad["sig"]:
            headers["X-Slack-Signature"] = bad["sig"]
        response = cell_bot.http.post("/slack/events", content=body, headers=headers)
        assert response.status_code == 401, name
        assert "Forged" not in response.text and SIGNING_SECRET not in response.text
    assert snapshot(cell_bot.db) == before
    assert cell_bot.web_api_calls() == []


def test_a_replayed_update_command_records_once_however_it_is_replayed(
    sample_db: Database, fake_slack: FakeSlack
) -> None:
    # One command as Slack sent it (one trigger_id), captured and replayed byte for byte,
    # one after another and all at once, within the five minutes its signature is good for.
    fields = slash_command(
        SINEAD, "/update", "ACT-12 green Sent once", response_url=fake_slack.response_url("r")
    )
    body = urlencode(fields).encode()
    stamp = int(time.time())
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": str(stamp),
        "X-Slack-Signature": sign(body, stamp),
    }
    before = update_count(sample_db)
    with running_bot(sample_db, fake_slack) as bot:
        first = bot.http.post("/slack/events", content=body, headers=headers)
        again = bot.http.post("/slack/events", content=body, headers=headers)
        with ThreadPoolExecutor(max_workers=6) as pool:
            burst = list(
                pool.map(
                    lambda _: bot.http.post("/slack/events", content=body, headers=headers),
                    range(6),
                )
            )
        assert [r.status_code for r in [first, again, *burst]] == [200] * 8
        wait_for(lambda: fake_slack.calls_to("response_url"))
        bot.home_of(SINEAD)
    assert update_count(sample_db) == before + 1
    assert [u.note for u in updates_of(sample_db, "ACT-12")].count("Sent once") == 1
    assert len(fake_slack.calls_to("response_url")) == 1  # one confirmation
    assert len(fake_slack.calls_to("views.publish")) == 1


def test_a_replayed_form_submission_records_once(
    sample_db: Database, fake_slack: FakeSlack
) -> None:
    with running_bot(sample_db, fake_slack) as bot:
        bot.command(KWAME, "/update", "ACT-13")
        view = bot.opened_view()
        payload = view_submission(KWAME, view, input_values(view, status="green", note="Once"))
        body = urlencode({"payload": json.dumps(payload)}).encode()
        stamp = int(time.time())
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Slack-Request-Timestamp": str(stamp),
            "X-Slack-Signature": sign(body, stamp),
        }
        with ThreadPoolExecutor(max_workers=4) as pool:
            responses = list(
                pool.map(
                    lambda _: bot.http.post("/slack/events", content=body, headers=headers),
                    range(4),
                )
            )
        assert [r.status_code for r in responses] == [200] * 4
        bot.dms_to(KWAME)
        bot.home_of(KWAME)
    assert [u.note for u in updates_of(sample_db, "ACT-13")].count("Once") == 1
    assert len(fake_slack.calls_to("chat.postMessage")) == 1


def test_a_replayed_publish_command_publishes_once(cell_bot: Bot) -> None:
    fields = slash_command(
        PRIYA, "/digest", "publish", response_url=cell_bot.fake.response_url("p")
    )
    body = urlencode(fields).encode()
    stamp = int(time.time())
    for _ in range(3):
        response = cell_bot.post(body, "application/x-www-form-urlencoded", timestamp=stamp)
        assert response.status_code == 200
    wait_for(lambda: cell_bot.fake.calls_to("response_url"))
    # A second publication would be posted as "Re-published with amendments" with none.
    later = cell_bot.command(PRIYA, "/actions", "")  # let the replays' listeners finish
    cell_bot.replies_to(later)
    posts = [
        c for c in cell_bot.fake.calls_to("chat.postMessage") if c.args["channel"] == DIGEST_CHANNEL
    ]
    assert [c.args["text"].split(":")[0] for c in posts] == ["Published"]
    assert len(cell_bot.fake.calls_to("response_url")) == 2  # one answer, and /actions'


# -- 3. mention and mrkdwn injection ---------------------------------------------------------

HOSTILE = (
    "<!channel> <!here> <!everyone> <@U0BS00002> <#C0PLANBOT|general> "
    "<http://evil.example|click> <!subteam^S0ALL|@all> & *bold* `x`"
)
RAW_MARKERS = ("<!channel>", "<!here>", "<!everyone>", "<@U0BS00002", "<#C0PLANBOT", "<http://evil")


def hostile_plan() -> Any:
    """The sample plan with mrkdwn control sequences in its name, a directorate, a theme, two
    titles, a person's name and every note."""
    plan = read_plan(SAMPLE_PLAN)
    hr, people_theme = "HR & OD", "People, leadership & culture"

    def directorate(name: str) -> str:
        return f"{name} <!channel>" if name == hr else name

    return replace(
        plan,
        name=f"Plan <!everyone> & {plan.name}",
        actions=[
            replace(
                a,
                title=f"{a.title} {HOSTILE}" if a.ref in {"ACT-12", "ACT-13"} else a.title,
                directorate=directorate(a.directorate),
                theme="People <!here> & culture" if a.theme == people_theme else a.theme,
            )
            for a in plan.actions
        ],
        people=[
            replace(
                p,
                name=f"Sinead {HOSTILE}" if p.slack_id == SINEAD else p.name,
                directorate=directorate(p.directorate),
            )
            for p in plan.people
        ],
        history=[replace(h, note=f"{h.note} {HOSTILE}") for h in plan.history],
    )


def _shown_texts(value: Any, key: str = "") -> Iterator[str]:
    """The strings Slack shows as mrkdwn or message text: `text` fields (a message's fallback,
    mrkdwn objects) and a file's `initial_comment`; plain_text objects (Slack parses nothing
    in them) and an input's `initial_value` (the person's own words, handed back) aside."""
    if isinstance(value, dict):
        if value.get("type") == "plain_text":
            return
        for k, item in value.items():
            yield from _shown_texts(item, str(k))
    elif isinstance(value, list):
        for item in value:
            yield from _shown_texts(item, key)
    elif isinstance(value, str) and key in {"text", "initial_comment"}:
        yield value


def assert_nothing_typed_reaches_slack_unescaped(fake: FakeSlack) -> int:
    """No mention, channel link, broadcast or link that people typed, and no bare `&`, in
    any text or mrkdwn field of any call to Slack; returns how many texts were checked."""
    checked = 0
    for call in fake.calls:
        for text in _shown_texts(call.args):
            for marker in RAW_MARKERS:
                assert marker not in text, (call.method, text)
            assert not re.search(r"&(?!amp;|lt;|gt;)", text), (call.method, text)
            checked += 1
    return checked


def test_mentions_and_mrkdwn_in_notes_titles_and_names_never_reach_slack_unescaped(
    tmp_path: Path, fake_slack: FakeSlack, light_reports: None
) -> None:
    db = Database(f"sqlite:///{tmp_path / 'planbot.db'}")
    db.create_all()
    load_plan(db=db, plan_file=hostile_plan(), now=LOADED_AT)
    runtime = runtime_for(db, fake_slack)
    with serving(runtime, fake_slack) as bot:
        # Typed in a command (Slack sends it as markup), and in the form (as typed).
        bot.replies_to(bot.command(SINEAD, "/update", f"ACT-12 amber {HOSTILE}"))
        bot.command(MARK, "/update", "ACT-9")  # for Sinead: she is told by DM
        view = bot.opened_view()
        bot.interact(
            view_submission(
                MARK,
                view,
                input_values(view, status="amber", note=HOSTILE, revised=dt.date(2020, 6, 30)),
            )
        )
        bot.dms_to(MARK)
        bot.dms_to(SINEAD)
        # Read back everywhere: history, lists, Homes, the report, its publication.
        for user, command, text in [
            (TOM, "/actions", "ACT-12"),
            (SINEAD, "/actions", ""),
            (MARK, "/actions", ""),
            (MARK, "/digest", ""),
            (PRIYA, "/digest", "all"),
            (SINEAD, "/digest", "all"),
            (PRIYA, "/digest", "publish Q2 2019/20"),
            (STRANGER, "/update", f"ACT-12 green {HOSTILE}"),
        ]:
            bot.replies_to(bot.command(user, command, text))
        bot.event(app_home_opened(SINEAD))
        bot.event(app_home_opened(PRIYA))
        bot.home_of(PRIYA)
    # Reminder DMs and the escalation to directors list the same titles and names.
    tz = runtime.cycle.tz
    for moment in (
        dt.datetime(2020, 1, 16, 9, 30, tzinfo=tz),
        dt.datetime(2020, 1, 27, 9, 30, tzinfo=tz),
    ):
        assert run_tick(runtime, moment, pace=0).sent
    db.dispose()

    posted = {c.args["channel"] for c in fake_slack.calls_to("chat.postMessage")}
    assert {DIGEST_CHANNEL, KWAME, SINEAD, MARK} <= posted  # published, reminded, escalated
    assert assert_nothing_typed_reaches_slack_unescaped(fake_slack) > 100
    shown = "\n".join(t for c in fake_slack.calls for t in _shown_texts(c.args))
    assert "&lt;!channel&gt;" in shown and "&lt;@U0BS00002&gt;" in shown  # shown, as text


# -- 4. formula and markup injection in exports ----------------------------------------------

FORMULAS = [
    '=HYPERLINK("http://evil.example","click")',
    "+1+1",
    "-2+3",
    "@SUM(A1:A2)",
    "\t=1+1",
    "\r=1+1",
    "'=already guarded",
    "=cmd|' /C calc'!A0",
]
TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def formula_plan() -> Any:
    plan = read_plan(SAMPLE_PLAN)
    return replace(
        plan,
        actions=[
            replace(a, title=FORMULAS[i % len(FORMULAS)]) if i < 8 else a
            for i, a in enumerate(plan.actions)
        ],
        people=[replace(p, name=f"=1+{i}") if i < 3 else p for i, p in enumerate(plan.people)],
        history=[replace(h, note=FORMULAS[i % len(FORMULAS)]) for i, h in enumerate(plan.history)],
    )


@pytest.fixture
def formula_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Database]:
    db = Database(f"sqlite:///{tmp_path / 'planbot.db'}")
    db.create_all()
    load_plan(db=db, plan_file=formula_plan(), now=LOADED_AT)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", db.url)
    get_settings.cache_clear()
    yield db
    get_settings.cache_clear()
    db.dispose()


def assert_no_formula_cells(path: Path) -> int:
    workbook = openpyxl.load_workbook(path)
    strings = 0
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str) and cell.value.startswith(TRIGGERS):
                    # Text that looks like a formula is stored as text and shown as typed.
                    assert cell.quotePrefix, (sheet.title, cell.coordinate, cell.value)
                strings += isinstance(cell.value, str)
    return strings


def test_planbot_export_writes_no_formula_and_round_trips(
    formula_db: Database, tmp_path: Path
) -> None:
    runner = CliRunner()
    xlsx, folder = tmp_path / "export.xlsx", tmp_path / "export"
    assert runner.invoke(cli_app, ["export", str(xlsx)]).exit_code == 0
    assert runner.invoke(cli_app, ["export", str(folder)]).exit_code == 0

    assert assert_no_formula_cells(xlsx) > 100
    workbook = openpyxl.load_workbook(xlsx)
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, str):
                    assert not cell.value.startswith(TRIGGERS), (cell.coordinate, cell.value)
    for csv_file in sorted(folder.glob("*.csv")):
        for line_cells in _csv_cells(csv_file):
            for value in line_cells:
                assert not value.startswith(TRIGGERS), (csv_file.name, value)
    # The guard comes off again on import: every value as it was.
    original = formula_plan()
    for exported in (read_plan(xlsx), read_plan(folder)):
        assert sorted(a.title for a in exported.actions) == sorted(
            a.title for a in original.actions
        )
        assert sorted(h.note for h in exported.history) == sorted(h.note for h in original.history)


def _csv_cells(path: Path) -> list[list[str]]:
    import csv

    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle))


def test_the_report_workbook_has_no_formula_cells(formula_db: Database, tmp_path: Path) -> None:
    out = tmp_path / "report.xlsx"
    result = CliRunner().invoke(
        cli_app,
        ["digest", "--period", "2019-20-Q2", "--format", "xlsx", "--out", str(out)],
    )
    assert result.exit_code == 0, result.output
    assert assert_no_formula_cells(out) > 50
    values = [
        c.value
        for sheet in openpyxl.load_workbook(out).worksheets
        for row in sheet.iter_rows()
        for c in row
        if isinstance(c.value, str)
    ]
    assert any(v.startswith("=HYPERLINK") for v in values)  # shown, as text


def test_the_html_report_shows_markup_in_notes_as_text(sqlite_url: str) -> None:
    sample_db = Database(sqlite_url)
    sample_db.create_all()
    load_plan(db=sample_db, plan_file=read_plan(SAMPLE_PLAN), now=LOADED_AT)
    with sample_db.session() as session:
        session.execute(
            update(m.Update).values(note='<script>alert("x")</script><img src=x onerror=alert(1)>')
        )
    digest = compile_digest(
        ctx(sample_db, IN_Q3_WINDOW),
        period=Period.from_key("2019-20-Q2"),
        scope="all",
        audience=ReportAudience.DRAFT,
    )
    page = render_html(digest)
    assert "<script>" not in page and "<img src=x" not in page
    assert "&lt;script&gt;" in page


# -- 5. no token or signing secret in logs or error messages ---------------------------------

TOKEN = "xoxb-1234-5678-SECRETTOKENqwerty"
SECRET = "f00dfeedSECRETsigningSECRET0123"
DB_PASSWORD = "Pa55-db-SECRET"
SECRETS = (TOKEN, SECRET, DB_PASSWORD, "SECRETTOKEN", "SECRETsigning")


def assert_no_secret(where: str, text: str) -> None:
    for secret in SECRETS:
        assert secret not in text, f"{secret!r} appears in {where}"


def test_no_secret_in_logs_or_answers_when_requests_fail(
    tmp_path: Path, fake_slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    db = Database(f"sqlite:///{tmp_path / 'planbot.db'}")
    db.create_all()
    load_plan(db=db, plan_file=read_plan(SAMPLE_PLAN), now=LOADED_AT)
    answers: list[str] = []
    caplog.set_level(logging.DEBUG)
    runtime = runtime_for(db, fake_slack, token=TOKEN, secret=SECRET)
    with serving(runtime, fake_slack, SECRET) as bot:
        # Bad and stale signatures.
        body = urlencode(slash_command(SINEAD, "/update", "ACT-12", response_url="")).encode()
        form = "application/x-www-form-urlencoded"
        for stamp, secret in [(int(time.time()), "wrong"), (int(time.time()) - 999, SECRET)]:
            response = bot.post(body, form, timestamp=stamp, secret=secret)
            assert response.status_code == 401
            answers.append(response.text)
        # Slack refusing the token: for an App Home, a modal and a DM.
        fake_slack.fail_next("views.publish", error="invalid_auth")
        done = bot.command(SINEAD, "/update", "ACT-12 green Fine")
        answers.append(all_text(bot.replies_to(done)[0]))
        fake_slack.fail_next("views.open", error="invalid_auth")
        answers.append(all_text(bot.replies_to(bot.command(SINEAD, "/update", "ACT-9"))[0]))
        bot.command(KWAME, "/update", "ACT-13")
        view = bot.opened_view()
        fake_slack.fail_next("chat.postMessage", error="token_revoked")
        bot.interact(view_submission(KWAME, view, input_values(view, status="green")))
        answers += [all_text(dm) for dm in bot.dms_to(KWAME)]
    # The database gone: the ack says "not saved", with one line in the log.
    gone = Database(f"sqlite:///{tmp_path / 'missing' / 'planbot.db'}")
    with serving(
        runtime_for(gone, fake_slack, token=TOKEN, secret=SECRET), fake_slack, SECRET
    ) as bot:
        lost = bot.command(SINEAD, "/update", "ACT-12 green Lost")
        said = lost.json()["text"]  # said in the ack itself: nothing could be stored
        assert lost.json()["response_type"] == "ephemeral" and "Not saved" in said
        answers += [said, bot.http.get("/healthz").text]
    db.dispose()

    assert "invalid_auth" in caplog.text and "token_revoked" in caplog.text
    assert "database unavailable" in caplog.text
    assert_no_secret("the log", caplog.text)
    for record in caplog.records:
        assert_no_secret("a log record", repr(record.args) + str(record.exc_info))
    for answer in answers:
        assert_no_secret("an answer", answer)
    requests: list[Call | Fault] = [*fake_slack.calls, *fake_slack.faults]
    for call in requests:
        assert_no_secret(f"the body of {call.method}", json.dumps(call.args, default=str))


def test_no_secret_in_the_output_of_commands_that_fail(
    tmp_path: Path,
    fake_slack: FakeSlack,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    db = Database(f"sqlite:///{tmp_path / 'planbot.db'}")
    db.upgrade()
    load_plan(db=db, plan_file=read_plan(SAMPLE_PLAN), now=LOADED_AT)
    db.dispose()
    env = {
        "DATABASE_URL": db.url,
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": fake_slack.url,
    }
    outputs: dict[str, str] = {}
    monkeypatch.chdir(tmp_path)  # no .env
    caplog.set_level(logging.DEBUG)

    # `planbot serve` with a token Slack refuses stops at once, saying so (a real process:
    # its logging is set up as in production).
    fake_slack.fail_next("auth.test", error="invalid_auth")
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "PLANBOT_"))}
    serve = subprocess.run(
        [sys.executable, "-m", "bot", "serve", "--http", "--port", str(free_port())],
        env={**clean, **env},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert serve.returncode == 1, serve.stdout + serve.stderr
    assert "Slack did not accept SLACK_BOT_TOKEN" in serve.stderr
    outputs["serve"] = serve.stdout + serve.stderr

    # `planbot reminders run` when Slack refuses the token part-way; any command when the
    # database cannot be reached (its URL holds a password).
    fake_slack.fail_next("chat.postMessage", error="invalid_auth")
    unreachable = f"postgresql://planbot:{DB_PASSWORD}@127.0.0.1:{free_port()}/planbot"
    reminders = ["reminders", "run", "--now", "2020-01-09T09:30:00", "--pace", "0"]
    for name, extra, args in [
        ("reminders run", {}, reminders),
        ("database down", {"DATABASE_URL": unreachable}, ["reminders", "preview"]),
    ]:
        get_settings.cache_clear()
        try:
            result = CliRunner().invoke(cli_app, args, env={**env, **extra})
        finally:
            get_settings.cache_clear()
        assert result.exit_code == 1, result.output
        outputs[name] = result.output
    assert "invalid_auth" in outputs["reminders run"]
    assert "cannot reach the database" in outputs["database down"]
    outputs["log"] = caplog.text

    for name, output in outputs.items():
        assert_no_secret(f"the output of {name}", output)


# -- 6. the Docker image ---------------------------------------------------------------------


def test_the_docker_image_runs_as_a_non_root_user() -> None:
    lines = [
        line.strip()
        for line in (REPO / "Dockerfile").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.strip().startswith("#")
    ]
    last_stage = max(i for i, line in enumerate(lines) if line.upper().startswith("FROM "))
    stage = lines[last_stage:]
    users = [
        (i, line.split(None, 1)[1].strip())
        for i, line in enumerate(stage)
        if line.upper().startswith("USER ")
    ]
    entrypoint = next(i for i, line in enumerate(stage) if line.upper().startswith("ENTRYPOINT"))
    assert users, "the final stage never sets USER"
    position, user = users[-1]
    assert position < entrypoint
    name = user.split(":")[0]
    assert name not in {"root", "0"}, user
    # The user is created in that stage, as a system account without a login shell's powers.
    assert any("useradd" in line and "--system" in line and name in line for line in stage)
