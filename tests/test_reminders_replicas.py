"""Exactly once across processes: real `planbot reminders run` processes on one PostgreSQL
database and one fake Slack, at a fixed moment (`--now`, a hidden test-only option).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import select
from support.action_plan import sample_actions_only
from support.fakeslack import FakeSlack
from test_reminders import Q3_OUTSTANDING, utc

from bot.services.plans import load_plan
from storage import models as m
from storage.db import Database

pytestmark = pytest.mark.postgres

INVITATIONS_AT = "2020-01-09T09:30:00+00:00"


@pytest.fixture
def pg_sample(postgres_url: str) -> str:
    """A migrated PostgreSQL database (Alembic, as `planbot db upgrade`) with the sample plan."""
    db = Database(postgres_url)
    db.upgrade()
    load_plan(db=db, plan_file=sample_actions_only(), now=utc(2019, 12, 2, 9, 0))
    db.dispose()
    return postgres_url


def start_run(url: str, fake: FakeSlack, cwd: Path, now: str) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "SLACK_API_URL": fake.url,
        "SLACK_BOT_TOKEN": "xoxb-test",
        "PLANBOT_PLAN": "",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "reminders", "run", "--now", now, "--pace", "0"],
        cwd=cwd,  # no .env from the working tree
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def delivery_states(url: str) -> Counter[str]:
    db = Database(url)
    try:
        with db.session() as session:
            return Counter(session.scalars(select(m.Delivery.state)))
    finally:
        db.dispose()


def posts_per_owner(fake: FakeSlack) -> Counter[str]:
    return Counter(str(c.args["channel"]) for c in fake.calls_to("chat.postMessage"))


def test_three_processes_ticking_at_the_same_instant_send_each_dm_exactly_once(
    pg_sample: str, fake_slack: FakeSlack, tmp_path: Path
) -> None:
    fake_slack.latency = 0.05  # keeps the three runs overlapping

    runs = [start_run(pg_sample, fake_slack, tmp_path, INVITATIONS_AT) for _ in range(3)]
    outputs = [run.communicate(timeout=60) for run in runs]

    assert [run.returncode for run in runs] == [0, 0, 0], outputs
    assert posts_per_owner(fake_slack) == dict.fromkeys(Q3_OUTSTANDING, 1)
    sent_lines = sum(out.count(" invitation → ") for out, _ in outputs)
    assert sent_lines == len(Q3_OUTSTANDING)  # each process says what it, and only it, sent


def test_a_run_killed_mid_way_and_restarted_leaves_nobody_unreminded(
    pg_sample: str, fake_slack: FakeSlack, tmp_path: Path
) -> None:
    fake_slack.latency = 0.3  # each post takes a while, so the kill lands mid-run
    first = start_run(pg_sample, fake_slack, tmp_path, INVITATIONS_AT)
    fake_slack.wait_for_calls("chat.postMessage", count=3, timeout=30)
    first.send_signal(signal.SIGKILL)
    first.communicate(timeout=10)
    states = delivery_states(pg_sample)
    assert states["claimed"] == 1  # the message in flight: sent or not, nobody knows
    assert states["sent"] < len(Q3_OUTSTANDING)

    # The next tick comes along after the claim lease of the message that was in flight.
    restart = start_run(pg_sample, fake_slack, tmp_path, "2020-01-09T09:45:00+00:00")
    out, err = restart.communicate(timeout=60)

    assert restart.returncode == 0, err
    assert delivery_states(pg_sample) == {"sent": len(Q3_OUTSTANDING)}
    assert out.count(" invitation → ") == len(Q3_OUTSTANDING) - states["sent"]
    per_owner = posts_per_owner(fake_slack)
    assert set(per_owner) == set(Q3_OUTSTANDING)  # nobody unreminded
    doubled = [owner for owner, count in per_owner.items() if count > 1]
    assert len(doubled) <= 1 and all(per_owner[o] == 2 for o in doubled)
    assert sum(per_owner.values()) <= len(Q3_OUTSTANDING) + 1
