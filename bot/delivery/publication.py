"""Publishing a period's report: lock it, post it to the digest channel, then to the webhooks.

The Slack post never waits on a webhook; a webhook that still fails after its retries, or a
post Slack refused, is reported to the admins by DM. Each post is claimed once
(`deliver_once`), so a replayed `/digest publish` or a second replica posts nothing again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from dataclasses import dataclass, field

from bot.delivery import webhooks
from bot.delivery.once import Delivered, deliver_once
from bot.delivery.webhooks import WebhookResult
from bot.domain.periods import Period
from bot.errors import PlanbotError
from bot.model.report import Digest, ReportAudience
from bot.notifier import FileToUpload, NotifierError
from bot.render.blockkit import escape_mrkdwn, escaped_line
from bot.render.report_blocks import render_blocks, summary_text
from bot.runtime import Runtime
from bot.services import people as ppl
from bot.services.claims import DeliveryKey, claim_delivery, release, settle
from bot.services.digest import compile_digest
from bot.services.digest_requests import in_plan_of
from bot.services.plans import resolve_plan
from bot.services.publication import (
    ANY_PERIOD,
    PUBLISH_REQUEST,
    LockedPeriod,
    lock_period,
    period_to_publish,
    plan_id_of,
    url_key,
)

log = logging.getLogger(__name__)

DETAIL_CHARS = 200  # of what Slack or a webhook answered, quoted in the admins' DM


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


def report_files(digest: Digest) -> list[FileToUpload]:
    """The appendix as PDF and Word, the Excel workbook and the chart, named for the plan and
    period."""
    # Imported when first needed: matplotlib, python-docx and openpyxl take seconds to load,
    # which `planbot serve` would otherwise spend before it answers anything.
    from bot.render.report_chart import render_chart
    from bot.render.report_docx import render_docx
    from bot.render.report_pdf import render_pdf
    from bot.render.report_xlsx import render_xlsx

    stem = f"{digest.plan_key}-{digest.period_key}"
    if digest.scope.name:
        stem += "-" + "".join(c if c.isalnum() else "-" for c in digest.scope.name.lower())
    chart = render_chart(digest)
    kind = "draft " if digest.is_draft else ""
    return [
        FileToUpload(
            f"{stem}.pdf",
            render_pdf(digest, chart_png=chart),
            f"{digest.title} ({kind}PDF, accessible)",
        ),
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
    request_key: str | None = None,
    plan_key: str | None = None,
    anyway: str | None = None,
) -> PublishResult | None:
    """Lock the period of one plan, post its committee report to the digest channel, then to
    webhooks. The plan is `plan_key`, else the one plan the admin is in (one in several must
    name it); publishing and locking one plan leaves every other plan as it was.

    `anyway`: an admin's reason to publish with updates not signed off (plans with sign-off
    refuse otherwise), stated in the published report.

    `request_key` names the request (the Slack command's trigger): delivered again (a
    replay, a redelivery), it publishes nothing and gives None.
    """
    settings, db = runtime.settings, runtime.db
    channel = settings.planbot_digest_channel
    if not channel:
        raise PlanbotError(
            "There is no digest channel to publish to; nothing was locked.",
            hint="Set PLANBOT_DIGEST_CHANNEL to the channel's ID (C...) and restart planbot.",
        )
    ctx = in_plan_of(
        runtime.request(actor_slack_id, now=now, plan_key=plan_key), command="/digest publish"
    )
    request = hashlib.sha256(request_key.encode()).hexdigest()[:32] if request_key else None
    request_claim = None
    if request is not None:
        # Claimed before the period is chosen: a replay racing the first delivery must not
        # see the period the first one has just locked and answer with a refusal.
        request_claim = claim_delivery(
            db, DeliveryKey(plan_id_of(ctx), ANY_PERIOD, PUBLISH_REQUEST, request), now=now
        )
        if request_claim is None:
            log.info("publication request delivered again; published once")
            return None
    try:
        if period is None:
            period = period_to_publish(ctx)
        locked = lock_period(ctx, period=period, channel=channel, anyway=anyway)
    except Exception:
        if request_claim is not None:  # refused, or failed: the request made nothing happen
            release(db, request_claim)
        raise
    digest = compile_digest(
        ctx.for_plan(locked.plan_key), period=period, scope="all", audience=ReportAudience.COMMITTEE
    )

    def post() -> str:
        what = "Re-published with amendments" if locked.republished else "Published"
        blocks = render_blocks(digest, files_note="The full report is attached below.")
        runtime.notifier.post(channel, f"{what}: {summary_text(digest)}", blocks)
        runtime.notifier.upload(
            channel,
            report_files(digest),
            initial_comment=escape_mrkdwn(
                f"{digest.title}: the committee report (PDF, Word, Excel and chart)."
            ),
        )
        return ""

    # The channel's claim was made with the lock, in the same transaction.
    posted = deliver_once(db, locked.claim, post, now=now, retry_on=())
    slack_ok = posted.state is Delivered.SENT
    if not slack_ok:
        log.warning("publishing %s to %s failed: %s", period.key, channel, posted.detail)
    if request_claim is not None:
        settle(db, request_claim, ok=True, now=now)

    results = []
    for url in settings.planbot_webhook_urls:
        result = webhooks.deliver_webhook(db, digest, locked, url, now=now)
        if result is not None:
            results.append(result)
    outcome = PublishResult(digest, locked, channel, slack_ok, posted.detail, tuple(results))
    if outcome.failed_webhooks or not slack_ok:
        _tell_admins(runtime, outcome)
    return outcome


def _shown_detail(detail: str) -> str:
    """What Slack or a webhook answered, for a DM: on one line, cut, and escaped for mrkdwn
    (a webhook's body is anyone's text: `<!channel>` in it must ping nobody)."""
    return escaped_line(detail, DETAIL_CHARS)


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
    with runtime.db.read_session() as session:
        plan = resolve_plan(session, outcome.locked.plan_key)
        admin_ids = [p.slack_id for p in ppl.admins(session, plan)]
    for admin in admin_ids:
        try:
            runtime.notifier.dm(admin, text)
        except NotifierError as exc:
            log.warning("could not tell admin %s about a failed publication: %s", admin, exc)
