"""The scheduled draft report: sent to each admin once, on the working day after the deadline."""

from __future__ import annotations

import datetime as dt
import logging

from bot.delivery.once import Delivered, deliver_once
from bot.delivery.publication import report_files
from bot.model.report import ReportAudience
from bot.notifier import ActiveUsers
from bot.render.blockkit import escape_mrkdwn
from bot.render.report_blocks import render_blocks, summary_text
from bot.runtime import Runtime
from bot.services.claims import DeliveryKey, recipients
from bot.services.digest import compile_digest
from bot.services.publication import DRAFT, DraftDue

log = logging.getLogger(__name__)


def send_draft(*, runtime: Runtime, due: DraftDue, now: dt.datetime) -> list[str]:
    """Send the draft to each admin who has not had it; returns who got it now."""
    db = runtime.db
    had_it = recipients(db, plan_id=due.plan_id, period_key=due.period.key, kind=DRAFT)
    waiting = [a for a in due.admin_ids if a not in had_it]
    if not waiting:
        return []
    digest = compile_digest(
        runtime.request(now=now, plan_key=due.plan_key),
        period=due.period,
        audience=ReportAudience.DRAFT,
    )
    files = report_files(digest)
    blocks = render_blocks(
        digest,
        files_note="Draft for checking: the PDF, Word, Excel and chart files follow. "
        "Publish with /digest publish when it is ready.",
    )
    notifier = runtime.notifier
    active = ActiveUsers(notifier)
    sent = []
    for admin in waiting:

        def send(admin: str = admin) -> str:
            # Slack takes a DM to a deactivated admin: a draft they cannot read is failed
            # (and reported with the unreachable), not recorded as delivered.
            active.require(admin)
            notifier.dm(admin, f"Draft for checking: {summary_text(digest)}", blocks)
            notifier.upload(
                notifier.open_dm(admin),
                files,
                initial_comment=escape_mrkdwn(f"{digest.title}: draft for checking."),
            )
            return ""

        # Slack busy or down beyond the retries (TransientFailure): the claim is given back
        # and the next tick tries again. Any other refusal: failed for this admin.
        result = deliver_once(
            db, DeliveryKey(due.plan_id, due.period.key, DRAFT, admin), send, now=now
        )
        if result.state is Delivered.SENT:
            sent.append(admin)
        elif result.state is not Delivered.ALREADY:
            log.warning(
                "draft for %s to %s %s: %s", due.period.key, admin, result.state, result.detail
            )
    return sent
