"""Sending the reminders due now: each one rendered, claimed, paced, sent and settled once.

The services (bot/services/reminders.py, reminder_dms.py) decide who is owed which message in
each plan and group them; this module sends them, one DM per recipient per step across every
plan, its plans' shares claimed together (`deliver_all_once`). Slack accepts a DM to a
deactivated account as if it had been read, so each recipient is looked up first (users.info,
once per person per tick): a deactivated or unknown one is sent nothing, the claim is marked
failed, and the admins are told their name once a period.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from bot.delivery.once import Delivered, deliver_all_once
from bot.model.reminders import (
    Recipient,
    ReminderAudience,
    ReminderDM,
    Unanswered,
    Unreachable,
)
from bot.notifier import ActiveUsers, AuthFailure, NotifierError
from bot.render import reminder_dms as render_dms
from bot.render import reminder_notices as notices
from bot.render.blockkit import Message
from bot.runtime import Runtime
from bot.services.claims import CLAIM_LEASE, DeliveryKey
from bot.services.inbox import unanswered_to_report
from bot.services.reminder_dms import due_dms, group_unreachable, idle_reason
from bot.services.reminders import UNREACHABLE_PREFIX, unreachable_to_report

log = logging.getLogger(__name__)

# Slack allows about one message a second per channel and a few hundred a minute per
# workspace; pacing every post at this interval stays well inside both.
SLACK_POST_INTERVAL = 1.0


class Pacer:
    """Spaces posts at least `interval` seconds apart (Slack's posting rate)."""

    def __init__(
        self,
        interval: float,
        *,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.interval = interval
        self._sleep, self._monotonic = sleep, monotonic
        self._last: float | None = None

    def wait(self) -> None:
        if self.interval <= 0:
            return
        current = self._monotonic()
        if self._last is not None and (delay := self._last + self.interval - current) > 0:
            self._sleep(delay)
            current += delay
        self._last = current


@dataclass(frozen=True)
class Outcome:
    """What happened to one message."""

    plan_key: str
    period_key: str
    kind: str
    recipient: Recipient
    refs: tuple[str, ...] = ()
    detail: str = ""


@dataclass
class TickReport:
    """What one tick did."""

    now: dt.datetime
    idle: str | None = None  # why nothing could be sent now (weekend, before 09:30...)
    sent: list[Outcome] = field(default_factory=list)
    undeliverable: list[Outcome] = field(default_factory=list)
    retry_later: list[Outcome] = field(default_factory=list)
    already_done: int = 0  # sent earlier, or claimed by another replica
    stopped: str | None = None  # Slack refused the token: the run stopped here

    @property
    def ok(self) -> bool:
        return self.stopped is None


UNANSWERED_PREFIX = "unanswered:"  # the delivery kind of a report of an unanswered request


def run_tick(
    runtime: Runtime,
    now: dt.datetime,
    *,
    plan_key: str | None = None,
    pace: float = SLACK_POST_INTERVAL,
    pacer: Pacer | None = None,
    lease: dt.timedelta = CLAIM_LEASE,
) -> TickReport:
    """Send every message due at `now` that nobody has sent yet, in every plan (or the plan
    `plan_key`); one bad item stops nothing.

    Each person gets one DM per step however many plans owe them one (`due_dms`), its plans'
    shares claimed together. Rate limits, server errors and dropped connections are retried by
    the Slack client; a message that still fails is released for the next tick. An
    undeliverable recipient (deactivated, unknown, or refused by Slack) is recorded and
    reported to the admins once. A refused token stops the run.
    """
    report = TickReport(now=now)
    ctx = runtime.request(now=now, plan_key=plan_key)
    idle = idle_reason(ctx)
    if idle is not None:
        report.idle = idle
        return report
    sender = _Sender(runtime, now, pacer or Pacer(pace), report, lease)
    try:
        for dm in due_dms(ctx):
            sender.send_dm(dm)
        for unreachable in group_unreachable(unreachable_to_report(ctx)):
            sender.send_unreachable(unreachable)
        for unanswered in unanswered_to_report(ctx):
            sender.send_unanswered(unanswered)
    except AuthFailure as exc:
        report.stopped = str(exc)  # the caller says it once: the job's log, the CLI's error
    return report


_RENDERERS: dict[ReminderAudience, Callable[[ReminderDM], Message]] = {
    ReminderAudience.OWNER: render_dms.render_owner_dm,
    ReminderAudience.DIRECTOR: render_dms.render_escalation_dm,
    ReminderAudience.ADMIN: render_dms.render_admin_dm,
}


def _joined(values: Sequence[str]) -> str:
    return "+".join(dict.fromkeys(values))


@dataclass
class _Sender:
    runtime: Runtime
    now: dt.datetime
    pacer: Pacer
    report: TickReport
    lease: dt.timedelta
    active: ActiveUsers = field(init=False)

    def __post_init__(self) -> None:
        self.active = ActiveUsers(self.runtime.notifier)  # one users.info per person a tick

    def send_dm(self, dm: ReminderDM) -> None:
        """One DM for every plan's share of the step that is not sent yet."""
        parts = dm.parts
        keys = [DeliveryKey(p.plan_id, p.period_key, p.kind, p.recipient.slack_id) for p in parts]

        def outcome(won: Sequence[int]) -> Outcome:
            shares = [parts[i] for i in won] or list(parts)
            several = len(shares) > 1
            return Outcome(
                _joined([share.plan_key for share in shares]),
                _joined([share.period_key for share in shares]),
                dm.kind,
                dm.recipient,
                tuple(
                    f"{share.plan_key} {ref}" if several else ref
                    for share in shares
                    for ref in share.refs
                ),
            )

        self._send(keys, dm.recipient, lambda won: _RENDERERS[dm.audience](dm.only(won)), outcome)

    def send_unreachable(self, items: Sequence[Unreachable]) -> None:
        """One report to an admin of someone unreachable, for every plan where they were."""
        first = items[0]
        kind = f"{UNREACHABLE_PREFIX}{first.slack_id}"
        keys = [DeliveryKey(i.plan_id, i.period_key, kind, i.admin.slack_id) for i in items]

        def outcome(won: Sequence[int]) -> Outcome:
            shares = [items[i] for i in won] or list(items)
            return Outcome(
                _joined([i.plan_key for i in shares]),
                _joined([i.period_key for i in shares]),
                kind,
                first.admin,
            )

        self._send(
            keys,
            first.admin,
            lambda won: notices.render_unreachable([items[i] for i in won]),
            outcome,
        )

    def send_unanswered(self, item: Unanswered) -> None:
        kind = f"{UNANSWERED_PREFIX}{item.item_id}"
        key = DeliveryKey(item.plan_id, item.period_key, kind, item.admin.slack_id)
        self._send(
            [key],
            item.admin,
            lambda won: notices.render_unanswered(item),
            lambda won: Outcome(item.plan_key, item.period_key, kind, item.admin),
        )

    def _send(
        self,
        keys: Sequence[DeliveryKey],
        recipient: Recipient,
        render_for: Callable[[Sequence[int]], Message],
        outcome_of: Callable[[Sequence[int]], Outcome],
    ) -> None:
        """Claim, send and record one message (owed under `keys`, claimed together); whatever
        goes wrong, the batch goes on."""

        def send(won: Sequence[int]) -> str:
            message = render_for(won)
            # A deactivated or unknown recipient raises Undeliverable: failed, and reported.
            # A lookup Slack could not answer raises TransientFailure: released, tried next
            # tick, like a post that failed (sending blind could record them as told).
            self.active.require(recipient.slack_id)
            self.pacer.wait()
            return (
                f"ts={self.runtime.notifier.dm(recipient.slack_id, message.text, message.blocks)}"
            )

        # Anything but an unreachable recipient or a refused token (Slack still failing
        # after the client's retries, or a message that cannot be rendered) gives the claims
        # back for the next tick, and the batch goes on.
        result, won = deliver_all_once(
            self.runtime.db, keys, send, now=self.now, retry_on=(Exception,), lease=self.lease
        )
        outcome = outcome_of(won)
        kind = outcome.kind
        error = result.error
        if result.state is Delivered.ALREADY:
            self.report.already_done += 1
        elif result.state is Delivered.SENT:
            self.report.sent.append(outcome)
        elif result.state is Delivered.FAILED:
            # Slack's error code (`user_disabled`...), as recorded: the admins' report reads it.
            code = error.error if isinstance(error, NotifierError) else ""
            self.report.undeliverable.append(replace(outcome, detail=code or result.detail))
            log.warning("cannot reach %s (%s): %s", recipient.name, recipient.slack_id, error)
        else:
            self.report.retry_later.append(replace(outcome, detail=result.detail))
            if isinstance(error, NotifierError):
                log.warning("will retry %s to %s next tick: %s", kind, recipient.slack_id, error)
            else:
                log.error("failed to send %s to %s", kind, recipient.slack_id, exc_info=error)
