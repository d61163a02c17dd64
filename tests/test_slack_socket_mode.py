"""Socket Mode: the real Bolt Socket Mode client, connected to a local stand-in for Slack."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pytest
from slack_bolt.adapter.socket_mode import SocketModeHandler
from support.fakeslack import FakeSlack
from support.slackapp import (
    APP_TOKEN,
    SINEAD,
    SocketModeStandIn,
    input_values,
    make_runtime,
    slash_command,
    updates_of,
    view_submission,
    wait_for,
)

from bot.app import create_app
from storage.db import Database


@pytest.fixture
def socket_slack(fake_slack: FakeSlack) -> Iterator[SocketModeStandIn]:
    stand_in = SocketModeStandIn().start()
    fake_slack.socket_url = stand_in.url
    yield stand_in
    stand_in.stop()


@pytest.fixture
def connected(
    sample_db: Database, fake_slack: FakeSlack, socket_slack: SocketModeStandIn
) -> Iterator[SocketModeHandler]:
    """planbot connected in Socket Mode: no signing secret, an xapp- token."""
    app = create_app(make_runtime(sample_db, fake_slack), signing_secret="")
    handler = SocketModeHandler(app, APP_TOKEN)
    handler.connect()  # type: ignore[no-untyped-call]
    socket_slack.wait_connected()
    yield handler
    # Slack closes first (the client's own close waits seconds on a blocked receive).
    handler.client.auto_reconnect_enabled = False
    socket_slack.stop()
    # slack_sdk's Connection.disconnect checks `self.sock is not None` and then closes it
    # while its receive thread, seeing Slack gone, may set it to None in between: the
    # teardown then fails with "'NoneType' object has no attribute 'close'" (seen once
    # under load). The connection is closed either way; that race is not what is tested.
    with contextlib.suppress(AttributeError):
        handler.close()  # type: ignore[no-untyped-call]


def test_slash_command_over_socket_mode_is_acked_recorded_and_answered(
    connected: SocketModeHandler,
    socket_slack: SocketModeStandIn,
    fake_slack: FakeSlack,
    sample_db: Database,
) -> None:
    [opened] = fake_slack.calls_to("apps.connections.open")
    assert opened.headers["authorization"] == f"Bearer {APP_TOKEN}"
    command = slash_command(
        SINEAD, "/update", "ACT-12 green Contract signed", response_url=fake_slack.response_url("s")
    )

    envelope = socket_slack.send("slash_commands", command)

    ack = socket_slack.ack_for(envelope)
    assert ack == {"envelope_id": envelope}
    [reply] = wait_for(lambda: fake_slack.calls_to("response_url"))
    assert reply.args["response_type"] == "ephemeral"
    assert "Recorded ACT-12" in str(reply.args["blocks"])
    latest = updates_of(sample_db, "ACT-12")[-1]
    assert (latest.status, latest.note, latest.source) == ("green", "Contract signed", "command")


def test_view_submission_over_socket_mode_shows_errors_then_records(
    connected: SocketModeHandler,
    socket_slack: SocketModeStandIn,
    fake_slack: FakeSlack,
    sample_db: Database,
) -> None:
    socket_slack.send(
        "slash_commands",
        slash_command(SINEAD, "/update", "ACT-12", response_url=fake_slack.response_url("s")),
    )
    [call] = fake_slack.wait_for_calls("views.open")
    view = fake_slack.view(call.response["view"]["id"])
    assert view is not None
    before = len(updates_of(sample_db, "ACT-12"))

    missing_note = socket_slack.send(
        "interactive", view_submission(SINEAD, view, input_values(view, status="red", note=""))
    )

    ack = socket_slack.ack_for(missing_note)
    assert ack["payload"]["response_action"] == "errors"
    errors = ack["payload"]["errors"]
    assert set(errors) == {
        "note_block.ACT-12.2019-20-Q3",
        "revised_target_date_block.ACT-12.2019-20-Q3",
    }
    assert len(updates_of(sample_db, "ACT-12")) == before

    complete = socket_slack.send(
        "interactive",
        view_submission(SINEAD, view, input_values(view, status="green", note="Back on track")),
    )

    assert socket_slack.ack_for(complete) == {"envelope_id": complete}
    [dm] = wait_for(lambda: fake_slack.calls_to("chat.postMessage"))
    assert dm.args["channel"] == SINEAD
    latest = updates_of(sample_db, "ACT-12")[-1]
    assert (latest.status, latest.note, latest.source) == ("green", "Back on track", "modal")
    assert len(updates_of(sample_db, "ACT-12")) == before + 1
