"""`planbot manifest` and `planbot serve`, run as a person runs them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest
from support.fakeslack import FakeSlack
from support.loopback import free_port
from support.slackapp import (
    APP_TOKEN,
    BOT_TOKEN,
    SIGNING_SECRET,
    SINEAD,
    SocketModeStandIn,
    sign,
    slash_command,
    updates_of,
    wait_for,
)
from typer.testing import CliRunner

from bot.cli import app as cli
from bot.manifest import build_manifest
from bot.planio import SAMPLE_PLAN, read_plan
from bot.services.plans import load_plan
from storage.db import Database


def test_manifest_for_socket_mode_has_the_commands_scopes_home_and_events() -> None:
    result = CliRunner().invoke(cli, ["manifest"])

    assert result.exit_code == 0, result.output
    manifest = json.loads(result.output)
    commands = {c["command"]: c for c in manifest["features"]["slash_commands"]}
    assert set(commands) == {"/update", "/actions", "/digest", "/planbot"}
    assert commands["/actions"]["should_escape"] is True  # @mentions arrive as <@U…|name>
    assert all("url" not in c for c in commands.values())
    assert manifest["oauth_config"]["scopes"]["bot"] == [
        "commands",
        "chat:write",
        "im:write",
        "files:write",
        "users:read",
    ]
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True
    assert manifest["settings"]["socket_mode_enabled"] is True
    assert manifest["settings"]["interactivity"] == {"is_enabled": True}
    assert manifest["settings"]["event_subscriptions"]["bot_events"] == ["app_home_opened"]
    assert 175 <= len(manifest["display_information"]["long_description"]) <= 4000
    assert all(len(c["description"]) <= 100 for c in commands.values())


def test_manifest_for_http_points_everything_at_the_events_url() -> None:
    manifest = build_manifest(request_url="https://planbot.example.gov.uk/")
    url = "https://planbot.example.gov.uk/slack/events"

    assert manifest["settings"]["socket_mode_enabled"] is False
    assert {c["url"] for c in manifest["features"]["slash_commands"]} == {url}
    assert manifest["settings"]["interactivity"]["request_url"] == url
    assert manifest["settings"]["interactivity"]["message_menu_options_url"] == url
    assert manifest["settings"]["event_subscriptions"]["request_url"] == url


def test_manifest_refuses_a_plain_http_request_url() -> None:
    result = CliRunner().invoke(cli, ["manifest", "--request-url", "http://planbot.local"])

    assert result.exit_code == 1
    assert "must be an https:// URL" in result.output


# -- planbot serve -----------------------------------------------------------------------------


@pytest.fixture
def plan_file_db(tmp_path: Path) -> Iterator[Database]:
    import datetime as dt

    db = Database(f"sqlite:///{tmp_path / 'planbot.db'}")
    db.upgrade()
    load_plan(db=db, plan_file=read_plan(SAMPLE_PLAN), now=dt.datetime(2019, 12, 2, tzinfo=dt.UTC))
    yield db
    db.dispose()


def serve(db: Database, fake: FakeSlack, *args: str, **env: str) -> subprocess.Popen[str]:
    environment = {
        **os.environ,
        "DATABASE_URL": db.url,
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": fake.url,
        "PLANBOT_TICK_MINUTES": "60",
        **env,
    }
    if "SLACK_APP_TOKEN" not in env:
        environment.pop("SLACK_APP_TOKEN", None)
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "serve", *args],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def stop(process: subprocess.Popen[str]) -> str:
    process.terminate()
    try:
        output, _ = process.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        output, _ = process.communicate()
    return output


def test_serve_over_http_answers_signed_commands_and_health(
    plan_file_db: Database, fake_slack: FakeSlack
) -> None:
    port = free_port()
    process = serve(plan_file_db, fake_slack, "--http", "--port", str(port), "--host", "127.0.0.1")
    try:
        base = f"http://127.0.0.1:{port}"
        health = wait_for_health(base, process)
        assert health.json() == {"status": "ok", "database": "reachable"}
        fields = slash_command(
            SINEAD, "/update", "ACT-12", response_url=fake_slack.response_url("serve")
        )
        body = urlencode(fields).encode()
        stamp = int(time.time())
        response = httpx.post(
            f"{base}/slack/events",
            content=body,
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "X-Slack-Request-Timestamp": str(stamp),
                "X-Slack-Signature": sign(body, stamp),
            },
        )
        assert response.status_code == 200
        fake_slack.wait_for_calls("views.open")
    finally:
        output = stop(process)
    assert "listening on http://127.0.0.1" in output
    assert "reminder scheduler started" in output or "reminder scheduler not started" in output


def wait_for_health(
    base: str, process: subprocess.Popen[str], timeout: float = 20
) -> httpx.Response:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"planbot serve exited: {process.communicate()[0]}")
        try:
            return httpx.get(f"{base}/healthz", timeout=1)
        except httpx.TransportError:
            time.sleep(0.05)
    raise AssertionError("planbot serve did not start listening")


def test_serve_uses_socket_mode_when_an_app_token_is_set(
    plan_file_db: Database, fake_slack: FakeSlack
) -> None:
    stand_in = SocketModeStandIn().start()
    fake_slack.socket_url = stand_in.url
    process = serve(plan_file_db, fake_slack, SLACK_APP_TOKEN=APP_TOKEN)
    try:
        stand_in.wait_connected(timeout=20)
        envelope = stand_in.send(
            "slash_commands",
            slash_command(
                SINEAD,
                "/update",
                "ACT-12 complete Contract signed",  # the real clock: ACT-12's target has passed
                response_url=fake_slack.response_url("socket"),
            ),
        )
        assert stand_in.ack_for(envelope, timeout=10) == {"envelope_id": envelope}
        wait_for(lambda: fake_slack.calls_to("response_url"), timeout=10)
    finally:
        stop(process)
        stand_in.stop()
    assert updates_of(plan_file_db, "ACT-12")[-1].note == "Contract signed"


def test_serve_without_a_bot_token_says_so(plan_file_db: Database, fake_slack: FakeSlack) -> None:
    process = serve(plan_file_db, fake_slack, "--http", SLACK_BOT_TOKEN="")
    output, _ = process.communicate(timeout=30)

    assert process.returncode == 1
    assert "SLACK_BOT_TOKEN is not set" in output
