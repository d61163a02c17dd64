# Over 400 lines: every read people make of the plan in Slack (lists, history, Home, forms) shares
# these query helpers.
"""What people see of the plan in Slack: their actions, an action's history, the App Home.

Plain-data queries (and the two absence commands) for `/actions`, the App Home, the update
form and `/planbot away|back`. Each opens its own session and returns frozen dataclasses.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Sequence

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, joinedload
from sqlalchemy.sql.elements import ColumnElement

from bot.domain.calendar import Cycle
from bot.domain.periods import Period
from bot.domain.refs import normalise_ref, resolve_ref
from bot.errors import InvalidInput, NotAllowed, NotFound, PlanbotError
from bot.model.views import (
    ActionChoice,
    ActionHistory,
    ActionsByPlan,
    ActionsList,
    DirectorateProgress,
    HistoryEntry,
    Home,
    HomeTab,
    ListedAction,
    PeriodChoice,
    PeriodInfo,
    PickerForm,
    PlanPeriod,
    UpdateForm,
)
from bot.services import people as ppl
from bot.services import signoff
from bot.services.context import RequestContext
from bot.services.plan_choice import in_several_plans, my_plans
from bot.services.plans import latest_updates, locked_periods, meetings, open_period
from bot.services.updates import prepare_update
from storage import models as m

RECENT_PERIODS = 5  # the periods an admin may pick in the update form: the open one and 4 before
# Up to this many actions, their updates are read by id; more, and the plan's are read whole.
FEW_ACTIONS = 200


# -- helpers ---------------------------------------------------------------------------------


def _period_info(session: Session, plan: m.Plan, cycle: Cycle, today: dt.date) -> PeriodInfo:
    current = open_period(session, plan, cycle, today)
    known = meetings(session, plan)
    schedule = cycle.schedule(current, known.get(current.key))
    previous = current.previous()
    return PeriodInfo(
        key=current.key,
        label=current.label,
        due_date=schedule.update_deadline,
        window_opens=schedule.window_opens,
        meeting_date=schedule.meeting_date,
        locked=current.key in locked_periods(session, plan),
        previous_key=previous.key,
        previous_label=previous.label,
    )


def _lines(
    session: Session,
    plan: m.Plan,
    actions: Iterable[m.Action],
    period: PeriodInfo,
    viewer: m.Person,
    today: dt.date,
) -> tuple[ListedAction, ...]:
    """Lines for `actions` that are open or were updated this period (closed earlier: left out)."""
    actions = list(actions)
    ids = [a.id for a in actions] if len(actions) <= FEW_ACTIONS else None
    latest = latest_updates(session, plan, [period.key, period.previous_key], action_ids=ids)
    lines = []
    for action in sorted(actions, key=lambda a: (a.number, a.ref)):
        current = latest.get((action.id, period.key))
        if action.closed and current is None:
            continue
        last = latest.get((action.id, period.previous_key))
        owner = action.owner
        lines.append(
            ListedAction(
                ref=action.ref,
                title=action.title,
                theme=action.theme.name,
                directorate=action.directorate.name,
                owner_name=owner.name,
                owner_slack_id=owner.slack_id,
                target_date=action.target_date,
                revised_target_date=action.revised_target_date,
                closed=action.closed,
                status=current.status if current else None,
                note=current.note if current else "",
                last_status=last.status if last else None,
                overdue_target=not action.closed and action.effective_target < today,
                delegated=owner.id != viewer.id and owner.delegate_id == viewer.id,
                owner_away=owner.is_away(today),
                may_update=ppl.may_update(viewer, action),
            )
        )
    return tuple(lines)


def _plan_actions(session: Session, plan: m.Plan, *where: ColumnElement[bool]) -> list[m.Action]:
    """The plan's actions (those matching `where`), their owners, themes and directorates read
    in the same query: reading them from each action costs none."""
    query = (
        select(m.Action)
        .where(m.Action.plan_id == plan.id, *where)
        .options(
            joinedload(m.Action.owner, innerjoin=True),
            joinedload(m.Action.theme, innerjoin=True),
            joinedload(m.Action.directorate, innerjoin=True),
        )
    )
    return list(session.scalars(query))


def _actions_of(session: Session, plan: m.Plan, person: m.Person) -> list[m.Action]:
    """The actions a person owns, and those of owners who made them their delegate."""
    delegators = select(m.Person.id).where(
        m.Person.plan_id == plan.id, m.Person.delegate_id == person.id
    )
    return _plan_actions(
        session, plan, or_(m.Action.owner_id == person.id, m.Action.owner_id.in_(delegators))
    )


def _directorate(session: Session, plan: m.Plan, name: str) -> m.Directorate:
    """The directorate `name` names: exact, then unique prefix or substring, case-insensitive."""
    rows = list(
        session.scalars(
            select(m.Directorate)
            .where(m.Directorate.plan_id == plan.id)
            .order_by(m.Directorate.name)
        )
    )
    wanted = " ".join(name.split()).casefold()
    for matcher in (
        lambda d: d.name.casefold() == wanted,
        lambda d: d.name.casefold().startswith(wanted),
        lambda d: wanted in d.name.casefold(),
    ):
        found = [d for d in rows if matcher(d)]
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            raise InvalidInput(
                f"'{name}' could be {', '.join(d.name for d in found)}.",
                hint="Give more of the name.",
            )
    raise NotFound(
        f"There is no directorate '{name}' in this plan.",
        hint=f"Directorates: {', '.join(d.name for d in rows)}.",
    )


def _require_overview(session: Session, plan: m.Plan, person: m.Person) -> None:
    if person.role not in (ppl.DIRECTOR, ppl.ADMIN):
        raise NotAllowed(
            "Only directors and the programme office can list other people's actions.",
            hint="`/actions` on its own lists yours.",
        )


def _memberships(ctx: RequestContext, session: Session) -> list[tuple[m.Plan, m.Person]]:
    """The plans a read for the person asking covers, with them in each: every plan they are
    one of the people of, or the one the request names; refused as `ctx.member` refuses."""
    mine = ctx.memberships(session)
    if mine:
        return mine
    if not ctx.plan_key and (session.scalar(select(func.count(m.Plan.id))) or 0) > 1:
        raise NotAllowed(
            "You are not on the list of people in any of planbot's plans.",
            hint="Ask your plan's programme office to add you.",
        )
    return [ctx.member(session)]


def _plans_named(plans: Sequence[m.Plan]) -> str:
    """`Improvement Plan (`improvement`) and Strategy 2020-23 (`strategy`)`."""
    names = [f"{plan.name} (`{plan.key}`)" for plan in plans]
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def plan_named_first(ctx: RequestContext, text: str) -> tuple[RequestContext, str]:
    """`/actions strategy all`: the request for the plan whose key or name `text` starts with,
    and the rest of `text`; `ctx` and `text` as they are when it starts with no plan's."""
    words = text.split()
    if not words:
        return ctx, text
    with ctx.db.read_session() as session:
        plans = session.execute(select(m.Plan.key, m.Plan.name).order_by(m.Plan.key)).all()
    best: tuple[int, str] | None = None  # (words taken, plan key): the longest match wins
    for key, name in plans:
        name_words = name.split()
        folded = [w.casefold() for w in name_words]
        if folded and [w.casefold() for w in words[: len(folded)]] == folded:
            best = max(best or (0, ""), (len(name_words), key))
        if words[0].casefold() == key.casefold():
            best = max(best or (0, ""), (1, key))
    if best is None:
        return ctx, text
    taken, key = best
    rest = text.split(maxsplit=taken)
    return ctx.for_plan(key), rest[taken] if len(rest) > taken else ""


def _list_in(
    ctx: RequestContext,
    session: Session,
    plan: m.Plan,
    viewer: m.Person,
    *,
    person: str | None,
    directorate: str | None,
    everything: bool,
) -> ActionsList:
    """`/actions` in one plan, as `viewer` (one of its people) may see it."""
    period = _period_info(session, plan, ctx.cycle(plan), ctx.today(plan))
    if person is not None and person != viewer.slack_id:
        _require_overview(session, plan, viewer)
        subject = ppl.find_person(session, plan, person)
        if subject is None:
            raise NotFound(
                "That person is not one of the plan's people.",
                hint=f"Ask {ppl.programme_office(session, plan)} if they should be.",
            )
        actions, title, scope = (
            _actions_of(session, plan, subject),
            f"{subject.name}'s actions",
            "person",
        )
    elif directorate is not None:
        _require_overview(session, plan, viewer)
        found = _directorate(session, plan, directorate)
        actions = [a for a in _plan_actions(session, plan) if a.directorate_id == found.id]
        title, scope = found.name, "directorate"
    elif everything:
        _require_overview(session, plan, viewer)
        actions, title, scope = (
            _plan_actions(session, plan),
            f"{plan.name}: every action",
            "all",
        )
    else:
        actions, title, scope = _actions_of(session, plan, viewer), "Your actions", "mine"
        if not actions and viewer.role == ppl.DIRECTOR and viewer.directorate is not None:
            did = viewer.directorate_id
            actions = [a for a in _plan_actions(session, plan) if a.directorate_id == did]
            title, scope = viewer.directorate.name, "directorate"
        elif not actions and viewer.role == ppl.ADMIN:
            actions, title, scope = (
                _plan_actions(session, plan),
                f"{plan.name}: every action",
                "all",
            )
    return ActionsList(
        title=title,
        scope=scope,
        period=period,
        actions=_lines(session, plan, actions, period, viewer, ctx.today(plan)),
        viewer_role=viewer.role,
        plan_key=plan.key,
        plan_name=plan.name,
        scheme=ctx.rules(plan).scheme,
    )


# -- queries ---------------------------------------------------------------------------------


def list_actions(
    ctx: RequestContext,
    *,
    person: str | None = None,
    directorate: str | None = None,
    everything: bool = False,
) -> ActionsByPlan:
    """The caller's actions, or (directors and admins) a person's, a directorate's or all:
    a list for each of the caller's plans (or the plan named) where there is one to give."""
    with ctx.db.read_session() as session:
        members = _memberships(ctx, session)

        def listed(plan: m.Plan, viewer: m.Person) -> ActionsList:
            return _list_in(
                ctx,
                session,
                plan,
                viewer,
                person=person,
                directorate=directorate,
                everything=everything,
            )

        if len(members) == 1:
            return ActionsByPlan((listed(*members[0]),))
        lists: list[ActionsList] = []
        refusals: list[PlanbotError] = []
        for plan, viewer in members:
            try:
                lists.append(listed(plan, viewer))
            except (NotAllowed, NotFound) as refusal:  # in this plan; another may have it
                refusals.append(refusal)
        if not lists:
            # Refused in every plan: what was not found says more than what is not allowed.
            raise next((r for r in refusals if isinstance(r, NotFound)), refusals[0])
        return ActionsByPlan(tuple(lists))


def action_history(ctx: RequestContext, *, ref: str) -> ActionHistory:
    """Every update of one action, newest first, with who, when and on whose behalf; looked
    for in each of the caller's plans (refused, naming them, when two have the ref)."""
    with ctx.db.read_session() as session:
        members = _memberships(ctx, session)
        plans = [plan for plan, _ in members]
        refs = {
            plan.key: set(session.scalars(select(m.Action.ref).where(m.Action.plan_id == plan.id)))
            for plan in plans
        }
        try:
            found = resolve_ref(ref, set().union(*refs.values()))
        except NotFound as missing:
            if len(plans) == 1:
                raise
            raise NotFound(
                f"There is no action '{ref.strip()}' in your plans, {_plans_named(plans)}.",
                hint=missing.hint,
            ) from None
        holding = [plan for plan in plans if found in refs[plan.key]]
        if len(holding) > 1:
            raise InvalidInput(
                f"{found} is in {len(holding)} of your plans: {_plans_named(holding)}.",
                hint="Name the plan first: "
                + " or ".join(f"`/actions {plan.key} {found}`" for plan in holding)
                + ".",
            )
        [plan] = holding
        action = session.scalar(
            select(m.Action).where(m.Action.plan_id == plan.id, m.Action.ref == found)
        )
        assert action is not None
        rows = session.execute(
            select(m.Update, m.Period.key)
            .join(m.Period, m.Update.period_id == m.Period.id)
            .where(m.Update.action_id == action.id)
            .order_by(m.Period.key.desc(), m.Update.id.desc())
        ).all()
        seen: set[str] = set()
        entries = []
        for update, key in rows:
            entries.append(
                HistoryEntry(
                    period_key=key,
                    period_label=Period.from_key(key).label,
                    status=update.status,
                    note=update.note,
                    revised_target_date=update.revised_target_date,
                    author_name=update.author.name if update.author else "import",
                    on_behalf_of=update.on_behalf_of.name if update.on_behalf_of else None,
                    recorded_at=update.created_at.astimezone(ctx.cycle(plan).tz),
                    source=update.source,
                    amendment_reason=update.amendment_reason,
                    superseded=key in seen,
                )
            )
            seen.add(key)
        return ActionHistory(
            ref=action.ref,
            title=action.title,
            theme=action.theme.name,
            directorate=action.directorate.name,
            owner_name=action.owner.name,
            target_date=action.target_date,
            revised_target_date=action.revised_target_date,
            closed=action.closed,
            entries=tuple(entries),
            scheme=ctx.rules(plan).scheme,
            plan_name=plan.name if len(plans) > 1 else None,
        )


def home_for(ctx: RequestContext) -> HomeTab:
    """The App Home of the person asking, a part for each of their plans: their actions; a
    director's directorate; an admin's whole plan."""
    with ctx.db.read_session() as session:
        memberships = _memberships(ctx, session)
        homes = tuple(_home_in(ctx, session, plan, person) for plan, person in memberships)
        signing = any(ctx.rules(plan).signoff for plan, _ in memberships)
    waiting = signoff.awaiting(ctx) if signing else None
    return HomeTab(homes, waiting if waiting is not None and waiting.items else None)


def _home_in(ctx: RequestContext, session: Session, plan: m.Plan, person: m.Person) -> Home:
    """One plan's part of a person's App Home."""
    today = ctx.today(plan)
    period = _period_info(session, plan, ctx.cycle(plan), today)
    own = _actions_of(session, plan, person)
    directorate = person.directorate.name if person.directorate else None
    # Only what the Home shows: an owner's own actions (refreshed after each of their
    # updates), a director's and their directorate's, the whole plan for an admin.
    shown = own
    if person.role == ppl.ADMIN:
        shown = _plan_actions(session, plan)
    elif person.role == ppl.DIRECTOR and directorate is not None:
        in_directorate = m.Action.directorate_id == person.directorate_id
        own_ids = {a.id for a in own}
        shown = own + [
            a for a in _plan_actions(session, plan, in_directorate) if a.id not in own_ids
        ]
    everything = _lines(session, plan, shown, period, person, today)
    mine_refs = {a.ref for a in own}
    mine = tuple(line for line in everything if line.ref in mine_refs)
    team: tuple[ListedAction, ...] = ()
    scope: Sequence[ListedAction] = ()
    by_directorate: list[DirectorateProgress] = []
    if person.role == ppl.DIRECTOR and directorate is not None:
        team = tuple(line for line in everything if line.directorate == directorate)
        scope = team
    elif person.role == ppl.ADMIN:
        scope = everything
        names = sorted({line.directorate for line in everything})
        for name in names:
            lines = [line for line in everything if line.directorate == name]
            by_directorate.append(
                DirectorateProgress(
                    name=name,
                    updated=sum(1 for line in lines if not line.outstanding),
                    total=len(lines),
                    outstanding=tuple(line for line in lines if line.outstanding),
                )
            )
    counts = Counter(line.status for line in scope if line.status is not None)
    away = _absent_now_or_later(person, today)
    return Home(
        plan_key=plan.key,
        plan_name=plan.name,
        scheme=ctx.rules(plan).scheme,
        person_name=person.name,
        slack_id=person.slack_id,
        role=person.role,
        period=period,
        mine=mine,
        away_from=person.away_from if away else None,
        away_to=person.away_to if away else None,
        delegate_name=person.delegate.name if person.delegate else None,
        directorate=directorate,
        team=team,
        status_counts=dict(counts),
        updated=sum(1 for line in scope if not line.outstanding),
        total=len(scope),
        by_directorate=tuple(by_directorate),
    )


def _absent_now_or_later(person: m.Person, today: dt.date) -> bool:
    """An absence that is under way or still to come."""
    return person.away_from is not None and (person.away_to is None or person.away_to >= today)


def updatable_actions(ctx: RequestContext, *, query: str = "") -> PickerForm:
    """The open actions the caller may update (their own first), in every plan of theirs (or
    the one `ctx` names), filtered by `query`; named by plan when they are in several."""
    wanted = query.strip().casefold()
    with ctx.db.session() as session:
        mine = my_plans(session, ctx)
        several = in_several_plans(session, ctx)
        choices: list[ActionChoice] = []
        periods: list[PlanPeriod] = []
        for plan, person in mine:
            period = _period_info(session, plan, ctx.cycle(plan), ctx.today(plan))
            periods.append(PlanPeriod(plan.name, period))
            choices += [
                ActionChoice(
                    ref=a.ref,
                    title=a.title,
                    owner_name=a.owner.name,
                    own=a.owner_id == person.id,
                    plan_key=plan.key if several else "",
                    plan_name=plan.name if several else "",
                )
                for a in sorted(_plan_actions(session, plan), key=lambda a: (a.number, a.ref))
                if not a.closed and ppl.may_update(person, a)
            ]
        if wanted:
            choices = [
                c
                for c in choices
                if c.ref == normalise_ref(query)
                or wanted in c.ref.casefold()
                or wanted in c.title.casefold()
                or wanted in c.plan_name.casefold()
            ]
        choices.sort(key=lambda c: not c.own)  # stable: own actions first, each in ref order
        schemes = {ctx.rules(plan).scheme for plan, _ in mine}
        return PickerForm(
            choices=tuple(choices),
            period=periods[0].period,
            scheme=schemes.pop() if len(schemes) == 1 else None,
            plan_periods=tuple(periods) if several else (),
        )


def update_form(ctx: RequestContext, *, ref: str, period: str | None = None) -> UpdateForm:
    """The update form for one action (prefilled with its last update), checked for the caller."""
    draft = prepare_update(ctx, ref=ref, period=period)
    if not draft.caller_is_admin:
        return UpdateForm(draft=draft, periods=())
    with ctx.db.session() as session:
        plan = ctx.for_plan(draft.plan_key).plan(session)
        current = open_period(session, plan, ctx.cycle(plan), ctx.today(plan))
        locked = locked_periods(session, plan)
    choices = []
    candidate = current
    for _ in range(RECENT_PERIODS):
        choices.append(PeriodChoice(candidate.key, candidate.label, candidate.key in locked))
        candidate = candidate.previous()
    return UpdateForm(draft=draft, periods=tuple(choices))
