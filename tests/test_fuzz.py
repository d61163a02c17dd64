# Over 400 lines: property tests of every input surface (the grammar, plan files, payloads).
"""Hostile input, as property-based tests (hypothesis): the command grammar, whole signed Slack
requests, and broken plan files.

- The grammar (`parse_update` and the other command parsers): nothing but the domain's
  `PlanbotError`s is ever raised, and what `parse_update` accepts round-trips.
- Signed `/update` (and `/actions`, `/planbot`) commands and `view_submission`s with random
  text, refs, statuses, dates and JSON shapes, through the real Bolt app and planbot's own WSGI
  endpoint (`bot.entrypoints.http.PlanbotWSGI`, called in-process with real signatures;
  listeners run inline so every answer has been sent when the call returns), plus a smaller
  sample over HTTP to the real waitress server: never a 5xx, never a traceback or exception
  text shown, never the "something went wrong" apology (an unexpected exception), every answer
  private (ephemeral, a DM, a modal or the ack of a form) and every well-formed request
  answered.
- Broken `.xlsx` workbooks and CSV folders for `read_plan` + `load_plan`: random bytes,
  truncated and corrupted zips, random cells and headers: a `PlanFileError` (or another
  `PlanbotError`) naming the problem, and the database untouched.

Profile `planbot-fuzz`: 500 examples a property (`PLANBOT_FUZZ_EXAMPLES` to change it),
derandomised so CI runs the same examples every time, no deadline (CI machines are noisy),
no example database (nothing written under the repository).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import logging
import os
import re
import time
import uuid
import zipfile
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, ParamSpec, TypeVar
from urllib.parse import urlencode

import httpx
import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, update
from support.fakeslack import FakeSlack
from support.slackapp import (
    IN_Q3_WINDOW,
    KWAME,
    MARK,
    PRIYA,
    SIGNING_SECRET,
    SINEAD,
    STRANGER,
    TOM,
    make_runtime,
    sign,
    slash_command,
    texts,
    view_submission,
)

from bot.app import create_app
from bot.domain.grammar import (
    _REVISED,
    parse_actions,
    parse_day,
    parse_planbot,
    parse_update,
    plain_from_slack,
)
from bot.domain.periods import parse_period
from bot.domain.refs import normalise_ref
from bot.domain.status import DEFAULT_SCHEME
from bot.entrypoints.http import PlanbotWSGI
from bot.entrypoints.inbox import Inbox
from bot.errors import PlanbotError
from bot.planio import SAMPLE_PLAN, PlanFileError, read_plan, write_plan
from bot.render.update_form import render_update_modal
from bot.services.actions import update_form
from bot.services.digest_requests import parse_digest_request
from bot.services.plans import load_plan
from storage import models as m
from storage.db import Database

EXAMPLES = int(os.environ.get("PLANBOT_FUZZ_EXAMPLES", "500"))
settings.register_profile(
    "planbot-fuzz",
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    print_blob=True,
)
FUZZ = settings.get_profile("planbot-fuzz")

LOADED_AT = dt.datetime(2019, 12, 2, 9, 0, tzinfo=dt.UTC)
TODAY = IN_Q3_WINDOW.date()

# -- strategies ------------------------------------------------------------------------------

REFS = ["ACT-12", "act-12", "ACT12", "12", "ACT 12", "ACT-9", "ACT-11", "ACT-13", "ACT-6"]
ODD_REFS = ["ACT-999", "XYZ-1", "0", "ACT-0012", "ACT--12", "#12", "A-1", "١٢", "ACT-12.5"]
STATUS_WORDS = sorted(
    {w for s in DEFAULT_SCHEME.statuses for w in (s.key, s.label, *s.synonyms)} | {"GREEN"}
)
ODD_STATUSES = ["purple", "gren", "on", "at", "not", "-", "*green*", "green!", "🟢", "null"]
HOSTILE = [
    "<!channel>",
    "<!here>",
    "<!everyone>",
    "<@U0BS00002>",
    "<@U0BS00002|tom>",
    "<#C0PLANBOT|general>",
    "<!subteam^S123|@team>",
    "<http://evil.example|click>",
    "<mailto:a@b.example|mail>",
    "&",
    "&amp;",
    "&lt;!channel&gt;",
    "<",
    ">",
    "*bold*",
    "_it_",
    "~s~",
    "`code`",
    "```block```",
    "\n",
    "\t",
    "revised 31/03/2020",
    "revised 2019-01-01",
    "new target 30 Feb 2020",
    "revised to 1 Jan 2999",
    "\x00",
    "\u202e",
    "\u200b",
    "🙂",
    "'=SUM(A1)",
    '=HYPERLINK("http://evil")',
    "-1+1",
    "@channel",
    '"quoted"',
    "\\",
    "%s",
    "{0}",
    "Traceback",  # typed by the person: may be echoed back, never invented by planbot
]
USERS = [SINEAD, TOM, MARK, PRIYA, KWAME, STRANGER]
# Mostly people who may update ACT-12, so that updates get recorded; the others are refused.
ACTORS = st.sampled_from([SINEAD, SINEAD, MARK, PRIYA, *USERS])

words = st.text(st.characters(codec="utf-8"), max_size=20)
notes = st.one_of(
    st.lists(st.one_of(words, st.sampled_from(HOSTILE)), max_size=8).map(" ".join),
    st.integers(2990, 3010).map(lambda n: ("Long note " * 400)[:n]),
)
refs = st.one_of(st.sampled_from(REFS), st.sampled_from(ODD_REFS), words)
statuses = st.one_of(st.sampled_from(STATUS_WORDS), st.sampled_from(ODD_STATUSES), words)
# Updates that can be recorded (ACT-12 is Sinead's; her director and the programme office
# may update it too), so that the examples reach the recording path, not only refusals.
plausible_updates = st.builds(
    lambda r, s, n: f"{r} {s} {n}",
    st.sampled_from(["ACT-12", "act12", "12", "ACT 12"]),
    st.sampled_from(["green", "g", "on track", "complete", "amber", "at risk", "on hold"]),
    notes,
)
update_texts = st.one_of(
    plausible_updates,
    plausible_updates,
    st.builds(lambda r, s, n: f"{r} {s} {n}", refs, statuses, notes),
    st.builds(lambda r, s: f"{r} {s}", refs, statuses),
    refs,
    notes,
    st.text(max_size=300),
    st.sampled_from(["", " ", "help", "?", "\n", "ACT-12 help"]),
)


def json_values(max_leaves: int = 6) -> st.SearchStrategy[Any]:
    scalars = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(2**40), 2**40),
        st.floats(allow_nan=False),
        st.text(max_size=20),
        st.sampled_from(HOSTILE),
    )
    return st.recursive(
        scalars,
        lambda inner: st.one_of(
            st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=10), inner, max_size=3)
        ),
        max_leaves=max_leaves,
    )


# -- the grammar -----------------------------------------------------------------------------


def raises_only_planbot_errors(parse: Callable[[], object]) -> None:
    refusal: PlanbotError | None = None
    try:
        parse()
    except PlanbotError as caught:
        refusal = caught
    if refusal is not None:
        assert refusal.message.strip()  # says what was wrong


@FUZZ
@given(text=st.one_of(update_texts, st.text()))
def test_update_grammar_raises_nothing_but_planbot_errors(text: str) -> None:
    raises_only_planbot_errors(lambda: parse_update(text, today=TODAY, scheme=DEFAULT_SCHEME))


PARSERS: dict[str, Callable[[str], object]] = {
    "actions": parse_actions,
    "planbot": lambda text: parse_planbot(text, today=TODAY),
    "digest": lambda text: parse_digest_request(plain_from_slack(text), today=TODAY),
    "period": lambda text: parse_period(text, today=TODAY),
    "day": lambda text: parse_day(text, today=TODAY),
}
other_command_texts = st.one_of(
    st.text(),
    st.lists(
        st.one_of(
            words,
            st.sampled_from(HOSTILE),
            st.sampled_from(
                ["away", "back", "help", "publish", "Q3", "2019/20", "theme:", "directorate:"]
            ),
            st.sampled_from(["all", "31/12/2019", "2020-02-30", "13 Jan 2020", "to", "@x"]),
            st.sampled_from(["<@U0HR00001>", "<@W123|w>", "U0HR00001", "dir:HR", "Q9 2019/20"]),
        ),
        max_size=6,
    ).map(" ".join),
)


@pytest.mark.parametrize("name", sorted(PARSERS))
@FUZZ
@given(text=other_command_texts)
def test_every_other_command_parser_raises_nothing_but_planbot_errors(name: str, text: str) -> None:
    raises_only_planbot_errors(lambda: PARSERS[name](text))


plain_notes = st.text(
    st.characters(codec="utf-8", exclude_characters="<>&", exclude_categories=["Cs"]),
    max_size=80,
).filter(lambda note: _REVISED.search(note) is None)


@FUZZ
@given(
    number=st.integers(1, 999_999),
    form=st.sampled_from(["ACT-{n}", "act-{n}", "ACT{n}", "{n}", "ACT {n}", "Act_{n}"]),
    status=st.sampled_from(STATUS_WORDS),
    note=plain_notes,
)
def test_update_grammar_round_trips_the_refs_statuses_and_notes_it_accepts(
    number: int, form: str, status: str, note: str
) -> None:
    ref = form.format(n=number)
    request = parse_update(f"{ref} {status} {note}", today=TODAY, scheme=DEFAULT_SCHEME)

    assert request.kind == "record"
    assert normalise_ref(request.ref) == f"ACT-{number}"
    assert DEFAULT_SCHEME.lookup(request.status) == DEFAULT_SCHEME.lookup(status)
    assert request.note == note.strip()
    assert request.revised is None


@FUZZ
@given(day=st.dates(dt.date(1900, 1, 1), dt.date(2999, 12, 31)))
def test_dates_round_trip_in_every_written_form(day: dt.date) -> None:
    for written in (
        day.isoformat(),
        f"{day:%d/%m/%Y}",
        f"{day.day} {day:%B %Y}",
        f"{day:%d.%m.%Y}",
    ):
        assert parse_day(written, today=TODAY) == day
    revised = parse_update(
        f"ACT-12 amber Slipping revised {day:%d/%m/%Y}", today=TODAY, scheme=DEFAULT_SCHEME
    )
    assert (revised.note, revised.revised) == ("Slipping", day)


# -- whole signed requests -------------------------------------------------------------------

P = ParamSpec("P")
T = TypeVar("T")


class Inline(Executor):
    """Runs each stored request at once on the request's thread: every answer has been sent
    by the time `dispatch` returns, so each example is checked whole and nothing leaks into
    the next."""

    def submit(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> Future[T]:
        future: Future[T] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as error:  # noqa: BLE001 # pragma: no cover - handed to the Future
            future.set_exception(error)
        return future


@dataclass
class Harness:
    """planbot's WSGI endpoint, in-process, over the sample plan on SQLite."""

    wsgi: PlanbotWSGI
    db: Database
    fake: FakeSlack
    form: dict[str, Any]  # the update form for ACT-12, as Slack would hold it

    def fresh_example(self) -> None:
        """No calls recorded, and ACT-12 open again (an example may have completed it)."""
        self.fake.reset()
        with self.db.session() as session:
            session.execute(update(m.Action).where(m.Action.ref == "ACT-12").values(closed=False))

    def post(self, body: bytes, content_type: str) -> tuple[int, str]:
        stamp = int(time.time())
        environ = {
            "REQUEST_METHOD": "POST",
            "PATH_INFO": "/slack/events",
            "QUERY_STRING": "",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "3000",
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(body),
            "CONTENT_TYPE": content_type,
            "CONTENT_LENGTH": str(len(body)),
            "HTTP_X_SLACK_REQUEST_TIMESTAMP": str(stamp),
            "HTTP_X_SLACK_SIGNATURE": sign(body, stamp),
        }
        statuses: list[str] = []

        def start_response(status: str, _headers: Any, _exc_info: Any = None) -> Any:
            statuses.append(status)
            return lambda _data: None

        chunks = self.wsgi(environ, start_response)
        payload = b"".join(chunks).decode("utf-8", "replace")
        return int(statuses[0].split()[0]), payload


@pytest.fixture(scope="module")
def harness(
    tmp_path_factory: pytest.TempPathFactory, fake_slack_server: FakeSlack
) -> Iterator[Harness]:
    path = tmp_path_factory.mktemp("fuzz") / "planbot.db"
    db = Database(f"sqlite:///{path}")
    db.create_all()
    load_plan(db=db, plan_file=read_plan(SAMPLE_PLAN), now=LOADED_AT)
    fake_slack_server.reset()
    runtime = make_runtime(db, fake_slack_server)
    app = create_app(
        runtime, signing_secret=SIGNING_SECRET, inbox=Inbox(runtime, executor=Inline())
    )
    form = update_form(runtime.request(SINEAD, now=IN_Q3_WINDOW), ref="ACT-12")
    view = render_update_modal(form.draft, DEFAULT_SCHEME, periods=form.periods)
    stored = {**view, "id": "V0FUZZ0001", "hash": "1.fuzz", "state": {"values": {}}}
    yield Harness(PlanbotWSGI(app, db=db), db, fake_slack_server, stored)
    fake_slack_server.reset()
    db.dispose()


class ErrorLog(logging.Handler):
    """The ERROR records logged while it is attached to the root logger (one example's)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def __enter__(self) -> ErrorLog:
        logging.getLogger().addHandler(self)
        return self

    def __exit__(self, *_exc: object) -> None:
        logging.getLogger().removeHandler(self)
        assert not self.records, [r.getMessage() for r in self.records]


APOLOGY = "something went wrong on our side"
# Exception text that planbot must never show (the person's own words may be echoed back).
LEAKS = re.compile(
    r"Traceback \(most recent call last\)|File \"|\b[A-Z][A-Za-z]*(?:Error|Exception)\b"
    r"|sqlalchemy|psycopg|slack_bolt|slack_sdk|\bNone\b"
)


def leaked(text: str, typed: str) -> list[str]:
    """Exception-like fragments in `text` that are not part of what the person typed."""
    return [m for m in LEAKS.findall(text) if m not in typed]


def check_answers(fake: FakeSlack, typed: str, *, must_answer: bool, ack: str = "") -> None:
    """Every call planbot made to Slack was private and showed no exception; one at least."""
    answers = 0
    for call in fake.calls:
        args = call.args
        shown = "\n".join(texts(args))
        assert APOLOGY not in shown, (call.method, shown)
        assert not leaked(shown, typed), (call.method, shown)
        if call.method == "response_url":
            assert args.get("response_type") == "ephemeral", args
            assert not args.get("replace_original"), args
        elif call.method == "chat.postMessage":
            assert str(args["channel"]).startswith(("U", "W", "D")), args  # a DM, not a channel
        elif call.method in {"views.open", "views.update", "views.publish"}:
            pass  # a modal or the person's own App Home
        elif call.method in {"conversations.open", "auth.test"}:
            continue
        else:
            raise AssertionError(f"unexpected call {call.method}: {args}")
        answers += 1
    if ack:
        assert APOLOGY not in ack and not leaked(ack, typed), ack
        answers += 1
    assert answers or not must_answer, "no answer at all"
    said = "\n".join(texts([call.args for call in fake.calls]))
    if "recorded as" in said:
        event("outcome: recorded")
    elif fake.calls_to("views.open"):
        event("outcome: form opened")
    elif '"errors"' in ack:
        event("outcome: errors shown on the form")
    elif answers:
        event("outcome: refused or answered")
    else:
        event("outcome: no answer (nothing to answer)")


@FUZZ
@given(
    user=ACTORS,
    command=st.sampled_from(["/update"] * 4 + ["/actions", "/planbot"]),
    text=update_texts,
)
def test_signed_commands_with_random_text_always_get_a_private_answer(
    harness: Harness, user: str, command: str, text: str
) -> None:
    harness.fresh_example()
    fields = slash_command(user, command, text, response_url=harness.fake.response_url("fuzz"))
    with ErrorLog():
        status, ack = harness.post(urlencode(fields).encode(), "application/x-www-form-urlencoded")

    assert status == 200, (status, ack)
    assert ack == ""
    check_answers(harness.fake, text, must_answer=True)


def form_values(
    form: dict[str, Any], status: Any, note: Any, revised: Any, picked: Any, period: Any
) -> dict[str, Any]:
    """`view.state.values` for the form with these (possibly nonsensical) entries."""
    values: dict[str, Any] = {}
    for block in form["blocks"]:
        if block.get("type") != "input":
            continue
        element = block["element"]
        base = block["block_id"].split(".")[0]
        state: dict[str, Any] = {"type": element["type"]}
        if element["type"] in {"static_select", "external_select"}:
            chosen = {"status_block": status, "period_block": period}.get(base, picked)
            state["selected_option"] = (
                {"text": {"type": "plain_text", "text": "x"}, "value": chosen}
                if chosen is not None
                else None
            )
        elif element["type"] == "datepicker":
            state["selected_date"] = revised
        else:
            state["value"] = note
        values[block["block_id"]] = {element["action_id"]: state}
    return values


def mutate(value: Any, path: list[str | int], replacement: Any) -> Any:
    """`value` with the item at `path` (as far as it exists) replaced."""
    if not path:
        return replacement
    key, rest = path[0], path[1:]
    if isinstance(value, dict) and isinstance(key, str) and key in value:
        return {**value, key: mutate(value[key], rest, replacement)}
    if isinstance(value, list) and isinstance(key, int) and value:
        index = key % len(value)
        return [*value[:index], mutate(value[index], rest, replacement), *value[index + 1 :]]
    return replacement


PATHS: list[list[str | int]] = [
    ["user"],
    ["user", "id"],
    ["view"],
    ["view", "id"],
    ["view", "private_metadata"],
    ["view", "state"],
    ["view", "state", "values"],
    ["view", "blocks"],
    ["view", "blocks", 0],
    ["view", "blocks", 3, "block_id"],
    ["view", "callback_id"],
    ["type"],
    ["team"],
    ["trigger_id"],
    ["response_urls"],
]
metadata = st.one_of(
    st.just(None),
    json_values().map(json.dumps),
    st.text(max_size=40),
    st.builds(
        lambda ref, period, admin, locked, last: json.dumps(
            {"ref": ref, "period": period, "admin": admin, "locked": locked, "last_status": last}
        ),
        st.sampled_from(REFS + ODD_REFS),
        st.sampled_from(["2019-20-Q3", "2019-20-Q2", "2020-21-Q1", "Q9", ""]),
        st.booleans(),
        st.booleans(),
        st.sampled_from([*STATUS_WORDS, "purple", None]),
    ),
)


@FUZZ
@given(
    user=ACTORS,
    status=st.one_of(
        st.sampled_from(DEFAULT_SCHEME.keys),
        st.sampled_from(DEFAULT_SCHEME.keys),
        st.none(),
        statuses,
        json_values(2),
    ),
    note=st.one_of(notes, notes, st.none(), json_values(2)),
    revised=st.one_of(
        st.none(),
        st.none(),
        st.dates(dt.date(2019, 1, 1), dt.date(2021, 12, 31)).map(dt.date.isoformat),
        st.text(max_size=12),
        json_values(2),
    ),
    picked=st.one_of(st.none(), st.none(), st.sampled_from(REFS + ODD_REFS), json_values(2)),
    period=st.one_of(
        st.none(), st.none(), st.sampled_from(["2019-20-Q3", "2019-20-Q2", "x"]), words
    ),
    private_metadata=st.one_of(st.none(), st.none(), st.none(), metadata),
    shape=st.one_of(st.none(), st.none(), st.tuples(st.sampled_from(PATHS), json_values())),
)
def test_signed_form_submissions_with_random_values_and_shapes_answer_privately(
    harness: Harness,
    user: str,
    status: Any,
    note: Any,
    revised: Any,
    picked: Any,
    period: Any,
    private_metadata: str | None,
    shape: tuple[list[str | int], Any] | None,
) -> None:
    harness.fresh_example()
    view = {**harness.form, "id": f"V0FUZZ{uuid.uuid4().hex[:12].upper()}"}
    if private_metadata is not None:
        view["private_metadata"] = private_metadata
    payload: Any = view_submission(
        user, view, form_values(view, status, note, revised, picked, period)
    )
    if shape is not None:
        payload = mutate(payload, *shape)
    body = urlencode({"payload": json.dumps(payload)}).encode()
    typed = json.dumps(payload, ensure_ascii=False)

    with ErrorLog():
        status_code, ack = harness.post(body, "application/x-www-form-urlencoded")

    assert status_code < 500, (status_code, ack)
    assert status_code in {200, 400, 404}, (status_code, ack)
    well_formed = shape is None
    if status_code == 200 and ack:
        answer = json.loads(ack)
        assert answer.get("response_action") in {"errors", "clear", "update"}, answer
    if well_formed:
        assert status_code == 200, (status_code, ack)
    check_answers(harness.fake, typed, must_answer=well_formed and user != "", ack=ack)


@FUZZ
@given(
    envelope=st.one_of(
        json_values(10),
        st.dictionaries(
            st.sampled_from(["type", "user", "view", "actions", "team", "trigger_id", "container"]),
            json_values(4),
            max_size=6,
        ),
        st.sampled_from(
            [{"type": t} for t in ["view_submission", "block_actions", "view_closed", "shortcut"]]
        ),
    ),
)
def test_signed_payloads_of_any_json_shape_never_get_a_5xx(harness: Harness, envelope: Any) -> None:
    harness.fake.reset()
    body = urlencode({"payload": json.dumps(envelope)}).encode()

    with ErrorLog():
        status_code, ack = harness.post(body, "application/x-www-form-urlencoded")

    assert status_code in {200, 400, 404}, (status_code, ack)
    check_answers(
        harness.fake,
        json.dumps(envelope, ensure_ascii=False),
        must_answer=False,
        ack=ack if status_code == 200 else "",
    )


# -- a smaller sample over HTTP ----------------------------------------------------------------


@pytest.fixture(scope="module")
def http_endpoint(harness: Harness) -> Iterator[str]:
    """The same endpoint served by the real waitress server on loopback."""
    from support.httpserver import start_http_server

    server = start_http_server(harness.wsgi)
    try:
        yield server.url
    finally:
        server.stop()


http_bodies = st.one_of(
    st.builds(
        lambda user, text: (
            urlencode(slash_command(user, "/update", text, response_url="")).encode(),
            "application/x-www-form-urlencoded",
        ),
        st.sampled_from(USERS),
        update_texts,
    ),
    st.builds(
        lambda envelope: (
            urlencode({"payload": json.dumps(envelope)}).encode(),
            "application/x-www-form-urlencoded",
        ),
        json_values(8),
    ),
    st.tuples(
        st.binary(max_size=300),
        st.sampled_from(
            ["application/json", "application/x-www-form-urlencoded", "text/plain", ""]
        ),
    ),
)


@settings(FUZZ, max_examples=max(50, EXAMPLES // 10))
@given(body=http_bodies)
def test_over_http_signed_bodies_of_any_kind_never_get_a_5xx(
    harness: Harness, http_endpoint: str, body: tuple[bytes, str]
) -> None:
    harness.fake.reset()
    raw, content_type = body
    stamp = int(time.time())
    headers = {"X-Slack-Request-Timestamp": str(stamp), "X-Slack-Signature": sign(raw, stamp)}
    if content_type:
        headers["Content-Type"] = content_type
    with ErrorLog():
        response = httpx.post(f"{http_endpoint}/slack/events", content=raw, headers=headers)

    assert response.status_code in {200, 400, 404}, (response.status_code, response.text)
    typed = raw.decode("utf-8", "replace")
    assert not leaked(response.text, typed), response.text
    check_answers(harness.fake, typed, must_answer=False)


# -- broken plan files -----------------------------------------------------------------------


class PlanStore:
    """A database holding the sample plan (under the key the broken files' names give), and
    every row it held after the last import that went through."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._reads = [select(*t.c).order_by(*t.c) for t in m.Base.metadata.sorted_tables]
        self.rows = self.snapshot()

    def snapshot(self) -> list[list[tuple[Any, ...]]]:
        with self.db.session() as session:
            return [[tuple(row) for row in session.execute(read)] for read in self._reads]


@pytest.fixture(scope="module")
def plan_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PlanStore]:
    db = Database(f"sqlite:///{tmp_path_factory.mktemp('import') / 'planbot.db'}")
    db.create_all()
    load_plan(db=db, plan_file=read_plan(SAMPLE_PLAN), now=LOADED_AT)
    yield PlanStore(db)
    db.dispose()


@pytest.fixture(scope="module")
def workbook_bytes(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """Part of the sample plan (three actions: reading a workbook costs by the cell) as an
    .xlsx workbook, as `planbot export` writes it."""
    sample = read_plan(SAMPLE_PLAN)
    refs, people = {"ACT-9", "ACT-12", "ACT-13"}, {SINEAD, MARK, PRIYA, KWAME, "U0FN00001"}
    part = replace(
        sample,
        actions=[a for a in sample.actions if a.ref in refs],
        history=[h for h in sample.history if h.ref in refs],
        people=[p for p in sample.people if p.slack_id in people],
    )
    path = tmp_path_factory.mktemp("workbook") / "sample-plan.xlsx"
    write_plan(part, path)
    return path.read_bytes()


def import_is_clear_and_safe(store: PlanStore, path: Path) -> None:
    """What `planbot import PATH` does: read and validate, then load. A refusal names the
    problems, and the database is untouched by it."""
    refusal: PlanbotError | None = None
    try:
        load_plan(db=store.db, plan_file=read_plan(path), now=LOADED_AT)
    except PlanFileError as caught:
        refusal = caught
        event("refused by read_plan")
    except PlanbotError as caught:
        refusal = caught
        event("refused by load_plan")
    if refusal is None:
        event("imported")
        store.rows = store.snapshot()
        return
    problems = [str(e) for e in refusal.errors] if isinstance(refusal, PlanFileError) else []
    assert problems or not isinstance(refusal, PlanFileError)
    for said in problems or [refusal.message]:
        # Each problem named (sheet, row, column) and said in plain words.
        assert said.strip() and "Traceback (most recent call last)" not in said, said
        assert not re.search(r"\b[A-Z][A-Za-z]*(?:Error|Exception)\b:", said), said
    assert store.snapshot() == store.rows  # the database untouched


@FUZZ
@given(
    data=st.one_of(
        st.binary(max_size=2000),
        st.binary(max_size=500).map(lambda b: b"PK\x03\x04" + b),
        st.text(max_size=500).map(lambda t: t.encode("utf-8", "replace")),
    )
)
def test_random_bytes_as_a_workbook_are_refused_clearly(
    plan_db: PlanStore, tmp_path_factory: pytest.TempPathFactory, data: bytes
) -> None:
    path = _scratch(tmp_path_factory) / "sample-plan.xlsx"
    path.write_bytes(data)
    import_is_clear_and_safe(plan_db, path)


@FUZZ
@given(
    how=st.sampled_from(["truncate", "flip", "replace member", "drop member", "garble xml"]),
    where=st.floats(0, 1),
    junk=st.binary(min_size=1, max_size=200),
)
def test_truncated_or_corrupted_workbooks_are_refused_clearly(
    plan_db: PlanStore,
    workbook_bytes: bytes,
    tmp_path_factory: pytest.TempPathFactory,
    how: str,
    where: float,
    junk: bytes,
) -> None:
    data = workbook_bytes
    position = int(where * (len(data) - 1))
    if how == "truncate":
        broken = data[:position]
    elif how == "flip":
        broken = data[:position] + junk + data[position + len(junk) :]
    else:
        source = zipfile.ZipFile(io.BytesIO(data))
        names = source.namelist()
        victim = names[int(where * (len(names) - 1))]
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as target:
            for name in names:
                content = source.read(name)
                if name == victim:
                    if how == "drop member":
                        continue
                    if how == "replace member":
                        content = junk
                    else:  # cut the XML part-way
                        content = content[: int(where * len(content))] + junk
                target.writestr(name, content)
        broken = out.getvalue()
    path = _scratch(tmp_path_factory) / "sample-plan.xlsx"
    path.write_bytes(broken)
    import_is_clear_and_safe(plan_db, path)


_CELL = re.compile(rb'<c r="([A-Z]+[0-9]+)"[^>]*?(?:/>|>.*?</c>)')


def _xml_text(text: str) -> bytes:
    cleaned = re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]", "", text)
    return cleaned.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").encode()


cell_values = st.one_of(
    st.text(max_size=40),
    st.sampled_from(
        [
            *["", " ", "ACT-12", "ACT-1", "U0HR00002", "nobody@example.com", "green", "purple"],
            *["2020-02-30", "31/12/2019", "yes", "maybe", "owner", "admin", "king", "2019-20-Q9"],
            *["ref", "REF", "slack_id", "note", "2019-20-Q1", "2019-20-Q1 note", "'=1+1", "=1+1"],
            *HOSTILE,
        ]
    ),
)
cell_kinds = st.sampled_from(["text", "number", "formula", "cached formula", "bool", "error"])


@FUZZ
@given(
    edits=st.lists(
        st.tuples(st.integers(1, 3), st.floats(0, 1), cell_kinds, cell_values, st.integers()),
        min_size=1,
        max_size=4,
    )
)
def test_workbooks_with_random_cells_and_headers_are_refused_clearly_or_imported(
    plan_db: PlanStore,
    workbook_bytes: bytes,
    tmp_path_factory: pytest.TempPathFactory,
    edits: list[tuple[int, float, str, str, int]],
) -> None:
    source = zipfile.ZipFile(io.BytesIO(workbook_bytes))
    sheets = {n: source.read(f"xl/worksheets/sheet{n}.xml") for n in (1, 2, 3)}
    for sheet, where, kind, text, number in edits:
        xml = sheets[sheet]
        cells = list(_CELL.finditer(xml))
        # Headers (row 1) are as likely to be hit as any other row.
        cell = cells[int(where * (len(cells) - 1))]
        ref = cell.group(1)
        replacement = {
            "text": b'<c r="%s" t="inlineStr"><is><t>%s</t></is></c>' % (ref, _xml_text(text)),
            "number": b'<c r="%s"><v>%d</v></c>' % (ref, number % 100_000),
            "formula": b'<c r="%s"><f>SUM(A1:A2)</f></c>' % ref,
            "cached formula": b'<c r="%s" t="str"><f>A1</f><v>%s</v></c>' % (ref, _xml_text(text)),
            "bool": b'<c r="%s" t="b"><v>%d</v></c>' % (ref, number % 2),
            "error": b'<c r="%s" t="e"><v>#REF!</v></c>' % ref,
        }[kind]
        sheets[sheet] = xml[: cell.start()] + replacement + xml[cell.end() :]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for name in source.namelist():
            n = name.removeprefix("xl/worksheets/sheet").removesuffix(".xml")
            target.writestr(name, sheets[int(n)] if n in {"1", "2", "3"} else source.read(name))
    path = _scratch(tmp_path_factory) / "sample-plan.xlsx"
    path.write_bytes(out.getvalue())
    import_is_clear_and_safe(plan_db, path)


@FUZZ
@given(
    edits=st.lists(
        st.tuples(
            st.sampled_from(["actions", "people", "meetings"]),
            st.floats(0, 1),
            st.floats(0, 1),
            cell_values,
        ),
        max_size=4,
    ),
    damage=st.sampled_from(["none", "none", "not utf-8", "no file", "empty", "ragged", "nul"]),
    victim=st.sampled_from(["actions", "people", "meetings"]),
)
def test_csv_folders_with_random_cells_and_headers_are_refused_clearly_or_imported(
    plan_db: PlanStore,
    tmp_path_factory: pytest.TempPathFactory,
    edits: list[tuple[str, float, float, str]],
    damage: str,
    victim: str,
) -> None:
    folder = _scratch(tmp_path_factory) / "sample-plan"
    folder.mkdir(exist_ok=True)
    for stale in folder.iterdir():
        stale.unlink()
    tables = {name: [list(row) for row in rows] for name, rows in SAMPLE_CSV.items()}
    for name, row_at, column_at, text in edits:
        rows = tables[name]
        row = rows[int(row_at * (len(rows) - 1))]
        row[int(column_at * (len(row) - 1))] = text
    for name, rows in tables.items():
        buffer = io.StringIO()
        csv.writer(buffer).writerows(rows)
        data = buffer.getvalue().encode("utf-8")
        if name == victim:
            if damage == "no file":
                continue
            data = {
                "not utf-8": b"\xff\xfe" + data[:50] + b"\x80\x81",
                "empty": b"",
                "ragged": data + b'"unterminated,\n1,2,3,4,5,6,7,8,9,10,11\n',
                "nul": data.replace(b",", b"\x00,", 3),
            }.get(damage, data)
        (folder / f"{name}.csv").write_bytes(data)
    import_is_clear_and_safe(plan_db, folder)


SAMPLE_CSV = {
    name: list(csv.reader(io.StringIO((SAMPLE_PLAN / f"{name}.csv").read_text("utf-8"))))
    for name in ("actions", "people", "meetings")
}


def _scratch(factory: pytest.TempPathFactory) -> Path:
    """One scratch folder for the whole module (examples overwrite each other's files)."""
    path = factory.getbasetemp() / "fuzz-files"
    path.mkdir(exist_ok=True)
    return path
