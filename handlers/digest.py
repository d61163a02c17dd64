"""`/digest`: the report on demand, and `/digest publish` to publish and lock a period.

The command is acknowledged at once; compiling and rendering happen after the ack. The
summary comes back privately (ephemeral, through the command's response_url) and the
PDF, Word, Excel and chart files go to the person's DM with the app, never to the channel the
command was typed in: a draft names the people who have not replied.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, BoltContext, Respond

from bot.delivery.publication import PublishResult, publish_report, report_files
from bot.domain.grammar import plain_from_slack
from bot.ids import Command
from bot.render.blockkit import Message, escape_mrkdwn, text_message
from bot.render.report_blocks import render_blocks, summary_text
from bot.runtime import Runtime
from bot.services.digest_requests import digest_for, read_digest_request
from bot.services.publication import url_key
from handlers.common import answering, runtime_from, tell_privately
from handlers.routes import Routes

log = logging.getLogger(__name__)


def handle_digest_command(
    ack: Ack, command: dict[str, Any], respond: Respond, context: BoltContext
) -> None:
    """`/digest [plan] [period] [scope]` or `/digest publish [plan] [period]`."""
    ack()
    runtime = runtime_from(context)
    with answering(runtime, command, respond):
        _answer(runtime, command, respond)


def _answer(runtime: Runtime, command: dict[str, Any], respond: Respond) -> None:
    user, text, now = command["user_id"], command.get("text") or "", runtime.now()
    ctx = runtime.request(user, now=now)
    request = read_digest_request(ctx, plain_from_slack(text))
    if request.publish:
        trigger = command.get("trigger_id")
        result = publish_report(
            runtime=runtime,
            actor_slack_id=user,
            period=request.period,
            now=now,
            # One command, one publication, however often Slack's request is delivered.
            request_key=f"command:{trigger}" if trigger else None,
            plan_key=request.plan_key,
            anyway=request.anyway,
        )
        if result is not None:
            tell_privately(runtime, user, _published(result), respond)
        return
    if request.plan_key:
        ctx = ctx.for_plan(request.plan_key)
    personal = digest_for(ctx, period=request.period, scope=request.scope)
    digest = personal.digest
    note = (
        "The PDF, Word, Excel and chart files are in your messages with planbot."
        if personal.with_files
        else "The full report goes to the committee when it is published."
    )
    blocks = render_blocks(digest, files_note=note)
    tell_privately(runtime, user, Message(summary_text(digest), blocks), respond)
    if personal.with_files:
        runtime.notifier.upload(
            runtime.notifier.open_dm(user),
            report_files(digest),
            initial_comment=escape_mrkdwn(f"{digest.title} ({digest.scope.label.lower()})"),
        )


def _published(result: PublishResult) -> Message:
    digest, locked = result.digest, result.locked
    # The plan is named: publishing one plan locks that plan's period, no other's.
    plan = f"(plan: {escape_mrkdwn(digest.plan_name)})"
    if not locked.republished:
        head = (
            f"Published {digest.period_label} to <#{result.channel}> and locked the period {plan}."
        )
    else:
        amended = len(digest.amended)
        head = (
            f"Re-published {digest.period_label} to <#{result.channel}> with {amended} "
            f"amendment{'s' if amended != 1 else ''} marked {plan}."
        )
    lines = [head]
    if not result.slack_ok:
        lines.append(f"But the post to Slack failed: {escape_mrkdwn(result.slack_detail)}")
    for hook in result.webhooks:
        state = "delivered" if hook.ok else f"failed after {hook.attempts} attempts ({hook.detail})"
        lines.append(escape_mrkdwn(f"Webhook {url_key(hook.url)}: {state}."))
    text = "\n".join(lines)
    return text_message(text)


def register(routes: Routes) -> None:
    routes.command(Command.DIGEST, handle_digest_command)
