"""The update form: the modal (prefilled, or with a picker of your actions first), its block
ids and options, and the modals shown while it is being built or when it cannot be (what it
carries in `private_metadata`: `bot.render.update_form_meta`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from bot.domain.dates import short_date, weekday_date
from bot.domain.status import StatusScheme
from bot.ids import ActionId, BlockId, CallbackId
from bot.model.updates import MAX_NOTE_CHARS, UpdateDraft
from bot.model.views import ActionChoice, PeriodChoice, PeriodInfo, PlanPeriod
from bot.render.action_parts import status_badge, target_words
from bot.render.blockkit import (
    MAX_OPTION_TEXT,
    MAX_STATIC_OPTIONS,
    WARNING_EMOJI,
    Block,
    View,
    context,
    datepicker,
    escape_mrkdwn,
    external_select,
    input_block,
    modal,
    option,
    plain_text_input,
    section,
    shorten,
    static_select,
)
from bot.render.update_form_meta import UpdateFormMeta, form_statuses


def form_block_id(base: BlockId, tag: str) -> str:
    """The id of a form block in one rendering (a new tag makes Slack show new initial values)."""
    return f"{base}.{tag}" if tag else str(base)


def base_block_id(value: str) -> str:
    """The `BlockId` value a rendered block id was made from."""
    return value.split(".", 1)[0]


def status_option(scheme: StatusScheme, key: str) -> Block:
    """A status as the form's menu offers it: `:large_green_circle: On track`."""
    return option(status_badge(scheme, key), key)


def status_options(scheme: StatusScheme) -> list[Block]:
    """Every status of the scheme, in its order."""
    return [status_option(scheme, s.key) for s in scheme.statuses]


def action_option(choice: ActionChoice) -> Block:
    """`ACT-12 · Title (Owner)` within an option's 75 characters, the owner named when not
    the caller; `Strategy 2020-23 · SP-1 · Title` when the caller is in several plans."""
    owner = "" if choice.own else f" ({choice.owner_name})"
    plan = f"{shorten(choice.plan_name, 24)} · " if choice.plan_name else ""
    room = MAX_OPTION_TEXT - len(plan) - len(choice.ref) - len(owner) - 3
    title = shorten(choice.title, max(room, 10))
    return option(f"{plan}{choice.ref} · {title}{owner}", choice.value)


def action_options(choices: Sequence[ActionChoice], limit: int = MAX_STATIC_OPTIONS) -> list[Block]:
    """The picker's options (also the answer to an external_select's query)."""
    return [action_option(c) for c in choices[:limit]]


def _picker(
    choices: Sequence[ActionChoice], *, external: bool, selected: ActionChoice | None
) -> Block:
    placeholder = "Choose an action (type a number or words to search)"
    initial = action_option(selected) if selected is not None else None
    element = (
        external_select(ActionId.PICK_ACTION, placeholder=placeholder, initial_option=initial)
        if external
        else static_select(
            ActionId.PICK_ACTION,
            action_options(choices) or [option("(none)", "-")],
            placeholder=placeholder,
            initial_option=initial,
        )
    )
    return input_block("Action", element, block_id=BlockId.PICK_ACTION, dispatch_action=True)


def _needing_note(scheme: StatusScheme) -> str:
    """The statuses that need a note, as people type them: `amber or red`."""
    words = [s.key.replace("_", " ") for s in scheme.statuses if s.needs_note]
    return " or ".join(words) if words else "a status that slips"


def _form_fields(
    scheme: StatusScheme,
    *,
    tag: str,
    status: str | None,
    note: str,
    revised: dt.date | None,
    target: dt.date | None,
) -> list[Block]:
    status_element = static_select(
        ActionId.STATUS,
        status_options(scheme),
        placeholder="Choose a status",
        initial_option=None if status is None else status_option(scheme, status),
    )
    note_element = plain_text_input(
        ActionId.NOTE,
        max_length=MAX_NOTE_CHARS,
        multiline=True,
        placeholder=f"What has happened; for {_needing_note(scheme)}, the problem and the recovery",
        initial_value=note,
    )
    date_element = datepicker(
        ActionId.REVISED_DATE,
        placeholder="Only when the target slips",
        initial_date=None if revised is None else revised.isoformat(),
    )
    target_hint = f"The target is {short_date(target)}. " if target else ""
    needs_note = ", ".join(s.label for s in scheme.statuses if s.needs_note)
    # Each optional field says when it is needed.
    optional = [
        (
            "Note",
            BlockId.NOTE,
            note_element,
            f"Needed for {needs_note}. Up to {MAX_NOTE_CHARS:,} characters.",
        ),
        (
            "Revised target date",
            BlockId.REVISED_DATE,
            date_element,
            f"{target_hint}Needed when the status gets worse or the target has passed.",
        ),
    ]
    return [
        input_block("Status", status_element, block_id=form_block_id(BlockId.STATUS, tag)),
        *(
            input_block(label, element, block_id=form_block_id(base, tag), optional=True, hint=hint)
            for label, base, element, hint in optional
        ),
    ]


def _form_modal(title: str, blocks: list[Block], meta: UpdateFormMeta) -> View:
    return modal(
        title,
        blocks,
        callback_id=CallbackId.UPDATE_MODAL,
        submit="Record",
        close="Cancel",
        private_metadata=meta.to_json(),
    )


def keep_picker(picker: Block, draft: UpdateDraft) -> Block:
    """The picker block of a form, echoed back by Slack, now showing `draft`'s action."""
    element = dict(picker.get("element") or {})
    options = list(element.get("options") or [])
    listed = [o for o in options if o.get("value") in {draft.ref, draft.action_value}]
    named = draft.plan_key if draft.several_plans else ""
    chosen = (
        listed[0]
        if listed
        else action_option(
            ActionChoice(
                draft.ref,
                draft.title,
                draft.owner_name,
                own=not draft.on_behalf,
                plan_key=named,
                plan_name=draft.plan_name if named else "",
            )
        )
    )
    if element.get("type") == "static_select" and not listed:
        # Slack refuses an initial_option that is not among a static menu's options.
        element["options"] = [chosen, *options][:MAX_STATIC_OPTIONS]
    element["initial_option"] = chosen
    kept = {k: v for k, v in picker.items() if k in {"type", "block_id", "label", "hint"}}
    return {**kept, "dispatch_action": True, "element": element}


def _counts_for(period: PeriodInfo, plan_periods: Sequence[PlanPeriod]) -> str:
    """When updates count for: one sentence, or one line per plan when they differ."""
    if len({(p.period.label, p.period.due_date) for p in plan_periods}) <= 1:
        return (
            f"Updates count for *{escape_mrkdwn(period.label)}*, "
            f"due by {weekday_date(period.due_date)}."
        )
    return "Updates count for:\n" + "\n".join(
        f"• {escape_mrkdwn(p.plan_name)}: *{escape_mrkdwn(p.period.label)}*, "
        f"due by {weekday_date(p.period.due_date)}"
        for p in plan_periods
    )


def render_picker_modal(
    choices: Sequence[ActionChoice],
    period: PeriodInfo,
    scheme: StatusScheme | None,
    *,
    plan_periods: Sequence[PlanPeriod] = (),
) -> View:
    """The update form opened by `/update` alone: pick one of your actions first (in every
    plan of yours, `plan_periods` saying when each plan's updates are due). `scheme`: the
    statuses to offer, None when your plans have different ones: the form then asks for the
    status once an action is chosen."""
    external = len(choices) > MAX_STATIC_OPTIONS
    blocks = [
        section(
            _counts_for(period, plan_periods)
            + ("" if choices else "\nYou have no open actions to update.")
        ),
        _picker(choices, external=external, selected=None),
    ]
    if scheme is not None:
        blocks += _form_fields(scheme, tag="", status=None, note="", revised=None, target=None)
    else:
        blocks.append(
            context("Your plans have different statuses: choose an action to see its plan's.")
        )
    if external:
        # A menu shows at most 100 options: say so, and how to reach the others.
        blocks.insert(
            2,
            context(
                f"You can update {len(choices)} actions. The menu shows "
                f"{MAX_STATIC_OPTIONS} at a time: type a number (`150`), a ref or words "
                "from a title to find any of them."
            ),
        )
    meta = UpdateFormMeta(statuses=form_statuses(scheme) if scheme is not None else ())
    return _form_modal("Update an action", blocks, meta)


def render_update_modal(
    draft: UpdateDraft,
    scheme: StatusScheme | None = None,
    *,
    periods: Sequence[PeriodChoice] = (),
    picker: Block | None = None,
    problems: dict[str, str] | None = None,
) -> View:
    """The update form for one action, prefilled from `draft` (the last update, or what was typed).

    `picker`: the action picker block of the form being replaced, kept at the top with this
    action chosen (the form was opened by `/update` alone).
    `problems`: what is missing, shown above the fields (a form opened from a command).
    `scheme`: the statuses to offer; the draft's plan's (`draft.scheme`) unless given.
    """
    scheme = scheme or draft.scheme
    target = draft.current_target or draft.revised_target_date or draft.target_date
    tag = f"{draft.ref}.{draft.period_key}"
    if draft.several_plans:  # the same ref in another plan is another form
        tag = f"{draft.plan_key}.{tag}"
    meta = UpdateFormMeta(
        ref=draft.ref,
        period=draft.period_key,
        last_status=draft.last_status,
        target=target.isoformat(),
        locked=draft.locked,
        admin=draft.caller_is_admin,
        tag=tag,
        plan=draft.plan_key,
        statuses=form_statuses(scheme),
    )
    blocks: list[Block] = []
    if picker is not None:
        blocks.append(keep_picker(picker, draft))
    if problems:
        lines = "\n".join(f"• {escape_mrkdwn(message)}" for message in problems.values())
        blocks.append(section(f"{WARNING_EMOJI} *Nothing is recorded yet.*\n{lines}"))
    facts = [
        *([f"*{escape_mrkdwn(draft.plan_name)}*"] if draft.several_plans else []),
        f"owner: {escape_mrkdwn(draft.owner_name)}",
        escape_mrkdwn(draft.directorate),
        target_words(draft.target_date, draft.current_target or draft.revised_target_date),
    ]
    blocks.append(
        section(f"*{escape_mrkdwn(draft.ref)}* {escape_mrkdwn(shorten(draft.title, 500))}")
    )
    blocks.append(context(" · ".join(facts)))
    counts = (
        f"Counts for *{escape_mrkdwn(draft.period_label)}*, due by {weekday_date(draft.due_date)}."
    )
    if draft.last_status is not None:
        counts += f" Last update ({escape_mrkdwn(draft.last_period_key or '')}): "
        counts += status_badge(scheme, draft.last_status)
    blocks.append(context(counts))
    if draft.on_behalf:
        blocks.append(
            context(
                ":busts_in_silhouette: You are updating this for "
                f"{escape_mrkdwn(draft.owner_name)}; it is recorded as by you for them."
            )
        )
    if draft.locked:
        blocks.append(
            context(
                f":lock: {escape_mrkdwn(draft.period_label)} is published and locked: a change is "
                "recorded as an amendment, with your reason."
            )
        )
    blocks += _form_fields(
        scheme,
        tag=tag,
        status=draft.status,
        note=draft.note,
        # What was typed, never the action's standing revised date (that would be re-sent).
        revised=draft.revised_target_date
        if problems and draft.revised_target_date != draft.current_target
        else None,
        target=target,
    )
    if draft.caller_is_admin:
        if periods:
            chosen = next((p for p in periods if p.key == draft.period_key), None)
            period_options = [
                option(f"{p.label}{' (locked)' if p.locked else ''}", p.key) for p in periods
            ]
            element = static_select(
                ActionId.PERIOD,
                period_options,
                initial_option=None if chosen is None else period_options[periods.index(chosen)],
            )
            blocks.append(
                input_block(
                    "Period (programme office)",
                    element,
                    block_id=form_block_id(BlockId.PERIOD, tag),
                    dispatch_action=True,
                )
            )
        blocks.append(
            input_block(
                "Amendment reason",
                plain_text_input(ActionId.AMENDMENT_REASON, max_length=500),
                block_id=form_block_id(BlockId.AMENDMENT_REASON, tag),
                optional=not draft.locked,
                hint="Needed to change a locked period.",
            )
        )
    return _form_modal(f"Update {draft.ref}", blocks, meta)


# -- a modal opened before its form is ready ---------------------------------------------------
