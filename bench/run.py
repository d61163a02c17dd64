# Over 400 lines: every benchmark phase and the report of its figures, in one script anyone can
# rerun.
"""planbot's benchmarks: `python bench/run.py [--quick] [--only PHASES] [--no-postgres]`.

Prints one `name: value` line per figure as it is measured, then a table of the goals and
whether each was met. Every figure that has a goal relative to something is measured against
its floor in the same run, so the ratio holds on a noisy machine. See bench/README.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import importlib.util
import math
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "bench")]

from fakeslack_proc import FakeSlackProcess  # noqa: E402
from load import LoadResult, run_load, slash_command  # noqa: E402
from planfactory import PLAN_KEY, BenchPlan, bench_plan  # noqa: E402
from servers import (  # noqa: E402
    SIGNING_SECRET,
    count_updates,
    cpu_seconds,
    make_runtime,
    prepare_database,
    recorded_notes,
    rss_mb,
    send_due_reminders,
    start_floor,
    start_planbot,
    wait_for_updates,
)

from storage.db import Database  # noqa: E402

PHASES = ("ack", "updates", "reminders", "digest")


@dataclass(frozen=True)
class Size:
    """How much work each benchmark does: the full run, or `--quick`."""

    name: str
    closed_requests: int  # /update requests in the closed loop (16 clients, each sending as
    closed_warmup: int  # soon as it is acked); the first `closed_warmup` are not timed
    paced_rate: float  # the extra, paced load: /update requests a second
    paced_requests: int
    paced_warmup: int
    ack_actions: int
    ack_owners: int
    update_count: int
    update_threads: int
    reminder_owners: int
    limited_owners: int
    limit_per_window: int
    limit_window_s: float
    digest_actions: int
    digest_quarters: int
    digest_repeats: int
    tick_on_postgres: bool  # the 1,000-owner tick on PostgreSQL too
    floor_variants: tuple[bool, ...]  # Bolt's deferred ack (True) besides the immediate one


FULL = Size(
    name="full",
    closed_requests=4000,
    closed_warmup=160,
    paced_rate=25.0,
    paced_requests=1000,
    paced_warmup=100,
    ack_actions=600,
    ack_owners=200,
    update_count=4000,
    update_threads=8,
    reminder_owners=1000,
    limited_owners=1000,
    limit_per_window=600,
    limit_window_s=60.0,
    digest_actions=1000,
    digest_quarters=12,
    digest_repeats=3,
    tick_on_postgres=True,
    floor_variants=(False, True),
)
QUICK = Size(
    name="quick",
    closed_requests=1200,
    closed_warmup=80,
    paced_rate=25.0,
    paced_requests=100,
    paced_warmup=20,
    ack_actions=300,
    ack_owners=100,
    update_count=300,
    update_threads=8,
    reminder_owners=1000,
    limited_owners=30,
    limit_per_window=20,
    limit_window_s=2.0,
    digest_actions=1000,
    digest_quarters=12,
    digest_repeats=1,
    tick_on_postgres=False,
    floor_variants=(False,),
)


class Figures:
    """The figures of one run, printed as `name: value` as they are measured."""

    def __init__(self) -> None:
        self.values: dict[str, float] = {}
        self.notes: list[str] = []

    def put(self, name: str, value: float, digits: int = 3) -> None:
        self.values[name] = value
        text = f"{value:.{digits}f}" if isinstance(value, float) else str(value)
        print(f"{name}: {text}", flush=True)

    def put_db(self, name: str, backend: str, value: float, digits: int = 3) -> None:
        """`name_<backend>`; on SQLite the bare `name` too (the bare name means SQLite)."""
        self.put(f"{name}_{backend}", value, digits)
        if backend == "sqlite":
            self.put(name, value, digits)

    def note(self, text: str) -> None:
        self.notes.append(text)
        print(f"# {text}", flush=True)

    def get(self, name: str) -> float | None:
        return self.values.get(name)


def timed(action: Callable[[], Any]) -> tuple[float, Any]:
    began = time.perf_counter()
    result = action()
    return time.perf_counter() - began, result


# -- the databases -------------------------------------------------------------------------------


class Backends:
    """SQLite files in the run's directory, and PostgreSQL databases when a cluster runs."""

    def __init__(self, workdir: Path, *, postgres: bool, fig: Figures) -> None:
        self.workdir = workdir
        self.cluster: Any = None
        self._serial = 0
        if not postgres:
            fig.note("PostgreSQL figures skipped: --no-postgres")
            return
        from support.postgres import postgres_unavailable_reason, start_postgres

        reason = postgres_unavailable_reason()
        if reason is not None:
            fig.note(f"PostgreSQL figures skipped: {reason}")
            return
        self.cluster = start_postgres()

    @property
    def names(self) -> list[str]:
        return ["sqlite", "postgres"] if self.cluster is not None else ["sqlite"]

    def fresh(self, backend: str, label: str) -> str:
        """The URL of a new, empty database."""
        self._serial += 1
        name = f"bench_{label}_{self._serial}"
        if backend == "sqlite":
            return f"sqlite:///{self.workdir / (name + '.db')}"
        return str(self.cluster.create_database(name))

    def stop(self) -> None:
        if self.cluster is not None:
            self.cluster.stop()


# -- /update through the HTTP server, against the bare-Bolt floor -------------------------------


NOTE_PREFIX = "Bench update "


def _update_bodies(plan: BenchPlan, fake: FakeSlackProcess) -> Callable[[int], bytes]:
    """Body `i`: `/update ACT-n green` from the action's owner, with a note naming `i` (so the
    database says which requests were recorded, and how often)."""
    targets = plan.updatable()

    def body(i: int) -> bytes:
        ref, owner = targets[i % len(targets)]
        return slash_command(
            owner,
            "/update",
            f"{ref} green {NOTE_PREFIX}{i}: on track, the milestone is met.",
            response_url=fake.response_url(f"u{i}"),
        )

    return body


def _request_index(note: str) -> int | None:
    number = note.removeprefix(NOTE_PREFIX).partition(":")[0]
    return int(number) if number.isdigit() else None


@dataclass
class Loads:
    """What one server was sent: the extra paced load, then the closed loop."""

    paced: LoadResult
    closed: LoadResult


def _load(
    fig: Figures, size: Size, server_url: str, bodies: Callable[[int], bytes], name: str
) -> Loads:
    """The paced load (requests 0..), then the closed loop (requests paced_requests..)."""
    paced = _paced(fig, size, server_url, bodies, name)
    return Loads(paced, _closed_loop(fig, size, server_url, bodies, name))


def _paced(
    fig: Figures, size: Size, server_url: str, bodies: Callable[[int], bytes], name: str
) -> LoadResult:
    """Requests 0.. at `size.paced_rate` a second."""
    load = {"requests": size.paced_requests, "warmup": size.paced_warmup, "rate": size.paced_rate}
    return _one_load(fig, f"{name} answered errors under the paced load", server_url, bodies, load)


def _closed_loop(
    fig: Figures, size: Size, server_url: str, bodies: Callable[[int], bytes], name: str
) -> LoadResult:
    """Requests paced_requests.., each client sending again as soon as it is answered."""
    load = {"requests": size.closed_requests, "warmup": size.closed_warmup}
    after_paced = partial(_offset, bodies, size.paced_requests)
    return _one_load(
        fig, f"{name} answered errors in the closed loop", server_url, after_paced, load
    )


def _offset(bodies: Callable[[int], bytes], first: int, i: int) -> bytes:
    return bodies(first + i)


def _one_load(
    fig: Figures,
    on_errors: str,
    server_url: str,
    bodies: Callable[[int], bytes],
    load: dict[str, Any],
) -> LoadResult:
    """One load against `server_url`; its errors, if any, noted under the figures."""
    result = run_load(server_url, bodies, secret=SIGNING_SECRET, **load)
    if result.errors:
        fig.note(f"{on_errors}: {result.errors}")
    return result


def _require_floor() -> None:
    """The floor comes with the development extra; a run without it has nothing to compare
    planbot's acks with, so it stops here."""
    missing = [name for name in ("uvicorn", "aiohttp") if importlib.util.find_spec(name) is None]
    if missing:
        raise SystemExit(
            f"bench: the floor needs {' and '.join(missing)}, from the development extra "
            "(pip install --require-hashes -r requirements-dev.lock)"
        )


def phase_ack(fig: Figures, size: Size, backends: Backends, workdir: Path) -> None:
    _require_floor()
    plan = bench_plan(actions=size.ack_actions, owners=size.ack_owners, quarters=4)
    fig.note(
        f"/update: 16 clients, {size.paced_requests} requests paced at {size.paced_rate:g}/s, "
        f"then a closed loop of {size.closed_requests} (each client sends again as soon as "
        f"it is acked; the first {size.closed_warmup} not timed)"
    )
    with FakeSlackProcess() as fake:
        bodies = _update_bodies(plan, fake)
        floors: list[Loads] = []
        for deferred in size.floor_variants:
            with start_floor(fake.url, workdir, deferred=deferred) as floor:
                floors.append(_load(fig, size, floor.url, bodies, "the floor"))
            kind = "deferred" if deferred else "immediate"
            fig.put(f"floor_p99_ms_{kind}", floors[-1].closed.percentile(99))
        best = min(floors, key=lambda f: f.closed.percentile(99))
        fig.put("floor_p50_ms", best.closed.percentile(50))
        fig.put("floor_p99_ms", best.closed.percentile(99))
        fig.put("floor_acks_per_s", best.closed.throughput, 1)
        fig.put("paced_floor_p99_ms", best.paced.percentile(99))

        for backend in backends.names:
            _ack_on(fig, size, backends, backend, workdir, plan, fake, bodies)


def _ack_on(
    fig: Figures,
    size: Size,
    backends: Backends,
    backend: str,
    workdir: Path,
    plan: BenchPlan,
    fake: FakeSlackProcess,
    bodies: Callable[[int], bytes],
) -> None:
    """planbot on one database: the paced load, then the closed loop, every update counted."""
    url = backends.fresh(backend, "ack")
    db = prepare_database(url, plan)
    send_due_reminders(db, fake.url)
    baseline = count_updates(db)
    with start_planbot(url, fake.url, workdir) as server:
        fig.put(f"startup_s_{backend}", server.startup_s)
        fig.put(f"idle_rss_mb_{backend}", rss_mb(server.pid), 1)
        paced = _paced(fig, size, server.url, bodies, backend)
        # The paced load's updates are all recorded before the closed loop starts (bounded).
        before, _ = wait_for_updates(db, baseline + len(paced.acked))
        cpu_before = cpu_seconds(server.pid)
        closed = _closed_loop(fig, size, server.url, bodies, backend)
        # The closed loop's updates: every acked one, waited for (bounded), counted after.
        recorded, last_seen = wait_for_updates(db, before + len(closed.acked))
        cpu = cpu_seconds(server.pid) - cpu_before
        fig.put(f"serve_rss_mb_{backend}", rss_mb(server.pid), 1)

    in_loop = recorded - before
    fig.put(f"paced_ack_p50_ms_{backend}", paced.percentile(50))
    fig.put(f"paced_ack_p99_ms_{backend}", paced.percentile(99))
    fig.put_db("ack_p50_ms", backend, closed.percentile(50))
    fig.put_db("ack_p99_ms", backend, closed.percentile(99))
    fig.put(f"acks_per_s_{backend}", closed.throughput, 1)
    fig.put(f"ack_errors_{backend}", float(sum(closed.errors.values())), 0)
    if (floor_p99 := fig.get("floor_p99_ms")) is not None:
        fig.put_db("ack_overhead_ratio", backend, closed.percentile(99) / floor_p99, 2)
    fig.put_db("http_updates_per_s", backend, in_loop / max(last_seen - closed.started, 1e-9), 1)
    fig.put_db("cpu_ms_per_update", backend, 1000 * cpu / max(in_loop, 1), 2)

    # Lost: acked (in either load) and not in the database; doubled: recorded more than once.
    acked = set(paced.acked) | {size.paced_requests + i for i in closed.acked}
    notes = recorded_notes(db, NOTE_PREFIX)
    seen = Counter[int]()
    for note, times in notes.items():
        if (index := _request_index(note)) is not None:
            seen[index] += times
    lost = len(acked - seen.keys())
    doubled = sum(n - 1 for n in seen.values() if n > 1)
    if lost or doubled:
        fig.note(f"{backend}: {lost} acked updates not recorded, {doubled} recorded twice")
    fig.put_db("updates_lost", backend, float(lost + doubled), 0)
    db.dispose()


# -- record_update from several threads ------------------------------------------------------------


def _record_many(
    db: Database, targets: list[tuple[str, str]], count: int, threads: int
) -> tuple[float, list[BaseException]]:
    """Record `count` green updates through `record_update` from `threads` threads."""
    from bot.model.updates import Source
    from bot.services.context import RequestContext
    from bot.services.updates import record_update
    from bot.settings import Settings

    cycle = Settings(_env_file=None).cycle()
    counter = iter(range(count))
    lock = threading.Lock()
    failures: list[BaseException] = []

    def work() -> None:
        while True:
            with lock:
                i = next(counter, None)
            if i is None:
                return
            ref, owner = targets[i % len(targets)]
            try:
                record_update(
                    RequestContext(db, cycle, dt.datetime.now(dt.UTC), PLAN_KEY, actor=owner),
                    ref=ref,
                    status="green",
                    note=f"Bench update {i}: on track.",
                    source=Source.COMMAND,
                    idempotency_key=f"bench:{i}",
                )
            except Exception as exc:  # noqa: BLE001 - each failure is counted and reported
                failures.append(exc)

    workers = [threading.Thread(target=work) for _ in range(threads)]
    began = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return time.perf_counter() - began, failures


def phase_updates(fig: Figures, size: Size, backends: Backends) -> None:
    plan = bench_plan(actions=size.ack_actions, owners=size.ack_owners, quarters=4)
    for backend in backends.names:
        db = prepare_database(backends.fresh(backend, "updates"), plan)
        elapsed, failures = _record_many(
            db, plan.updatable(), size.update_count, size.update_threads
        )
        if failures:
            fig.note(f"{len(failures)} updates failed on {backend}: {failures[0]!r}")
        fig.put(f"updates_per_s_{backend}", (size.update_count - len(failures)) / elapsed, 1)
        db.dispose()


# -- reminders -----------------------------------------------------------------------------------


def _deliveries(
    fake: FakeSlackProcess, expected: set[str], noise: set[str]
) -> tuple[float, float, Counter[str]]:
    """DMs lost and doubled among `expected` recipients (ignoring calls to `noise`)."""
    posted = Counter(c for c in fake.channels("chat.postMessage") if c not in noise)
    lost = len(expected - posted.keys())
    doubled = sum(n - 1 for n in posted.values() if n > 1) + len(posted.keys() - expected)
    return float(lost), float(doubled), posted


def _expected_recipients(db: Database, api_url: str, now: dt.datetime) -> set[str]:
    from bot.services.reminders import due_reminders

    runtime = make_runtime(db, api_url)
    reminders = due_reminders(runtime.request(now=now, plan_key=PLAN_KEY))
    return {r.recipient.slack_id for r in reminders}


def _time_slack_calls(runtime: Any) -> list[float]:
    """Time spent inside Slack Web API calls (waiting for the fake Slack), added up in [0]."""
    client = runtime.notifier.client
    call = client.api_call
    total = [0.0]

    def timed_call(*args: Any, **kwargs: Any) -> Any:
        began = time.perf_counter()
        try:
            return call(*args, **kwargs)
        finally:
            total[0] += time.perf_counter() - began

    client.api_call = timed_call
    return total


def phase_reminders(fig: Figures, size: Size, backends: Backends) -> None:
    from bot.delivery.reminders import run_tick

    owners = size.reminder_owners
    plan = bench_plan(actions=owners * 3, owners=owners, quarters=2, complete_every=0)
    for backend in backends.names if size.tick_on_postgres else ["sqlite"]:
        db = prepare_database(backends.fresh(backend, "tick"), plan)
        with FakeSlackProcess() as fake:
            expected = _expected_recipients(db, fake.url, plan.reminder_at)
            runtime = make_runtime(db, fake.url)
            waited = _time_slack_calls(runtime)
            began = time.perf_counter()
            report = run_tick(runtime, plan.reminder_at, pace=0)
            elapsed = time.perf_counter() - began
            slack_wait = waited[0]
            again = run_tick(runtime, plan.reminder_at, pace=0)
            lost, doubled, _ = _deliveries(fake, expected, set())
        suffix = "" if backend == "sqlite" else f"_{backend}"
        fig.put(f"reminder_tick_s{suffix}", elapsed)
        fig.put(f"reminder_tick_slack_wait_s{suffix}", slack_wait)
        fig.put(f"reminder_tick_own_s{suffix}", elapsed - slack_wait)
        fig.put(f"reminder_tick_dms{suffix}", float(len(report.sent)), 0)
        if again.sent or lost or doubled or len(expected) != owners:
            fig.note(
                f"tick on {backend}: {len(expected)} recipients due, {lost:.0f} lost, "
                f"{doubled:.0f} doubled, {len(again.sent)} sent by a second tick"
            )
        db.dispose()

    # The same step with Slack's posting limit enforced by 429 + Retry-After.
    limited = size.limited_owners
    plan = bench_plan(actions=limited * 3, owners=limited, quarters=2, complete_every=0)
    db = prepare_database(backends.fresh("sqlite", "limited"), plan)
    limit = ("chat.postMessage", size.limit_per_window, size.limit_window_s)
    fig.note(
        f"rate limit: {size.limit_per_window} chat.postMessage per {size.limit_window_s:g} s, "
        f"{limited} owners"
    )
    with FakeSlackProcess(rate_limit=limit) as fake:
        expected = _expected_recipients(db, fake.url, plan.reminder_at)
        runtime = make_runtime(db, fake.url)
        ticks = 0
        began = time.perf_counter()
        while True:  # what the scheduler does: tick again until nothing is left to retry
            report = run_tick(runtime, plan.reminder_at, pace=0)
            ticks += 1
            if not report.retry_later or ticks >= 10:
                break
        elapsed = time.perf_counter() - began
        run_tick(runtime, plan.reminder_at, pace=0)  # a later tick must send nothing again
        lost, doubled, _ = _deliveries(fake, expected, set())
        refused = len(fake.faults("chat.postMessage"))
    fig.put("reminder_rate_limited_s", elapsed)
    fig.put("reminder_rate_limited_ticks", float(ticks), 0)
    fig.put("reminder_rate_limited_429s", float(refused), 0)
    fig.put("reminder_dms_lost", lost, 0)
    fig.put("reminder_dms_doubled", doubled, 0)
    db.dispose()


# -- the committee report ------------------------------------------------------------------------

FLOOR_QUERY = """
SELECT a.ref, a.title, t.name, d.name, o.name, a.target_date, a.revised_target_date, a.closed,
       p.key, u.status, u.note, u.revised_target_date, u.created_at, u.source,
       u.amendment_reason, w.name
FROM updates u
JOIN actions a ON a.id = u.action_id
JOIN periods p ON p.id = u.period_id
JOIN themes t ON t.id = a.theme_id
JOIN directorates d ON d.id = a.directorate_id
JOIN people o ON o.id = a.owner_id
LEFT JOIN people w ON w.id = u.author_id
WHERE a.plan_id = (SELECT id FROM plans WHERE key = 'bench')
"""


def _median(runs: int, action: Callable[[], Any]) -> tuple[float, Any]:
    results = [timed(action) for _ in range(runs)]
    return statistics.median(t for t, _ in results), results[-1][1]


def phase_digest(fig: Figures, size: Size, backends: Backends) -> None:
    from bot.domain.calendar import Cycle
    from bot.render.report_blocks import render_blocks
    from bot.render.report_chart import render_chart
    from bot.render.report_docx import render_docx
    from bot.render.report_html import render_html
    from bot.render.report_json import render_json
    from bot.render.report_markdown import render_markdown
    from bot.render.report_xlsx import render_xlsx
    from bot.services.context import RequestContext
    from bot.services.digest import compile_digest

    plan = bench_plan(
        actions=size.digest_actions, owners=size.digest_actions // 4, quarters=size.digest_quarters
    )
    db = prepare_database(backends.fresh("sqlite", "digest"), plan)
    now = dt.datetime.now(dt.UTC)
    runs = size.digest_repeats

    def read_floor() -> int:
        with db.engine.connect() as connection:
            return len(connection.exec_driver_sql(FLOOR_QUERY).fetchall())

    read_floor()  # warm the page cache, as compile's first query would
    floor_s, rows = _median(max(runs, 3), read_floor)
    fig.put("db_floor_s", floor_s, 4)
    fig.put("db_floor_rows", float(rows), 0)

    compile_s, digest = _median(
        runs,
        lambda: compile_digest(
            RequestContext(db, Cycle(), now, plan_key=PLAN_KEY), period=plan.reported
        ),
    )
    fig.put("digest_compile_s", compile_s)
    chart_s, chart = _median(runs, lambda: render_chart(digest))
    fig.put("digest_render_png_s", chart_s)
    total = compile_s + chart_s
    renderers: dict[str, Callable[[], Any]] = {
        "json": lambda: render_json(digest),
        "md": lambda: render_markdown(digest),
        "html": lambda: render_html(digest, chart_png=chart),
        "docx": lambda: render_docx(digest, chart_png=chart),
        "xlsx": lambda: render_xlsx(digest),
        "slack": lambda: render_blocks(digest),
    }
    for name, render in renderers.items():
        took, _ = _median(runs, render)
        fig.put(f"digest_render_{name}_s", took)
        total += took
    fig.put("digest_s", total)
    fig.put("digest_floor_ratio", total / floor_s, 1)
    fig.put("digest_compile_floor_ratio", compile_s / floor_s, 1)
    db.dispose()


# -- goals -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Goal:
    text: str
    check: Callable[[Figures], bool | None]  # None: not measured in this run


def _all(fig: Figures, names: list[str], test: Callable[[float], bool]) -> bool | None:
    values = [fig.get(n) for n in names]
    present = [v for v in values if v is not None]
    if not present:
        return None
    return all(test(v) for v in present)


def _by_backend(prefix: str) -> list[str]:
    return [f"{prefix}_sqlite", f"{prefix}_postgres"]


GOALS = (
    Goal(
        "ack p99 within 2x the floor (closed loop)",
        lambda f: _all(f, _by_backend("ack_overhead_ratio"), lambda v: v <= 2.0),
    ),
    Goal(
        "ack p99 under 50 ms (closed loop)",
        lambda f: _all(f, _by_backend("ack_p99_ms"), lambda v: v < 50),
    ),
    Goal(
        "HTTP updates/s at least 400 on SQLite",
        lambda f: _all(f, ["http_updates_per_s_sqlite"], lambda v: v >= 400),
    ),
    Goal(
        "HTTP updates/s at least 250 on PostgreSQL",
        lambda f: _all(f, ["http_updates_per_s_postgres"], lambda v: v >= 250),
    ),
    Goal(
        "server CPU per update at most 3 ms",
        lambda f: _all(f, _by_backend("cpu_ms_per_update"), lambda v: v <= 3),
    ),
    Goal(
        "no update lost or doubled",
        lambda f: _all(f, _by_backend("updates_lost"), lambda v: v == 0),
    ),
    Goal(
        "record_update: at least 200 updates/s",
        lambda f: _all(f, _by_backend("updates_per_s"), lambda v: v >= 200),
    ),
    Goal("reminder tick under 2 s", lambda f: _all(f, ["reminder_tick_s"], lambda v: v < 2)),
    Goal(
        "no reminder DM lost or doubled",
        lambda f: _all(f, ["reminder_dms_lost", "reminder_dms_doubled"], lambda v: v == 0),
    ),
    Goal("digest under 2 s", lambda f: _all(f, ["digest_s"], lambda v: v < 2)),
    Goal(
        "digest within 10x the read floor",
        lambda f: _all(f, ["digest_floor_ratio"], lambda v: v <= 10),
    ),
    Goal(
        "serving RSS under 200 MB",
        lambda f: _all(f, _by_backend("serve_rss_mb"), lambda v: v < 200),
    ),
    Goal("start-up under 2 s", lambda f: _all(f, _by_backend("startup_s"), lambda v: v < 2)),
)


def print_goals(fig: Figures) -> None:
    width = max(len(g.text) for g in GOALS)
    print()
    print(f"| {'goal'.ljust(width)} | met |")
    print(f"| {'-' * width} | --- |")
    for goal in GOALS:
        verdict = goal.check(fig)
        mark = "n/a" if verdict is None else ("yes" if verdict else "NO")
        print(f"| {goal.text.ljust(width)} | {mark.ljust(3)} |")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="planbot's benchmarks (see bench/README.md)")
    parser.add_argument("--quick", action="store_true", help="a smaller run, about two minutes")
    parser.add_argument(
        "--only",
        default=",".join(PHASES),
        help=f"comma-separated phases to run (default: all of {','.join(PHASES)})",
    )
    parser.add_argument("--no-postgres", action="store_true", help="skip the PostgreSQL figures")
    args = parser.parse_args(argv)
    phases = [p.strip() for p in args.only.split(",") if p.strip()]
    unknown = set(phases) - set(PHASES)
    if unknown:
        parser.error(f"unknown phase(s): {', '.join(sorted(unknown))}")
    size = QUICK if args.quick else FULL
    fig = Figures()
    print(
        f"# planbot bench ({size.name}), {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC", flush=True
    )
    began = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="planbot-bench-") as tmp:
        workdir = Path(tmp)
        backends = Backends(workdir, postgres=not args.no_postgres, fig=fig)
        try:
            for phase in phases:
                gc.collect()
                if phase == "ack":
                    phase_ack(fig, size, backends, workdir)
                elif phase == "updates":
                    phase_updates(fig, size, backends)
                elif phase == "reminders":
                    phase_reminders(fig, size, backends)
                elif phase == "digest":
                    phase_digest(fig, size, backends)
        finally:
            backends.stop()
    fig.put("bench_s", time.perf_counter() - began, 1)
    print_goals(fig)
    return 0 if all(math.isfinite(v) for v in fig.values.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
