"""Sending the reminders due now: each one rendered, claimed, paced, sent and settled once.

The service (bot/services/reminders.py) decides who is owed which message; this module sends
them, one DM per recipient per step, through `deliver_once`. Slack accepts a DM to a
deactivated account as if it had been read, so each recipient is looked up first (users.info,
once per person per tick): a deactivated or unknown one is sent nothing, the claim is marked
failed, and the admins are told their name once a period.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from bot.delivery.once import Delivered, deliver_once
from bot.domain.calendar import Cycle
from bot.domain.dates import weekday_date
from bot.model.reminders import Recipient, Reminder, ReminderAudience, Unanswered, Unreachable
from bot.notifier import ActiveUsers, AuthFailure, NotifierError
from bot.render import reminders as render
from bot.render.blockkit import Message
from bot.runtime import Runtime
from bot.services.claims import CLAIM_LEASE, DeliveryKey
from bot.services.inbox import unanswered_to_report
from bot.services.reminders import UNREACHABLE_PREFIX, due_reminders, unreachable_to_report

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


def _idle_reason(cycle: Cycle, now: dt.datetime) -> str:
    local = now.astimezone(cycle.tz)
    day = local.date()
    if day.weekday() >= 5:
        return f"{local:%A} is not a working day"
    if (holiday := cycle.calendar.holiday_name(day)) is not None:
        return f"{weekday_date(day)} is a bank holiday ({holiday})"
    return f"reminders go out from {cycle.rules.send_at:%H:%M} ({cycle.tz.key})"


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
    """Send every message due at `now` that nobody has sent yet; one bad item stops nothing.

    Rate limits, server errors and dropped connections are retried by the Slack client;
    a message that still fails is released for the next tick. An undeliverable recipient
    (deactivated, unknown, or refused by Slack) is recorded and reported to the admins once.
    A refused token stops the run.
    """
    report = TickReport(now=now)
    cycle = runtime.cycle
    if not cycle.can_send_now(now):
        report.idle = _idle_reason(cycle, now)
        return report
    ctx = runtime.request(now=now, plan_key=plan_key)
    sender = _Sender(runtime, now, pacer or Pacer(pace), report, lease)
    try:
        for reminder in due_reminders(ctx):
            sender.send(reminder)
        for unreachable in unreachable_to_report(ctx):
            sender.send(unreachable)
        for unanswered in unanswered_to_report(ctx):
            sender.send(unanswered)
    except AuthFailure as exc:
        report.stopped = str(exc)  # the caller says it once: the job's log, the CLI's error
    return report


_RENDERERS: dict[ReminderAudience, Callable[[Reminder], Message]] = {
    ReminderAudience.OWNER: render.render_owner_reminder,
    ReminderAudience.DIRECTOR: render.render_escalation,
    ReminderAudience.ADMIN: render.render_admin_summary,
}


def _render(item: Reminder | Unreachable | Unanswered) -> Message:
    if isinstance(item, Reminder):
        return _RENDERERS[item.audience](item)
    if isinstance(item, Unanswered):
        return render.render_unanswered(item)
    return render.render_unreachable(item)


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

    def send(self, item: Reminder | Unreachable | Unanswered) -> None:
        """Claim, send and record one message; whatever goes wrong, the batch goes on."""
        if isinstance(item, Reminder):
            recipient, kind, refs = item.recipient, item.kind, item.refs
        elif isinstance(item, Unanswered):
            recipient, kind, refs = item.admin, f"{UNANSWERED_PREFIX}{item.item_id}", ()
        else:
            recipient, kind, refs = item.admin, f"{UNREACHABLE_PREFIX}{item.slack_id}", ()

        def send() -> str:
            message = _render(item)
            # A deactivated or unknown recipient raises Undeliverable: failed, and reported.
            # A lookup Slack could not answer raises TransientFailure: released, tried next
            # tick, like a post that failed (sending blind could record them as told).
            self.active.require(recipient.slack_id)
            self.pacer.wait()
            return (
                f"ts={self.runtime.notifier.dm(recipient.slack_id, message.text, message.blocks)}"
            )

        # Anything but an unreachable recipient or a refused token (Slack still failing
        # after the client's retries, or a message that cannot be rendered) gives the claim
        # back for the next tick, and the batch goes on.
        result = deliver_once(
            self.runtime.db,
            DeliveryKey(item.plan_id, item.period_key, kind, recipient.slack_id),
            send,
            now=self.now,
            retry_on=(Exception,),
            lease=self.lease,
        )
        outcome = Outcome(item.plan_key, item.period_key, kind, recipient, refs)
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
