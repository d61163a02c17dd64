"""The fake Slack Web API, driven by the real slack_sdk WebClient and its retry handlers.

What the fake refuses (Slack's rules) is tested in tests/test_fakeslack_rules.py.
"""

from __future__ import annotations

import threading
import time

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.http_retry.builtin_interval_calculators import FixedValueRetryIntervalCalculator
from slack_sdk.webhook import WebhookClient
from support.fakeslack import BOT_USER_ID, FakeSlack, issue_trigger_id

BOT_TOKEN = "xoxb-test"
BLOCKS = [{"type": "section", "text": {"type": "mrkdwn", "text": "*ACT-12* is due"}}]


@pytest.fixture
def fake_slack(fake_slack: FakeSlack) -> FakeSlack:
    """The fake, with channels C1 to C3 that the bot is a member of."""
    for channel in ("C1", "C2", "C3"):
        fake_slack.add_channel(channel)
    return fake_slack


def client_for(fake: FakeSlack, *, retries: int = 0, token: str = BOT_TOKEN) -> WebClient:
    """A WebClient on the fake, with Slack's built-in retry handlers when ``retries`` > 0.

    ``retries=0`` means none at all: a bare WebClient retries a connection error once.
    """
    client = WebClient(token=token, base_url=fake.url, timeout=5)
    client.retry_handlers = []
    if retries:
        quick = FixedValueRetryIntervalCalculator(fixed_internal=0.01)
        client.retry_handlers = [
            RateLimitErrorRetryHandler(max_retry_count=retries),
            ServerErrorRetryHandler(max_retry_count=retries, interval_calculator=quick),
            ConnectionErrorRetryHandler(max_retry_count=retries, interval_calculator=quick),
        ]
    return client


def test_post_message_is_recorded_with_its_blocks(fake_slack: FakeSlack) -> None:
    response = client_for(fake_slack).chat_postMessage(channel="C1", text="due", blocks=BLOCKS)

    assert response["ok"] is True
    assert response["channel"] == "C1"
    assert response["message"]["text"] == "due"
    [call] = fake_slack.calls_to("chat.postMessage")
    assert call.args["blocks"] == BLOCKS
    assert call.headers["authorization"] == "Bearer xoxb-test"
    assert call.response["ts"] == response["ts"]
    assert fake_slack.message("C1", response["ts"]) == response["message"]
    assert fake_slack.faults == []


def test_form_encoded_calls_are_parsed_like_json_ones(fake_slack: FakeSlack) -> None:
    client = client_for(fake_slack)
    client.api_call(
        "chat.postMessage",
        params={"channel": "C1", "text": "form", "blocks": '[{"type": "divider"}]'},
    )
    client.users_info(user="U1")

    [post] = fake_slack.calls_to("chat.postMessage")
    assert post.headers["content-type"] == "application/x-www-form-urlencoded"
    assert post.args["blocks"] == [{"type": "divider"}]
    assert fake_slack.calls_to("users.info")[0].args["user"] == "U1"


def test_each_post_gets_a_later_ts(fake_slack: FakeSlack) -> None:
    client = client_for(fake_slack)
    first = client.chat_postMessage(channel="C1", text="one")["ts"]
    second = client.chat_postMessage(channel="C1", text="two")["ts"]

    assert float(second) > float(first)


def test_rate_limited_post_is_retried_and_delivered_once(fake_slack: FakeSlack) -> None:
    fake_slack.fail_next("chat.postMessage", status=429, retry_after=0)

    response = client_for(fake_slack, retries=2).chat_postMessage(channel="C1", text="due")

    assert response["ok"] is True
    assert len(fake_slack.calls_to("chat.postMessage")) == 1
    [fault] = fake_slack.faults
    assert (fault.method, fault.kind) == ("chat.postMessage", "429")


def test_rate_limit_answers_429_with_retry_after(fake_slack: FakeSlack) -> None:
    fake_slack.rate_limit("chat.postMessage", per_minute=2)
    client = client_for(fake_slack)
    client.chat_postMessage(channel="C1", text="one")
    client.chat_postMessage(channel="C2", text="two")

    with pytest.raises(SlackApiError) as raised:
        client.chat_postMessage(channel="C3", text="three")

    assert raised.value.response.status_code == 429
    assert raised.value.response["error"] == "ratelimited"
    assert 1 <= int(raised.value.response.headers["Retry-After"]) <= 60
    assert len(fake_slack.calls_to("chat.postMessage")) == 2
    assert [f.kind for f in fake_slack.faults] == ["rate_limited"]


def test_per_channel_rate_limit_counts_channels_apart(fake_slack: FakeSlack) -> None:
    fake_slack.rate_limit("chat.postMessage", per_minute=1, per_channel=True)
    client = client_for(fake_slack)
    client.chat_postMessage(channel="C1", text="one")
    client.chat_postMessage(channel="C2", text="one")

    with pytest.raises(SlackApiError):
        client.chat_postMessage(channel="C1", text="two")


def test_server_error_is_retried(fake_slack: FakeSlack) -> None:
    fake_slack.fail_next("chat.postMessage", status=500, count=2)

    client_for(fake_slack, retries=2).chat_postMessage(channel="C1", text="due")

    assert len(fake_slack.calls_to("chat.postMessage")) == 1
    assert [f.kind for f in fake_slack.faults] == ["500", "500"]


def test_injected_api_error_is_not_retried(fake_slack: FakeSlack) -> None:
    fake_slack.fail_next("chat.postMessage", error="invalid_auth")

    with pytest.raises(SlackApiError) as raised:
        client_for(fake_slack, retries=2).chat_postMessage(channel="C1", text="due")

    assert raised.value.response.status_code == 200
    assert raised.value.response["error"] == "invalid_auth"
    assert fake_slack.calls == []
    assert fake_slack.faults[0].error == "invalid_auth"


def test_dropped_connection_is_retried_and_delivered_once(fake_slack: FakeSlack) -> None:
    fake_slack.drop_next("chat.postMessage")

    client_for(fake_slack, retries=1).chat_postMessage(channel="C1", text="due")

    assert len(fake_slack.calls_to("chat.postMessage")) == 1
    assert [f.kind for f in fake_slack.faults] == ["drop"]


def test_dropped_connection_without_retry_raises(fake_slack: FakeSlack) -> None:
    fake_slack.drop_next("chat.postMessage")

    with pytest.raises(ConnectionError):
        client_for(fake_slack).chat_postMessage(channel="C1", text="due")

    assert fake_slack.calls == []


def test_answer_lost_after_processing_makes_a_retry_deliver_twice(fake_slack: FakeSlack) -> None:
    fake_slack.drop_next("chat.postMessage", processed=True)

    client_for(fake_slack, retries=1).chat_postMessage(channel="C1", text="due")

    assert len(fake_slack.calls_to("chat.postMessage")) == 2
    assert [f.kind for f in fake_slack.faults] == ["drop_after_processing"]


def test_random_faults_are_deterministic_and_retries_deliver_each_once(
    fake_slack: FakeSlack,
) -> None:
    def run() -> list[str]:
        fake_slack.reset()
        # No "429" here: the SDK sleeps Retry-After plus up to a second of jitter per retry.
        fake_slack.fault_rate(0.3, seed=7, kinds=("500", "503", "reset", "drop"))
        client = client_for(fake_slack, retries=10)
        for n in range(20):  # to 20 people: one channel would meet Slack's per-channel pace
            client.chat_postMessage(channel=f"U{n:03d}", text=f"message {n}")
        texts = [call.args["text"] for call in fake_slack.calls_to("chat.postMessage")]
        assert texts == [f"message {n}" for n in range(20)]
        return [fault.kind for fault in fake_slack.faults]

    kinds = run()

    assert kinds, "a 30% fault rate over 20+ calls should fault at least once"
    assert set(kinds) <= {"500", "503", "reset", "drop"}
    assert run() == kinds


def test_files_upload_v2_stores_the_bytes(fake_slack: FakeSlack) -> None:
    content = b"PK\x03\x04 committee appendix"

    response = client_for(fake_slack).files_upload_v2(
        content=content,
        filename="appendix-1.docx",
        title="Appendix 1",
        channel="C1",
        initial_comment="Q3 report",
    )

    assert fake_slack.uploaded_files == {"appendix-1.docx": content}
    assert response["file"]["title"] == "Appendix 1"
    [complete] = fake_slack.calls_to("files.completeUploadExternal")
    assert complete.args["channel_id"] == "C1"
    assert complete.args["files"] == [{"id": response["file"]["id"], "title": "Appendix 1"}]
    assert [c.method for c in fake_slack.calls] == [
        "files.getUploadURLExternal",
        "upload",
        "files.completeUploadExternal",
    ]


def test_a_post_to_a_deactivated_user_succeeds_as_on_slack_and_users_info_says_deleted(
    fake_slack: FakeSlack,
) -> None:
    fake_slack.deactivate("U123")
    client = client_for(fake_slack)

    posted = client.chat_postMessage(channel="U123", text="reminder")

    assert posted["ok"] is True
    assert client.users_info(user="U123")["user"]["deleted"] is True
    with pytest.raises(SlackApiError) as opened:
        client.conversations_open(users="U123")
    assert opened.value.response["error"] == "user_disabled"


def test_loosened_deactivated_posts_can_be_refused_like_older_slack(fake_slack: FakeSlack) -> None:
    # Loosened on purpose: some workspaces have answered channel_not_found instead.
    fake_slack.deactivated_post_error = "channel_not_found"
    client = client_for(fake_slack)
    channel = client.conversations_open(users="U7")["channel"]["id"]
    fake_slack.deactivate("U7")

    with pytest.raises(SlackApiError) as raised:
        client.chat_postMessage(channel=channel, text="reminder")
    assert raised.value.response["error"] == "channel_not_found"


def test_missing_user_is_not_found(fake_slack: FakeSlack) -> None:
    fake_slack.missing("U9")

    with pytest.raises(SlackApiError) as raised:
        client_for(fake_slack).users_info(user="U9")

    assert raised.value.response["error"] == "user_not_found"


def test_registered_user_has_a_profile_and_is_found_by_email(fake_slack: FakeSlack) -> None:
    fake_slack.scopes |= {"users:read.email"}  # an app installed with that scope
    fake_slack.add_user("U5", real_name="Ada Owner", email="ada@havering.gov.uk")
    client = client_for(fake_slack)

    user = client.users_lookupByEmail(email="ada@havering.gov.uk")["user"]

    assert user["id"] == "U5"
    assert user["profile"]["real_name"] == "Ada Owner"
    assert user["deleted"] is False
    with pytest.raises(SlackApiError) as raised:
        client.users_lookupByEmail(email="nobody@example.org")
    assert raised.value.response["error"] == "users_not_found"


def test_conversations_open_gives_a_dm_that_posts_land_in(fake_slack: FakeSlack) -> None:
    client = client_for(fake_slack)

    channel = client.conversations_open(users="U123")["channel"]["id"]
    posted = client.chat_postMessage(channel="U123", text="reminder")

    assert channel == fake_slack.dm_channel("U123")
    assert channel.startswith("D")
    assert posted["channel"] == channel


def test_ephemeral_and_update(fake_slack: FakeSlack) -> None:
    client = client_for(fake_slack)
    posted = client.chat_postMessage(channel="C1", text="before")

    ephemeral = client.chat_postEphemeral(channel="C1", user="U1", text="only you")
    updated = client.chat_update(channel="C1", ts=posted["ts"], text="after")

    assert ephemeral["message_ts"]
    assert updated["message"]["text"] == "after"
    assert (fake_slack.message("C1", posted["ts"]) or {}).get("text") == "after"


def test_views_open_update_push_and_publish(fake_slack: FakeSlack) -> None:
    client = client_for(fake_slack)
    modal = {
        "type": "modal",
        "callback_id": "update",
        "title": {"type": "plain_text", "text": "U"},
        "blocks": BLOCKS,
    }

    opened = client.views_open(trigger_id=issue_trigger_id(), view=modal)["view"]
    updated = client.views_update(view_id=opened["id"], hash=opened["hash"], view=modal)["view"]
    with pytest.raises(SlackApiError) as stale:
        client.views_update(view_id=opened["id"], hash=opened["hash"], view=modal)
    pushed = client.views_push(trigger_id=issue_trigger_id(), view=modal)["view"]
    home = client.views_publish(user_id="U1", view={"type": "home", "blocks": BLOCKS})["view"]

    assert updated["id"] == opened["id"]
    assert stale.value.response["error"] == "hash_conflict"
    assert pushed["id"] != opened["id"]
    assert (fake_slack.view(opened["id"]) or {}).get("callback_id") == "update"
    assert home["type"] == "home"
    assert (fake_slack.home_view("U1") or {}).get("blocks") == BLOCKS


def test_response_url_posts_are_recorded(fake_slack: FakeSlack) -> None:
    response = WebhookClient(fake_slack.response_url("cmd-1")).send(
        text="Update recorded", response_type="ephemeral"
    )

    assert response.status_code == 200
    [call] = fake_slack.calls_to("response_url")
    assert call.args["text"] == "Update recorded"
    assert call.path == "/response/cmd-1"


def test_socket_mode_connection_url(fake_slack: FakeSlack) -> None:
    fake_slack.socket_url = "ws://127.0.0.1:9/"

    opened = client_for(fake_slack, token="xapp-1-test").apps_connections_open(
        app_token="xapp-1-test"
    )

    assert opened["url"] == "ws://127.0.0.1:9/"
    with pytest.raises(SlackApiError) as raised:
        client_for(fake_slack).apps_connections_open(app_token="xoxb-test")
    assert raised.value.response["error"] == "not_allowed_token_type"


def test_auth_test_names_the_bot(fake_slack: FakeSlack) -> None:
    assert client_for(fake_slack).auth_test()["user_id"] == BOT_USER_ID


def test_missing_token_and_unknown_method(fake_slack: FakeSlack) -> None:
    with pytest.raises(SlackApiError) as unauthenticated:
        WebClient(base_url=fake_slack.url).chat_postMessage(channel="C1", text="x")
    with pytest.raises(SlackApiError) as unknown:
        client_for(fake_slack).api_call("reactions.add", params={"name": "tick"})

    assert unauthenticated.value.response["error"] == "not_authed"
    assert unknown.value.response["error"] == "unknown_method"


def test_custom_method_handler(fake_slack: FakeSlack) -> None:
    fake_slack.on("reactions.add", lambda args: {"added": args["name"]})

    response = client_for(fake_slack).reactions_add(channel="C1", timestamp="1.2", name="tick")

    assert response["added"] == "tick"


def test_wait_for_calls_made_on_another_thread(fake_slack: FakeSlack) -> None:
    client = client_for(fake_slack)
    worker = threading.Thread(target=client.chat_postMessage, kwargs={"channel": "C1", "text": "x"})
    worker.start()

    calls = fake_slack.wait_for_calls("chat.postMessage", count=1, timeout=5)

    worker.join()
    assert calls[0].args["text"] == "x"
    with pytest.raises(AssertionError, match=r"chat\.update"):
        fake_slack.wait_for_calls("chat.update", timeout=0.05)


def test_latency_delays_answers(fake_slack: FakeSlack) -> None:
    fake_slack.latency = 0.2
    client = client_for(fake_slack)

    began = time.monotonic()
    client.auth_test()

    assert time.monotonic() - began >= 0.2


def test_reset_forgets_calls_and_faults(fake_slack: FakeSlack) -> None:
    fake_slack.fail_next("auth.test", error="invalid_auth")
    fake_slack.deactivate("U1")
    client_for(fake_slack).chat_postMessage(channel="C1", text="x")

    fake_slack.reset()

    assert fake_slack.calls == []
    assert fake_slack.faults == []
    assert client_for(fake_slack).auth_test()["ok"] is True
    assert client_for(fake_slack).users_info(user="U1")["user"]["deleted"] is False


def test_standalone_server_has_its_own_port() -> None:
    with FakeSlack() as fake:
        assert fake.url.startswith("http://127.0.0.1:")
        assert fake.url.endswith("/api/")
        client_for(fake).auth_test()
        assert len(fake.calls) == 1
