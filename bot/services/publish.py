"""Publication: lock a period, post its report to the digest channel and to staff webhooks."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from bot.domain.calendar import Cycle
from bot.domain.periods import Period
from bot.errors import InvalidInput, NotAllowed, PlanbotError
from bot.model.report import Digest, ReportAudience
from bot.notifier import ActiveUsers, FileToUpload, NotifierError, TransientFailure
from bot.render.blocks import cut, escape
from bot.render.report_blocks import render_blocks, summary_text
from bot.render.report_json import report_dict
from bot.render.report_wording import day, direction_word
from bot.runtime import Runtime
from bot.services import people as ppl
from bot.services.deliveries import (
    CLAIM_LEASE,
    CLAIMED,
    SENT,
    Claim,
    claim_delivery,
    new_claim,
    recipients,
    release,
    settle,
)
from bot.services.digest import compile_digest
from bot.services.plans import locked_periods, meetings, open_period, period_row, resolve_plan
from storage import models as m
from storage.db import Database

if TYPE_CHECKING:
    import httpx
    from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

PUBLISHED = "digest_published"  # Delivery kind prefix: one row per publication and channel
WEBHOOK = "digest_webhook"  # Delivery kind prefix: one row per publication and webhook
DRAFT = "digest_draft"  # Delivery kind: the scheduled draft, once per admin and period
PUBLISH_REQUEST = "digest_publish_request"  # Delivery kind: one row per request to publish
ANY_PERIOD = "*"  # a publish request is claimed before it is known which period it means
WEBHOOK_TIMEOUT = 10.0
WEBHOOK_BACKOFF = (1.0, 3.0, 9.0)  # seconds before each retry; four attempts in all
TEAMS_MAX_BYTES = 27_000  # Teams refuses webhook payloads over 28 KB
TEAMS_EXCEPTIONS = 10
DETAIL_CHARS = 200  # of what Slack or a webhook answered, quoted in the admins' DM
_TEAMS_HOSTS = (
    "webhook.office.com",
    "outlook.office.com",
    "outlook.office365.com",
    "logic.azure.com",
    "powerplatform.com",
    "powerautomate.com",
)
_TEAMS_PATHS = ("/webhookb2/", "/incomingwebhook/", "/workflows/", "/powerautomate/")


@dataclass(frozen=True)
class LockedPeriod:
    plan_key: str
    plan_id: int
    period: Period
    locked_at: dt.datetime
    locked_by: str
    newly_locked: bool
    version: int  # 1 for the first publication, 2 for the first re-publication...
    claim: Claim  # the channel post of this publication, claimed with the lock
    republished: bool = False  # an earlier publication of the period reached the channel


@dataclass(frozen=True)
class WebhookResult:
    url: str
    ok: bool
    attempts: int
    detail: str


@dataclass(frozen=True)
class PublishResult:
    """What publication did: the period locked, what went to Slack and to each webhook."""

    digest: Digest
    locked: LockedPeriod
    channel: str
    slack_ok: bool
    slack_detail: str = ""
    webhooks: tuple[WebhookResult, ...] = field(default=())

    @property
    def failed_webhooks(self) -> tuple[WebhookResult, ...]:
        return tuple(w for w in self.webhooks if not w.ok)


def url_key(url: str) -> str:
    """A short stable name for a webhook URL (the URL itself is a secret)."""
    host = urlsplit(url).hostname or "webhook"
    return f"{host[:40]}#{hashlib.sha256(url.encode()).hexdigest()[:12]}"


def lock_period(
    *,
    db: Database,
    plan_key: str | None,
    period: Period,
    actor_slack_id: str,
    now: dt.datetime,
    channel: str = "",
    cycle: Cycle | None = None,
) -> LockedPeriod:
    """Lock `period` for publication by an admin and claim the next publication's number.

    Locking is idempotent: a later publication keeps the first lock and counts as a
    re-publication (amendments made since are marked in its report).
    """
    try:
        with db.session() as session:
            plan = resolve_plan(session, plan_key)
            person = ppl.require_member(session, plan, actor_slack_id)
            ppl.require_role(session, plan, person, ppl.ADMIN)
            if cycle is not None:
                current = open_period(session, plan, cycle, cycle.local_date(now))
                if period > current:
                    raise InvalidInput(
                        f"{period.label} has not started collecting updates yet; "
                        "nothing was published or locked.",
                        hint=f"The current period is {current.label}.",
                    )
            row = period_row(session, plan, period)
            newly = row.locked_at is None
            if newly:
                row.locked_at, row.locked_by_id = now, person.id
            earlier = session.scalars(
                select(m.Delivery).where(
                    m.Delivery.plan_id == plan.id,
                    m.Delivery.period_key == period.key,
                    m.Delivery.kind.like(f"{PUBLISHED}_v%"),
                )
            ).all()
            last = max(earlier, key=_version, default=None)
            if last is not None and last.state == CLAIMED and last.claimed_at > now - CLAIM_LEASE:
                raise NotAllowed(
                    f"{period.label} is being published right now.",
                    hint="Wait a minute, then look in the digest channel before trying again.",
                )
            if last is not None and last.state == SENT:
                _require_changes_since(session, row, period, last, cycle or Cycle())
            version = 1 + (_version(last) if last is not None else 0)
            republished = any(publication.state == SENT for publication in earlier)
            claim = new_claim(plan.id, period.key, f"{PUBLISHED}_v{version}", channel or "-")
            session.add(
                m.Delivery(
                    plan_id=plan.id,
                    period_key=period.key,
                    kind=claim.kind,
                    recipient=claim.recipient,
                    state=CLAIMED,
                    claimed_at=now,
                    detail=claim.token,
                )
            )
            session.flush()
            locker = session.get(m.Person, row.locked_by_id) if row.locked_by_id else None
            assert row.locked_at is not None
            return LockedPeriod(
                plan_key=plan.key,
                plan_id=plan.id,
                period=period,
                locked_at=row.locked_at,
                locked_by=locker.name if locker else person.name,
                newly_locked=newly,
                version=version,
                claim=claim,
                republished=republished,
            )
    except IntegrityError:
        raise NotAllowed(
            f"{period.label} is being published by someone else right now.",
            hint="Wait a minute, then look in the digest channel before trying again.",
        ) from None


def _version(publication: m.Delivery) -> int:
    return int(publication.kind.rsplit("_v", 1)[1])


def _require_changes_since(
    session: Session, row: m.Period, period: Period, last: m.Delivery, cycle: Cycle
) -> None:
    """Refuse to publish again what is already in the channel, unchanged."""
    changed = session.scalar(
        select(m.Update.id)
        .where(m.Update.period_id == row.id, m.Update.created_at >= last.claimed_at)
        .limit(1)
    )
    if changed is None:
        when = last.claimed_at.astimezone(cycle.tz)
        raise InvalidInput(
            f"{period.label} was published on {when:%-d %b %Y at %H:%M} and nothing has changed "
            "since; nothing was posted again.",
            hint="To correct the report, amend an update for the period (with a reason), "
            "then publish again: the re-published report marks the amendment.",
        )


def _plan_id(db: Database, plan_key: str | None) -> int:
    with db.read_session() as session:
        return resolve_plan(session, plan_key).id


def period_to_publish(
    *, db: Database, plan_key: str | None, cycle: Cycle, now: dt.datetime
) -> Period:
    """The period a bare `/digest publish` means: the latest whose update deadline has passed.

    Never the period still collecting updates: publishing locks it, which would stop its
    reminders and refuse its owners. An admin who wants that must name the period.
    """
    today = cycle.local_date(now)
    with db.session() as session:
        plan = resolve_plan(session, plan_key)
        current = open_period(session, plan, cycle, today)
        known = meetings(session, plan)
        locked = locked_periods(session, plan)

    def deadline(period: Period) -> dt.date:
        return cycle.schedule(period, known.get(period.key)).update_deadline

    candidate = current
    while deadline(candidate) >= today:
        candidate = candidate.previous()
    if candidate.key not in locked:
        return candidate
    raise InvalidInput(
        f"{candidate.label} is already published, and {current.label} is still collecting "
        f"updates until {day(deadline(current))}; nothing was published.",
        hint=f"To publish {current.short_label} early anyway, name it: "
        f"`/digest publish {current.key}`.",
    )


def report_files(digest: Digest) -> list[FileToUpload]:
    """The Word appendix, the Excel workbook and the chart, named for the plan and period."""
    # Imported when first needed: matplotlib, python-docx and openpyxl take seconds to load,
    # which `planbot serve` would otherwise spend before it answers anything.
    from bot.render.report_chart import render_chart
    from bot.render.report_docx import render_docx
    from bot.render.report_xlsx import render_xlsx

    stem = f"{digest.plan_key}-{digest.period_key}"
    if digest.scope.name:
        stem += "-" + "".join(c if c.isalnum() else "-" for c in digest.scope.name.lower())
    chart = render_chart(digest)
    kind = "draft " if digest.is_draft else ""
    return [
        FileToUpload(
            f"{stem}.docx", render_docx(digest, chart_png=chart), f"{digest.title} ({kind}Word)"
        ),
        FileToUpload(f"{stem}.xlsx", render_xlsx(digest), f"{digest.title} ({kind}Excel)"),
        FileToUpload(f"{stem}-chart.png", chart, f"{digest.title} ({kind}chart)"),
    ]


def publish_report(
    *,
    runtime: Runtime,
    actor_slack_id: str,
    period: Period | None = None,
    now: dt.datetime,
    http: httpx.Client | None = None,
    backoff: Sequence[float] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    request_key: str | None = None,
) -> PublishResult | None:
    """Lock the period, post the committee report to the digest channel, then to webhooks.

    The Slack post never waits on a webhook; a webhook that still fails after its retries
    is reported to the admins by DM. `request_key` names the request (the Slack command's
    trigger): delivered again (a replay, a redelivery), it publishes nothing and gives None.
    """
    settings, db = runtime.settings, runtime.db
    backoff = WEBHOOK_BACKOFF if backoff is None else backoff
    channel = settings.planbot_digest_channel
    if not channel:
        raise PlanbotError(
            "There is no digest channel to publish to; nothing was locked.",
            hint="Set PLANBOT_DIGEST_CHANNEL to the channel's ID (C...) and restart planbot.",
        )
    plan_key = runtime.plan_key
    request = hashlib.sha256(request_key.encode()).hexdigest()[:32] if request_key else None
    request_claim = None
    if request is not None:
        # Claimed before the period is chosen: a replay racing the first delivery must not
        # see the period the first one has just locked and answer with a refusal.
        request_claim = claim_delivery(
            db,
            plan_id=_plan_id(db, plan_key),
            period_key=ANY_PERIOD,
            kind=PUBLISH_REQUEST,
            recipient=request,
            now=now,
        )
        if request_claim is None:
            log.info("publication request delivered again; published once")
            return None
    try:
        if period is None:
            period = period_to_publish(db=db, plan_key=plan_key, cycle=runtime.cycle, now=now)
        locked = lock_period(
            db=db,
            plan_key=plan_key,
            period=period,
            actor_slack_id=actor_slack_id,
            now=now,
            channel=channel,
            cycle=runtime.cycle,
        )
    except Exception:
        if request_claim is not None:  # refused, or failed: the request made nothing happen
            release(db, request_claim)
        raise
    digest = compile_digest(
        db=db,
        plan_key=locked.plan_key,
        period=period,
        scope="all",
        now=now,
        audience=ReportAudience.COMMITTEE,
        cycle=runtime.cycle,
    )
    slack_ok, slack_detail = True, ""
    try:
        what = "Re-published with amendments" if locked.republished else "Published"
        blocks = render_blocks(digest, files_note="The full report is attached below.")
        runtime.notifier.post(channel, f"{what}: {summary_text(digest)}", blocks)
        runtime.notifier.upload(
            channel,
            report_files(digest),
            initial_comment=escape(
                f"{digest.title}: the committee report (Word, Excel and chart)."
            ),
        )
    except NotifierError as exc:
        slack_ok, slack_detail = False, str(exc)
        log.warning("publishing %s to %s failed: %s", period.key, channel, exc)
    settle(db, locked.claim, ok=slack_ok, now=now, detail=slack_detail)
    if request_claim is not None:
        settle(db, request_claim, ok=True, now=now)

    results = []
    for url in settings.planbot_webhook_urls:
        result = _deliver_webhook(
            db=db,
            digest=digest,
            locked=locked,
            url=url,
            now=now,
            http=http,
            backoff=backoff,
            sleep=sleep,
        )
        if result is not None:
            results.append(result)
    outcome = PublishResult(digest, locked, channel, slack_ok, slack_detail, tuple(results))
    if outcome.failed_webhooks or not slack_ok:
        _tell_admins(runtime, outcome)
    return outcome


def _deliver_webhook(
    *,
    db: Database,
    digest: Digest,
    locked: LockedPeriod,
    url: str,
    now: dt.datetime,
    http: httpx.Client | None,
    backoff: Sequence[float],
    sleep: Callable[[float], None],
) -> WebhookResult | None:
    claim = claim_delivery(
        db,
        plan_id=locked.plan_id,
        period_key=locked.period.key,
        kind=f"{WEBHOOK}_v{locked.version}",
        recipient=url_key(url),
        now=now,
    )
    if claim is None:
        return None
    payload = webhook_payload(digest, url, version=locked.version, republished=locked.republished)
    result = post_webhook(url, payload, http=http, backoff=backoff, sleep=sleep)
    settle(db, claim, ok=result.ok, now=now, detail=result.detail)
    return result


def post_webhook(
    url: str,
    payload: dict[str, Any],
    *,
    http: httpx.Client | None = None,
    backoff: Sequence[float] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> WebhookResult:
    """POST `payload` as JSON; retry connection errors, 429 and 5xx with backoff."""
    import httpx

    backoff = WEBHOOK_BACKOFF if backoff is None else backoff
    client = http or httpx.Client(timeout=WEBHOOK_TIMEOUT)
    attempts, detail = 0, ""
    try:
        for delay in (*backoff, None):
            attempts += 1
            retry_after: float | None = None
            try:
                response = client.post(url, json=payload)
            except httpx.HTTPError as exc:
                detail = f"{type(exc).__name__}: {exc}"
            else:
                if response.is_success:
                    return WebhookResult(url, True, attempts, f"HTTP {response.status_code}")
                detail = f"HTTP {response.status_code} {response.text[:200]}".strip()
                if response.status_code != 429 and response.status_code < 500:
                    break  # the payload or the URL is wrong: retrying will not help
                retry_after = _retry_after(response)
            if delay is None:
                break
            sleep(max(delay, retry_after or 0.0))
    finally:
        if http is None:
            client.close()
    return WebhookResult(url, False, attempts, detail)


def _retry_after(response: httpx.Response) -> float | None:
    try:
        return min(float(response.headers.get("Retry-After", "")), 60.0)
    except ValueError:
        return None


def _shown_detail(detail: str) -> str:
    """What Slack or a webhook answered, for a DM: on one line, cut, and escaped for mrkdwn
    (a webhook's body is anyone's text: `<!channel>` in it must ping nobody)."""
    return escape(_cut(detail, DETAIL_CHARS))


def _tell_admins(runtime: Runtime, outcome: PublishResult) -> None:
    lines = []
    if not outcome.slack_ok:
        lines.append(
            f"The report for {outcome.digest.period_label} could not be posted to "
            f"<#{outcome.channel}>: {_shown_detail(outcome.slack_detail)}. The period is "
            f"locked; fix that, then run `/digest publish {outcome.digest.period_key}` to post it."
        )
    for failed in outcome.failed_webhooks:
        lines.append(
            f"The report for {outcome.digest.period_label} did not reach the webhook "
            f"{url_key(failed.url)} after {failed.attempts} attempts "
            f"({_shown_detail(failed.detail)})."
            + (" The Slack post went out." if outcome.slack_ok else "")
        )
    text = "\n".join(lines)
    with runtime.db.session() as session:
        plan = resolve_plan(session, outcome.locked.plan_key)
        admin_ids = [p.slack_id for p in ppl.admins(session, plan)]
    for admin in admin_ids:
        try:
            runtime.notifier.dm(admin, text)
        except NotifierError as exc:
            log.warning("could not tell admin %s about a failed publication: %s", admin, exc)


# -- webhook payloads ------------------------------------------------------------------------


def is_teams_url(url: str) -> bool:
    """True for a Microsoft Teams incoming webhook or a Teams Workflows (Power Automate) URL."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    path = parts.path.lower()
    return any(host == h or host.endswith("." + h) for h in _TEAMS_HOSTS) or any(
        p in path for p in _TEAMS_PATHS
    )


def webhook_payload(
    digest: Digest, url: str, *, version: int = 1, republished: bool | None = None
) -> dict[str, Any]:
    """A Teams card for Teams URLs; the report as plain JSON for any other staff tool."""
    if is_teams_url(url):
        return teams_message(
            digest, republished=version > 1 if republished is None else republished
        )
    return {
        "event": "planbot.report_published",
        "version": version,
        "text": summary_text(digest),
        "report": report_dict(digest),
    }


def _cut(text: str, limit: int) -> str:
    """`text` on one line, within `limit` characters."""
    return cut(" ".join(text.split()), limit)


_TEAMS_MARKDOWN = re.compile(r"([\\`*_\[\]])")
_TEAMS_LIST_START = re.compile(r"^(\s*)([-+]|\d+\.)(\s)")


def teams_text(text: str) -> str:
    """What a person typed, as literal text in an Adaptive Card `TextBlock` (Markdown).

    Teams renders `**bold**`, `_italic_`, `[links](url)` and list markers at the start of a
    line; each is escaped with a backslash so a title or note shows as it was written.
    """
    text = _TEAMS_MARKDOWN.sub(r"\\\1", text)
    return _TEAMS_LIST_START.sub(lambda m: f"{m[1]}{m[2][:-1]}\\{m[2][-1]}{m[3]}", text)


def teams_message(
    digest: Digest, *, republished: bool = False, exceptions: int = TEAMS_EXCEPTIONS
) -> dict[str, Any]:
    """An Adaptive Card in the message envelope that Teams incoming webhooks and Workflows take."""
    previous = digest.previous_period_key
    facts = [
        {
            "title": digest.label(k),
            "value": f"{digest.counts[k]} ({digest.previous_counts[k]} in {previous})",
        }
        for k in digest.status_keys
        if digest.counts[k] or digest.previous_counts[k]
    ]
    body: list[dict[str, Any]] = [
        {
            "type": "TextBlock",
            "text": teams_text(_cut(digest.title, 200)),
            "weight": "Bolder",
            "size": "Medium",
            "wrap": True,
        },
        {
            "type": "TextBlock",
            "text": (
                f"{'Re-published with amendments' if republished else 'Published'} "
                f"{day(digest.generated_at)} · {digest.scope.label} · {digest.total} actions"
            ),
            "isSubtle": True,
            "spacing": "None",
            "wrap": True,
        },
        {"type": "FactSet", "facts": facts},
    ]
    shown = digest.exceptions[:exceptions]
    if shown:
        body.append(
            {
                "type": "TextBlock",
                "text": f"Exceptions: off track and at risk ({len(digest.exceptions)})",
                "weight": "Bolder",
                "separator": True,
                "wrap": True,
            }
        )
    for line in shown:
        body.append(
            {
                "type": "TextBlock",
                "text": teams_text(
                    _cut(
                        f"{line.ref} {line.title}: {digest.label(line.status)}, "
                        f"{direction_word(line.direction)}. {line.note}",
                        400,
                    )
                ),
                "wrap": True,
                "spacing": "Small",
            }
        )
    if len(digest.exceptions) > len(shown):
        body.append(
            {
                "type": "TextBlock",
                "text": f"…and {len(digest.exceptions) - len(shown)} more in the full report.",
                "isSubtle": True,
                "wrap": True,
            }
        )
    missing = len(digest.no_update)
    body.append(
        {
            "type": "TextBlock",
            "text": f"No update received: {missing} action{'s' if missing != 1 else ''}. "
            "The full report is in the Slack digest channel.",
            "wrap": True,
            "separator": True,
        }
    )
    message = {
        "type": "message",
        "attachments": [
            {
                "contentType": "application/vnd.microsoft.card.adaptive",
                "contentUrl": None,
                "content": {
                    "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                    "type": "AdaptiveCard",
                    "version": "1.4",
                    "msteams": {"width": "Full"},
                    "body": body,
                },
            }
        ],
    }
    if exceptions > 0 and len(json.dumps(message).encode()) > TEAMS_MAX_BYTES:
        return teams_message(digest, republished=republished, exceptions=exceptions // 2)
    return message


# -- the scheduled draft ---------------------------------------------------------------------


@dataclass(frozen=True)
class DraftDue:
    """A period whose draft report is due to the admins now."""

    plan_key: str
    plan_id: int
    period: Period
    admin_ids: tuple[str, ...]


def due_drafts(*, db: Database, cycle: Cycle, now: dt.datetime) -> list[DraftDue]:
    """Periods whose update deadline was the previous working day (or a little earlier).

    The draft goes out at the send time on the working day after the update deadline; a bot
    that was down sends it late, until the publication deadline (or five working days on),
    never once the period is locked.
    """
    if not cycle.can_send_now(now):
        return []
    today = cycle.local_date(now)
    due: list[DraftDue] = []
    with db.session() as session:
        for plan in session.scalars(select(m.Plan).order_by(m.Plan.key)):
            current = open_period(session, plan, cycle, today)
            rows = {
                p.key: p
                for p in session.scalars(select(m.Period).where(m.Period.plan_id == plan.id))
            }
            for period in (current.previous(), current):
                row = rows.get(period.key)
                if row is not None and row.locked_at is not None:
                    continue
                schedule = cycle.schedule(period, row.meeting_date if row else None)
                draft_day = cycle.calendar.add_working_days(schedule.update_deadline, 1)
                last_day = schedule.publication_deadline or cycle.calendar.add_working_days(
                    draft_day, 5
                )
                if cycle.send_time(draft_day) <= now and today <= last_day:
                    admins = tuple(p.slack_id for p in ppl.admins(session, plan))
                    due.append(DraftDue(plan.key, plan.id, period, admins))
    return due


def send_draft(*, runtime: Runtime, due: DraftDue, now: dt.datetime) -> list[str]:
    """Send the draft to each admin who has not had it; returns who got it now."""
    waiting = [
        a
        for a in due.admin_ids
        if a
        not in recipients(runtime.db, plan_id=due.plan_id, period_key=due.period.key, kind=DRAFT)
    ]
    if not waiting:
        return []
    digest = compile_digest(
        db=runtime.db,
        plan_key=due.plan_key,
        period=due.period,
        now=now,
        audience=ReportAudience.DRAFT,
        cycle=runtime.cycle,
    )
    files = report_files(digest)
    blocks = render_blocks(
        digest,
        files_note="Draft for checking: the Word, Excel and chart files follow. "
        "Publish with /digest publish when it is ready.",
    )
    sent = []
    active = ActiveUsers(runtime.notifier)
    for admin in waiting:
        claim = claim_delivery(
            runtime.db,
            plan_id=due.plan_id,
            period_key=due.period.key,
            kind=DRAFT,
            recipient=admin,
            now=now,
        )
        if claim is None:
            continue  # another replica got there first
        try:
            # Slack takes a DM to a deactivated admin: a draft they cannot read is failed
            # (and reported with the unreachable), not recorded as delivered.
            active.require(admin)
            runtime.notifier.dm(admin, f"Draft for checking: {summary_text(digest)}", blocks)
            runtime.notifier.upload(
                runtime.notifier.open_dm(admin),
                files,
                initial_comment=escape(f"{digest.title}: draft for checking."),
            )
        except TransientFailure as exc:
            # Slack was busy or down beyond the retries: give the claim back, the next tick
            # tries again.
            log.warning("draft for %s to %s not sent yet: %s", due.period.key, admin, exc)
            release(runtime.db, claim)
            continue
        except NotifierError as exc:
            log.warning("draft for %s to %s failed: %s", due.period.key, admin, exc)
            settle(runtime.db, claim, ok=False, now=now, detail=str(exc))
            continue
        settle(runtime.db, claim, ok=True, now=now)
        sent.append(admin)
    return sent
