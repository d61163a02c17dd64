"""The notifier: the one place the core talks to Slack's Web API."""

from __future__ import annotations

import logging
import random
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.error import HTTPError
from urllib.request import HTTPSHandler, ProxyHandler, Request, build_opener, urlopen

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.http_retry.builtin_interval_calculators import BackoffRetryIntervalCalculator
from slack_sdk.http_retry.jitter import Jitter
from slack_sdk.http_retry.request import HttpRequest as RetryRequest
from slack_sdk.http_retry.response import HttpResponse as RetryResponse
from slack_sdk.http_retry.state import RetryState

from bot.errors import DEACTIVATED

log = logging.getLogger(__name__)

# Errors that mean this recipient cannot be reached; the rest of a run goes on.
UNDELIVERABLE = frozenset(
    {
        "user_not_found",
        "users_not_found",
        "user_disabled",
        "account_inactive",
        "channel_not_found",
        "cannot_dm_bot",
        "is_archived",
        "not_in_channel",
        "user_is_restricted",
    }
)
# views.open and views.push answer these for a trigger_id that can open nothing now.
SPENT_TRIGGER = frozenset({"expired_trigger_id", "exchanged_trigger_id", "invalid_trigger_id"})
# Errors that mean nothing more will get through with this token: stop the run.
AUTH_FAILURES = frozenset(
    {"invalid_auth", "not_authed", "token_revoked", "token_expired", "no_permission"}
)


@dataclass(frozen=True)
class OpenedView:
    """A modal Slack opened: its id, and the hash that guards an update of it."""

    id: str
    hash: str


class NotifierError(Exception):
    """A message could not be delivered."""

    def __init__(self, message: str, *, error: str = "") -> None:
        super().__init__(message)
        self.error = error


class Undeliverable(NotifierError):
    """This recipient cannot be reached (deactivated, not found...)."""


class TriggerSpent(NotifierError):
    """The trigger_id can open no view: older than 3 s, used already, or not one Slack gave."""


class ViewGone(NotifierError):
    """The view to update was closed, or changed by the person meanwhile."""


class AuthFailure(NotifierError):
    """Slack refused the token: stop and tell a person."""


class TransientFailure(NotifierError):
    """Rate limits, server errors or a dropped connection outlasted the retries."""


class _BoundedJitter(Jitter):
    """Adds up to `most` seconds at random to a retry's wait."""

    def __init__(self, most: float) -> None:
        self.most = most

    def recalculate(self, duration: float) -> float:
        return duration + random.random() * self.most


def make_client(
    *,
    token: str,
    base_url: str,
    max_retries: int = 4,
    backoff_factor: float = 0.5,
    timeout: int = 15,
) -> WebClient:
    """A WebClient for `base_url` that retries rate limits, 5xx and dropped connections.

    Retries back off from `backoff_factor` seconds, with a random jitter of up to twice that
    (a second at the default, as the SDK's own jitter)."""
    interval = BackoffRetryIntervalCalculator(
        backoff_factor=backoff_factor, jitter=_BoundedJitter(2 * backoff_factor)
    )
    client = WebClient(
        token=token,
        base_url=base_url,
        timeout=timeout,
        retry_handlers=[
            RateLimitErrorRetryHandler(max_retry_count=max_retries),
            ServerErrorRetryHandler(max_retry_count=max_retries, interval_calculator=interval),
            ConnectionErrorRetryHandler(max_retry_count=max_retries, interval_calculator=interval),
        ],
    )
    return client


@dataclass(frozen=True)
class FileToUpload:
    filename: str
    content: bytes
    title: str


class Notifier:
    """Sends messages, views and files; turns Slack's errors into the three kinds above."""

    def __init__(self, client: WebClient) -> None:
        self.client = client

    def _call(self, method: str, **kwargs: Any) -> dict[str, Any]:
        with _translated(method):
            response = self.client.api_call(method, json=kwargs)
        return dict(response.data) if isinstance(response.data, dict) else {}

    def dm(self, user_id: str, text: str, blocks: Sequence[dict[str, Any]] | None = None) -> str:
        """Post a direct message from the app to a user; returns the message's ts."""
        return self.post(user_id, text, blocks)

    def post(self, channel: str, text: str, blocks: Sequence[dict[str, Any]] | None = None) -> str:
        """Post a message to a channel (or a user's DM with the app); returns its ts."""
        args: dict[str, Any] = {"channel": channel, "text": text, "unfurl_links": False}
        if blocks:
            args["blocks"] = list(blocks)
        return str(self._call("chat.postMessage", **args).get("ts", ""))

    def ephemeral(
        self, channel: str, user_id: str, text: str, blocks: Sequence[dict[str, Any]] | None = None
    ) -> None:
        args: dict[str, Any] = {"channel": channel, "user": user_id, "text": text}
        if blocks:
            args["blocks"] = list(blocks)
        self._call("chat.postEphemeral", **args)

    def open_dm(self, user_id: str) -> str:
        """The id of the app's DM with `user_id` (files_upload_v2 needs a conversation id)."""
        channel = self._call("conversations.open", users=user_id).get("channel") or {}
        return str(channel.get("id") or user_id)

    def publish_home(self, user_id: str, view: dict[str, Any]) -> None:
        self._call("views.publish", user_id=user_id, view=view)

    def open_view(self, trigger_id: str, view: dict[str, Any]) -> OpenedView:
        """Open a modal with the trigger of a request; TriggerSpent when it no longer works."""
        try:
            data = self._call("views.open", trigger_id=trigger_id, view=view)
        except NotifierError as exc:
            if exc.error in SPENT_TRIGGER:
                raise TriggerSpent(str(exc), error=exc.error) from exc
            raise
        opened = data.get("view") or {}
        return OpenedView(id=str(opened.get("id", "")), hash=str(opened.get("hash", "")))

    def update_view(self, view_id: str, view: dict[str, Any], *, hash: str | None = None) -> None:
        """Replace an open modal; with `hash`, only if nobody changed it since (else ViewGone,
        as when the person has closed it)."""
        args: dict[str, Any] = {"view_id": view_id, "view": view}
        if hash:
            args["hash"] = hash
        try:
            self._call("views.update", **args)
        except NotifierError as exc:
            if exc.error in {"not_found", "hash_conflict"}:
                raise ViewGone(str(exc), error=exc.error) from exc
            raise

    def respond(self, response_url: str, message: dict[str, Any]) -> None:
        """Post `message` to an interaction's response_url, retried like every other call.

        (Bolt's own `respond` retries a dropped connection once and returns a 429 or a 500
        without raising, so a reply could be lost without a trace.)
        """
        from slack_sdk.webhook import WebhookClient

        client = WebhookClient(
            url=response_url,
            timeout=self.client.timeout,
            proxy=self.client.proxy,
            ssl=self.client.ssl,
            retry_handlers=list(self.client.retry_handlers),
        )
        try:
            response = client.send_dict(message)
        except OSError as exc:  # connection errors that outlasted the retries
            raise TransientFailure(f"response_url: {exc}", error="connection") from exc
        status, body = response.status_code, str(response.body or "")[:100]
        if status == 429 or status >= 500:
            raise TransientFailure(f"response_url: HTTP {status}", error=str(status))
        if status != 200:  # e.g. 404 expired_url, used_url: the link no longer works
            raise NotifierError(f"response_url: HTTP {status} {body}".strip(), error=body)

    def require_active(self, user_id: str) -> None:
        """Raise Undeliverable when users.info says the user is deactivated or unknown."""
        # users.info reads its arguments from the query or a form, not a JSON body.
        with _translated("users.info"):
            response = self.client.users_info(user=user_id)
        user = response.get("user") or {}
        if user.get("deleted"):
            raise Undeliverable(
                f"users.info: {user_id} is deactivated ({DEACTIVATED})", error=DEACTIVATED
            )

    def upload(
        self, channel: str, files: Sequence[FileToUpload], *, initial_comment: str = ""
    ) -> None:
        """Upload files to a channel: files_upload_v2's three steps, each one retried.

        The SDK's files_upload_v2 POSTs the bytes to the upload URL itself, past the client's
        retry handlers, so one 500 or dropped connection there lost the file. Here that POST
        is retried by the same handlers as every Web API call. Nothing is shared until the
        last step, so a failure before it leaves nothing half-posted in the channel.
        """
        uploaded: list[dict[str, str | None]] = []
        for f in files:
            with _translated("files.getUploadURLExternal"):
                target = self.client.files_getUploadURLExternal(
                    filename=f.filename, length=len(f.content)
                )
            self._post_file(str(target["upload_url"]), f.content, f.filename)
            uploaded.append({"id": str(target["file_id"]), "title": f.title})
        with _translated("files.completeUploadExternal"):
            self.client.files_completeUploadExternal(
                files=uploaded, channel_id=channel, initial_comment=initial_comment or None
            )

    def _post_file(self, url: str, data: bytes, filename: str) -> None:
        """POST a file's bytes to its upload URL, retried as the WebClient retries its calls.

        The same handler objects decide: 429 after its Retry-After, 500 and 503 and dropped
        connections with backoff, each a bounded number of times. Sending the bytes again
        is safe: the file is only shared by files.completeUploadExternal.
        """
        if not url.lower().startswith(("https://", "http://")):
            raise NotifierError(f"upload {filename}: not an upload URL: {url[:100]}")
        request = Request(url, data=data, method="POST")  # noqa: S310 - http(s), checked above
        retry_request = RetryRequest(method="POST", url=url, headers={}, data=data)
        state = RetryState()
        while True:
            state.next_attempt_requested = False
            response: RetryResponse | None = None
            try:
                with self._open(request) as answer:
                    answer.read()
                    status, headers, detail = answer.status, dict(answer.headers), ""
                if status == 200:
                    return
                error: Exception = NotifierError(f"upload {filename}: HTTP {status}")
                response = RetryResponse(status_code=status, headers=headers)
            except HTTPError as exc:  # urllib raises for 4xx and 5xx
                status, detail, error = exc.code, exc.read()[:100].decode("utf-8", "replace"), exc
                response = RetryResponse(status_code=status, headers=dict(exc.headers.items()))
            except OSError as exc:  # a dropped or reset connection, a timeout
                error = exc
            for handler in self.client.retry_handlers:
                if handler.can_retry(
                    state=state, request=retry_request, response=response, error=error
                ):
                    # Sleeps first: the Retry-After, or the backoff.
                    handler.prepare_for_next_attempt(
                        state=state, request=retry_request, response=response, error=error
                    )
                    break
            if state.next_attempt_requested:
                log.info("upload of %s failed (%s); trying again", filename, error)
                continue
            if response is None:
                raise TransientFailure(f"upload {filename}: {error}", error="connection") from error
            message = f"upload {filename}: HTTP {status} {detail}".strip()
            if status == 429 or status >= 500:
                raise TransientFailure(message, error=str(status)) from error
            raise NotifierError(message, error=str(status)) from error

    def _open(self, request: Request) -> Any:
        """Open `request` with the client's proxy, TLS context and timeout."""
        if self.client.proxy:
            opener = build_opener(
                ProxyHandler({"http": self.client.proxy, "https": self.client.proxy}),
                HTTPSHandler(context=self.client.ssl),
            )
            return opener.open(request, timeout=self.client.timeout)
        return urlopen(request, context=self.client.ssl, timeout=self.client.timeout)  # noqa: S310


class ActiveUsers:
    """Who may be messaged, asked of users.info once per person for one run.

    Slack accepts a DM to a deactivated account without complaint (python-slack-sdk #1156),
    so a run asks first. Answers are kept for the run; a lookup that failed is not.
    """

    def __init__(self, notifier: Notifier) -> None:
        self._notifier = notifier
        self._refused: dict[str, Undeliverable | None] = {}
        self._unchecked_said = False

    def require(self, user_id: str) -> None:
        """Raise Undeliverable for a deactivated or unknown user.

        AuthFailure and TransientFailure pass through (the caller stops, or tries again next
        run). Any other refusal of users.info (`missing_scope` on an app not yet reinstalled
        with users:read, `user_not_visible`) cannot say the user has gone: they are messaged
        as before, and the log says why they were not checked.
        """
        if user_id not in self._refused:
            try:
                self._notifier.require_active(user_id)
            except Undeliverable as exc:
                self._refused[user_id] = exc
            except (AuthFailure, TransientFailure):
                raise
            except NotifierError as exc:
                self._refused[user_id] = None
                if not self._unchecked_said:
                    self._unchecked_said = True
                    log.warning("cannot tell whether users are deactivated: %s", exc)
            else:
                self._refused[user_id] = None
        if (refused := self._refused[user_id]) is not None:
            raise Undeliverable(str(refused), error=refused.error)


@contextmanager
def _translated(method: str) -> Iterator[None]:
    """Turn the SDK's errors from one call into the notifier's three kinds."""
    try:
        yield
    except SlackApiError as exc:
        raise _classify(method, exc.response.get("error", "") or "", exc) from exc
    except OSError as exc:  # connection errors that outlasted the retries
        raise TransientFailure(f"{method}: {exc}", error="connection") from exc


def _classify(method: str, error: str, exc: SlackApiError) -> NotifierError:
    status = getattr(exc.response, "status_code", 200)
    if error in AUTH_FAILURES:
        return AuthFailure(
            f"Slack refused the bot token ({error}); check SLACK_BOT_TOKEN.", error=error
        )
    if error in UNDELIVERABLE:
        return Undeliverable(f"{method}: {error}", error=error)
    if status == 429 or status >= 500 or error in {"ratelimited", "fatal_error", "internal_error"}:
        return TransientFailure(
            f"{method}: HTTP {status} {error}".strip(), error=error or str(status)
        )
    return NotifierError(f"{method}: {error or exc}", error=error)
