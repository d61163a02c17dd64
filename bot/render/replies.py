"""Replies to a person: refusals, apologies, what was recorded, absences, help, and what to
do when a form could not open in time."""

from __future__ import annotations

from collections.abc import Sequence

from bot.domain.dates import short_date
from bot.domain.refs import plan_ref, split_plan_ref
from bot.domain.status import StatusScheme
from bot.errors import PlanbotError
from bot.ids import ActionId
from bot.model.updates import PlanStatuses, RecordedUpdate
from bot.model.views import Absence
from bot.render.action_parts import status_badge
from bot.render.blockkit import (
    DUE_EMOJI,
    ERROR_EMOJI,
    MAX_FALLBACK_TEXT,
    WARNING_EMOJI,
    Message,
    button,
    context,
    escape_mrkdwn,
    fields_section,
    quoted_sections,
    section,
    shorten,
    text_message,
)


def render_refusal(error: PlanbotError) -> Message:
    """A private refusal: what was wrong and what to do next."""
    text = f"{ERROR_EMOJI} {escape_mrkdwn(error.message)}"
    blocks = [section(text)]
    if error.hint:
        blocks.append(context(escape_mrkdwn(error.hint)))
        text += f" {escape_mrkdwn(error.hint)}"
    return Message(text=shorten(text, MAX_FALLBACK_TEXT), blocks=blocks)


def render_incomplete(errors: dict[str, str], ref: str, *, plan_key: str | None = None) -> Message:
    """After a modal closed, the update still lacked something: say what, offer the form
    (for `ref` in the plan `plan_key`, when the person has several)."""
    lines = "\n".join(f"• {escape_mrkdwn(message)}" for message in errors.values())
    text = f"{WARNING_EMOJI} Nothing was recorded for {escape_mrkdwn(ref)} yet:"
    return Message(
        text=shorten(
            f"{text} {' '.join(escape_mrkdwn(m) for m in errors.values())}", MAX_FALLBACK_TEXT
        ),
        blocks=[
            section(
                f"{text}\n{lines}",
                accessory=button("Open the form", ActionId.OPEN_UPDATE, plan_ref(plan_key, ref)),
            )
        ],
    )


def render_apology() -> Message:
    text = (
        ":face_with_head_bandage: Sorry, something went wrong on our side and that didn't "
        "work. Nothing was changed; please try again in a minute. If it keeps happening, "
        "tell the programme office."
    )
    return text_message(text)


NOT_SAVED = (
    "Not saved: planbot can't reach its database just now, so nothing was recorded. "
    "Please try again in a few minutes."
)


def render_database_unavailable() -> Message:
    """The database did not answer: nothing was saved, and trying again later may work."""
    text = (
        f"{WARNING_EMOJI} *Not saved.* planbot can't reach its database just now, so nothing "
        "was recorded or changed. Please try again in a few minutes; if it keeps happening, "
        "tell the programme office."
    )
    return text_message(text)


def render_update_recorded(
    recorded: RecordedUpdate, scheme: StatusScheme | None = None, *, for_owner: bool = False
) -> Message:
    """What changed: the action, the new status against the last one, the period, the note;
    and the plan, when the person is in several. `scheme`: the plan's (`recorded.scheme`)
    unless given."""
    scheme = scheme or recorded.scheme
    ref, title = escape_mrkdwn(recorded.ref), escape_mrkdwn(recorded.title)
    where = f" in {escape_mrkdwn(recorded.plan_name)}" if recorded.several_plans else ""
    new = status_badge(scheme, recorded.status)
    if recorded.previous_status is None:
        change = f"{new} (first update)"
    elif recorded.previous_status == recorded.status:
        change = f"{new} (unchanged)"
    else:
        change = f"{status_badge(scheme, recorded.previous_status)} → {new}"
    if for_owner:
        lead = f":memo: *{escape_mrkdwn(recorded.author_name)} updated {ref}{where} for you*"
    else:
        period = escape_mrkdwn(recorded.period_label)
        lead = f":white_check_mark: *Recorded {ref}{where} for {period}*"
    blocks = [
        section(f"{lead}\n*{ref}* {title}"),
        fields_section(f"*Status*\n{change}", f"*Period*\n{escape_mrkdwn(recorded.period_label)}"),
    ]
    if recorded.note:
        blocks += quoted_sections("*Note*", recorded.note)
    notes = []
    if recorded.revised_target_date is not None:
        notes.append(f"Revised target date: {short_date(recorded.revised_target_date)}")
    if recorded.on_behalf:
        notes.append(
            f"By {escape_mrkdwn(recorded.author_name)} for {escape_mrkdwn(recorded.owner_name)}"
            if not for_owner
            else f"Recorded as by {escape_mrkdwn(recorded.author_name)} for you"
        )
    if recorded.amendment_reason:
        notes.append(f"Amendment: {escape_mrkdwn(shorten(recorded.amendment_reason, 500))}")
    if recorded.closed_action:
        notes.append(f"{ref} is now closed as complete")
    if notes:
        blocks.append(context(" · ".join(notes)))
    label = scheme.label(recorded.status)
    text = f"{ref}{where} recorded as {label} for {escape_mrkdwn(recorded.period_label)}"
    if for_owner:
        text = f"{escape_mrkdwn(recorded.author_name)} updated {ref}{where} for you: {label}"
    return Message(text=text, blocks=blocks)


def render_absence(absence: Absence) -> Message:
    """The answer to `/planbot away` and `/planbot back`."""
    if absence.away_from is None:
        text = ":wave: Welcome back. Reminders come to you again."
        return text_message(text)
    until = (
        f"{short_date(absence.away_from)} to {short_date(absence.away_to)}"
        if absence.away_to
        else ""
    )
    if absence.delegate_name:
        who = f"*{escape_mrkdwn(absence.delegate_name)}* gets your reminders and can update for you"
    elif absence.director_names:
        names = ", ".join(escape_mrkdwn(n) for n in absence.director_names)
        who = f"with no delegate named, your reminders go to your director ({names})"
    else:
        who = "with no delegate named, your reminders go to your director"
    text = f":palm_tree: You're away {until}; {who}. `/planbot back` when you return early."
    return text_message(text)


# Help is mrkdwn: `<`, `>` and `&` are written as entities (`&lt;note&gt;`), even inside
# backticks, which do not stop Slack reading them as control characters.
UPDATE_HELP = """\
*Report progress on an action with `/update`*
• `/update ACT-12 green Contract signed` records it at once. `12`, `act12` and `ACT 12` all \
mean ACT-12.
• Statuses: {statuses}.
• {needs_note}: what the problem is and how it will be recovered.
• A worse status than last time, or a target date that has passed, needs a revised target \
date: end the note with `revised &lt;date&gt;`, e.g. \
`/update 12 amber Supplier late revised 31/03/2020` (dates as 31/03/2020 or 2020-03-31).
• `/update ACT-12` opens a form filled in with your last update; `/update` alone lets you \
pick one of your actions.
• Indicators (`PI-7`) take a number, not a status: `/update PI-7 96.4 Collection on profile` \
(`96.4%`, `£1,250`, `£1.2m` and `12.5 days` are read too, where the unit fits; `n/a` and a \
reason when there is no figure). The reply shows the target, the RAG and the trends.
• Your reply is private. If something is missing, the form opens so you can add it.
See your actions with `/actions`; `/planbot help` for the rest."""

ACTIONS_HELP = """\
*See actions with `/actions`*
• `/actions`: your actions, this period's status (or when it is due), last period's and \
the target dates.
• `/actions ACT-12`: every update of ACT-12, who made it, when and for whom.
• Directors and the programme office: `/actions @someone`, `/actions directorate:Finance`, \
`/actions all`."""

PLANBOT_HELP = """\
*planbot* runs the plan's quarterly progress cycle.
• `/update ACT-12 green &lt;note&gt;`: report progress (`/update help` for more).
• `/actions`: your actions and what is due (`/actions help`).
• `/planbot away 13/01/2020 17/01/2020 @delegate`: you're away; the delegate gets your \
reminders and can update for you (leave out `@delegate` to keep the one you have, or to \
send reminders to your director).
• `/planbot back`: you're back early.
• The planbot tab (App Home) shows what is due, with an Update button for each action."""


SEVERAL_PLANS_HELP = """\
*You are in several plans.* `/update ACT-12 …` finds ACT-12 in whichever of them has it; \
when two have it, name the plan first: `/update {key} ACT-12 …`. Each plan has its own \
statuses:"""


def _statuses(scheme: StatusScheme) -> str:
    return ", ".join(
        f"`{s.key}`" + (f" ({', '.join(f'`{w}`' for w in s.synonyms[:3])})" if s.synonyms else "")
        for s in scheme.statuses
    )


def _needs_note(scheme: StatusScheme) -> str:
    """`amber` and `red` need a note (as the scheme says)."""
    keys = [f"`{s.key}`" for s in scheme.statuses if s.needs_note]
    if not keys:
        return "A note is never needed, but always welcome"
    listed = keys[0] if len(keys) == 1 else f"{', '.join(keys[:-1])} and {keys[-1]}"
    return f"{listed} {'needs' if len(keys) == 1 else 'need'} a note"


def render_help(
    topic: str, scheme: StatusScheme | None = None, *, plans: Sequence[PlanStatuses] = ()
) -> Message:
    """Help for `update`, `actions` or `planbot`; `/update`'s lists the statuses of the one
    plan in `plans` (or of `scheme`), or of each plan when there are several."""
    text = {"update": UPDATE_HELP, "actions": ACTIONS_HELP}.get(topic, PLANBOT_HELP)
    if topic != "update":
        return Message(text=shorten(text.splitlines()[0].strip("*"), 200), blocks=[section(text)])
    if len(plans) <= 1:
        scheme = plans[0].scheme if plans else scheme
        if scheme is None:  # no plan loaded yet
            text = text.format(statuses="your plan's", needs_note="Some statuses need a note")
        else:
            text = text.format(statuses=_statuses(scheme), needs_note=_needs_note(scheme))
        return Message(text=shorten(text.splitlines()[0].strip("*"), 200), blocks=[section(text)])
    text = text.format(statuses="each plan's, below", needs_note="Some statuses need a note")
    blocks = [section(text), section(SEVERAL_PLANS_HELP.format(key=escape_mrkdwn(plans[0].key)))]
    blocks += [
        section(
            f"*{escape_mrkdwn(plan.name)}* (`{escape_mrkdwn(plan.key)}`): "
            f"{_statuses(plan.scheme)}. {_needs_note(plan.scheme)}."
        )
        for plan in plans[:40]
    ]
    return Message(text=shorten(text.splitlines()[0].strip("*"), 200), blocks=blocks)


def render_trigger_expired(ref: str | None, *, pressed: bool) -> Message:
    """Slack's 3 seconds to open the form ran out first: nothing was recorded; what to do."""
    again = "press *Update* again" if pressed else "run the command again"
    plan_key, ref = split_plan_ref(ref) if ref else (None, None)
    example = escape_mrkdwn(" ".join(w for w in (plan_key, ref) if w)) if ref else "ACT-12"
    text = (
        f"{DUE_EMOJI} That took too long to open, so nothing was recorded. Please {again}, "
        f"or report in one line: `/update {example} green &lt;note&gt;`."
    )
    return text_message(text)
