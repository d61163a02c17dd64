"""The committee report: one period and scope compiled once into plain data for every format."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.domain.periods import Period
from bot.domain.status import Direction, StatusScheme
from bot.errors import NotFound
from bot.model.report import (
    ALL,
    NO_UPDATE,
    NO_UPDATE_COLOUR,
    NO_UPDATE_LABEL,
    Amendment,
    Digest,
    Flag,
    GroupCounts,
    MissingGroup,
    ReportAudience,
    ReportLine,
    Scope,
    ScopeKind,
    StatusInfo,
    TrendPoint,
    parse_scope,
)
from bot.services.context import RequestContext
from bot.services.indicator_history import with_history
from bot.services.indicators import indicator_lines
from bot.services.plans import latest_updates
from storage import models as m

TREND_QUARTERS = 6  # the chart's trend covers at most this many quarters, ending at the period


# -- compiling -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Reported:
    """An action's status as it stood for a period."""

    status: str | None
    period_key: str | None
    update: m.Update | None
    carried: bool


class _History:
    """Every counting update of the plan's actions, by action, in period order."""

    def __init__(
        self, latest: Mapping[tuple[int, str], m.Update], actions: Iterable[m.Action]
    ) -> None:
        self._by_action: dict[int, list[tuple[str, m.Update]]] = defaultdict(list)
        for (action_id, key), update in latest.items():
            self._by_action[action_id].append((key, update))
        for entries in self._by_action.values():
            entries.sort(key=lambda e: e[0])
        self._closed_without_history = {
            a.id for a in actions if a.closed and a.id not in self._by_action
        }

    def period_keys(self) -> set[str]:
        return {key for entries in self._by_action.values() for key, _ in entries}

    def at(self, action_id: int, period_key: str, scheme: StatusScheme) -> _Reported:
        """The status for `period_key`: its latest update, or complete carried forward."""
        earlier: tuple[str, m.Update] | None = None
        for key, update in self._by_action.get(action_id, []):
            if key == period_key:
                return _Reported(update.status, key, update, carried=False)
            if key < period_key:
                earlier = (key, update)
        if earlier is not None and _closes(scheme, earlier[1].status):
            return _Reported(earlier[1].status, earlier[0], earlier[1], carried=True)
        if earlier is None and action_id in self._closed_without_history:
            closing = next((k for k in scheme.keys if scheme.closes(k)), None)
            return _Reported(closing, None, None, carried=True)
        return _Reported(None, None, None, carried=False)

    def before(self, action_id: int, period_key: str) -> tuple[str, m.Update] | None:
        """The latest update in a period before `period_key`."""
        found = None
        for key, update in self._by_action.get(action_id, []):
            if key < period_key:
                found = (key, update)
        return found

    def revised_date(self, action_id: int, period_key: str) -> dt.date | None:
        """The latest revised target date given in an update up to `period_key`."""
        found = None
        for key, update in self._by_action.get(action_id, []):
            if key <= period_key and update.revised_target_date is not None:
                found = update.revised_target_date
        return found


def _closes(scheme: StatusScheme, key: str) -> bool:
    try:
        return scheme.closes(key)
    except KeyError:
        return False


def _statuses(scheme: StatusScheme) -> tuple[StatusInfo, ...]:
    return (
        *(
            StatusInfo(s.key, s.label, s.colour, s.emoji, s.needs_note, s.rank)
            for s in scheme.statuses
        ),
        StatusInfo(NO_UPDATE, NO_UPDATE_LABEL, NO_UPDATE_COLOUR, ":grey_question:"),
    )


def _empty_counts(scheme: StatusScheme) -> dict[str, int]:
    return dict.fromkeys((*scheme.keys, NO_UPDATE), 0)


def _count(statuses: Iterable[str | None], scheme: StatusScheme) -> dict[str, int]:
    counts = _empty_counts(scheme)
    for status in statuses:
        counts[status or NO_UPDATE] += 1
    return counts


def short_label(period: Period) -> str:
    """`Q3 2019/20`."""
    return f"Q{period.quarter} {period.financial_year}"


def _scope_actions(session: Session, plan: m.Plan, scope: Scope) -> tuple[list[m.Action], Scope]:
    query = select(m.Action).where(m.Action.plan_id == plan.id)
    if scope.kind is ScopeKind.ALL:
        return list(session.scalars(query)), scope
    rows: list[tuple[int, str]]
    if scope.kind is ScopeKind.THEME:
        rows = [(t.id, t.name) for t in session.scalars(select(m.Theme).filter_by(plan_id=plan.id))]
    else:
        rows = [
            (d.id, d.name)
            for d in session.scalars(select(m.Directorate).filter_by(plan_id=plan.id))
        ]
    wanted = " ".join(scope.name.split()).casefold()
    match = [(i, name) for i, name in rows if " ".join(name.split()).casefold() == wanted]
    if not match:
        names = sorted(name for _, name in rows)
        raise NotFound(
            f"There is no {scope.kind} '{scope.name}' in the plan '{plan.name}'.",
            hint=f"Choose one of: {'; '.join(names)}." if names else None,
        )
    chosen_id, chosen_name = match[0]
    column = m.Action.theme_id if scope.kind is ScopeKind.THEME else m.Action.directorate_id
    return list(session.scalars(query.where(column == chosen_id))), Scope(scope.kind, chosen_name)


def _scope_ids(session: Session, plan: m.Plan, scope: Scope) -> dict[str, int | None]:
    """The theme or directorate a (resolved) scope names, as indicator_lines takes it."""
    if scope.kind is ScopeKind.ALL:
        return {}
    model = m.Theme if scope.kind is ScopeKind.THEME else m.Directorate
    found = session.scalar(
        select(model.id).where(model.plan_id == plan.id, model.name == scope.name)
    )
    key = "theme_id" if scope.kind is ScopeKind.THEME else "directorate_id"
    return {key: found}


def compile_digest(
    ctx: RequestContext,
    *,
    period: Period,
    scope: Scope | str = ALL,
    audience: ReportAudience = ReportAudience.DRAFT,
) -> Digest:
    """Compile the report for `period` and `scope` from the updates that count, as of `ctx.now`,
    by the plan's own rules: its statuses (labels, colours, order, which need a note) and its
    calendar."""
    if isinstance(scope, str):
        scope = parse_scope(scope)
    with ctx.db.read_session() as session:
        plan = ctx.plan(session)
        rules = ctx.rules(plan)
        scheme = rules.scheme
        actions, scope = _scope_actions(session, plan, scope)
        themes = {
            t.id: t for t in session.scalars(select(m.Theme).where(m.Theme.plan_id == plan.id))
        }
        actions.sort(key=lambda a: (themes[a.theme_id].position, a.number, a.ref))
        # Owners, authors and directorates loaded at once (and held: the session's identity
        # map is weak), so reading them from each action and update costs no query.
        preloaded = (
            session.scalars(select(m.Person).where(m.Person.plan_id == plan.id)).all(),
            session.scalars(select(m.Directorate).where(m.Directorate.plan_id == plan.id)).all(),
        )
        history = _History(latest_updates(session, plan), actions)
        period_rows = {
            p.key: p for p in session.scalars(select(m.Period).where(m.Period.plan_id == plan.id))
        }
        row = period_rows.get(period.key)
        meeting = row.meeting_date if row else None
        schedule = ctx.cycle(plan).schedule(period, meeting)
        as_of = schedule.update_deadline
        previous = period.previous()

        lines = [_line(action, history, period, previous, as_of, scheme) for action in actions]
        previous_statuses = {a.id: history.at(a.id, previous.key, scheme).status for a in actions}

        def group(name_of: Mapping[int, str], order: list[str]) -> tuple[GroupCounts, ...]:
            now_by: dict[str, list[str | None]] = {name: [] for name in order}
            before_by: dict[str, list[str | None]] = {name: [] for name in order}
            for action, line in zip(actions, lines, strict=True):
                name = name_of[action.id]
                now_by.setdefault(name, []).append(line.status)
                before_by.setdefault(name, []).append(previous_statuses[action.id])
            return tuple(
                GroupCounts(name, _count(now_by[name], scheme), _count(before_by[name], scheme))
                for name in now_by
                if now_by[name]
            )

        theme_order = [t.name for t in sorted(themes.values(), key=lambda t: (t.position, t.id))]
        by_theme = group({a.id: a.theme.name for a in actions}, theme_order)
        directorate_order = sorted({a.directorate.name for a in actions})
        by_directorate = group({a.id: a.directorate.name for a in actions}, directorate_order)

        reported = sorted(history.period_keys())
        first = Period.from_key(reported[0]) if reported else period
        trend_periods = [period]
        while len(trend_periods) < TREND_QUARTERS and trend_periods[0] > first:
            trend_periods.insert(0, trend_periods[0].previous())
        trend = tuple(
            TrendPoint(
                p.key,
                short_label(p),
                _count((history.at(a.id, p.key, scheme).status for a in actions), scheme),
            )
            for p in trend_periods
        )

        missing = _missing(actions, lines, audience)
        indicators = with_history(
            session,
            plan,
            period,
            indicator_lines(session, plan, period, **_scope_ids(session, plan, scope)),
        )
        del preloaded
        locker = session.get(m.Person, row.locked_by_id) if row and row.locked_by_id else None
        return Digest(
            plan_key=plan.key,
            plan_name=plan.name,
            period_key=period.key,
            period_label=period.label,
            previous_period_key=previous.key,
            previous_period_label=previous.label,
            # The meeting's committee; else the one the plan's settings name.
            committee=(row.committee if row else "") or rules.committee or "",
            meeting_date=meeting,
            update_deadline=schedule.update_deadline,
            publication_deadline=schedule.publication_deadline,
            as_of=as_of,
            published_at=row.locked_at if row else None,
            published_by=locker.name if locker else None,
            scope=scope,
            audience=audience,
            generated_at=ctx.now,
            statuses=_statuses(scheme),
            counts=_count((line.status for line in lines), scheme),
            previous_counts=_count(previous_statuses.values(), scheme),
            by_theme=by_theme,
            by_directorate=by_directorate,
            actions=tuple(lines),
            trend=trend,
            missing=missing,
            indicators=indicators,
            on_track=scheme.on_track,
        )


def _line(
    action: m.Action,
    history: _History,
    period: Period,
    previous: Period,
    as_of: dt.date,
    scheme: StatusScheme,
) -> ReportLine:
    now = history.at(action.id, period.key, scheme)
    before = history.at(action.id, previous.key, scheme)
    previous_status, previous_period = before.status, before.period_key
    if previous_status is None and (earlier := history.before(action.id, period.key)):
        # Skipped last quarter: travel is measured from the last status reported.
        previous_status, previous_period = earlier[1].status, earlier[0]
    direction: Direction | None = None
    if now.status is not None:
        direction = scheme.direction(previous_status, now.status)
    update = now.update
    revised = history.revised_date(action.id, period.key) or action.revised_target_date
    if revised == action.target_date:
        revised = None  # "revised" to the date it already had: nothing has slipped
    flags: list[str] = []
    if now.status is None:
        flags.append(Flag.NO_UPDATE)
    if now.carried:
        flags.append(Flag.CARRIED_FORWARD)
    if direction is Direction.NEW:
        flags.append(Flag.NEW)
    closes = now.status is not None and _closes(scheme, now.status)
    if not closes and revised is not None and revised > action.target_date:
        flags.append(Flag.SLIPPED)
    on_track = now.status is not None and now.status == scheme.on_track
    if on_track and (revised or action.target_date) < as_of:
        flags.append(Flag.GREEN_BUT_OVERDUE)
    if (
        closes
        and not now.carried
        and not (previous_status is not None and _closes(scheme, previous_status))
    ):
        flags.append(Flag.COMPLETED_THIS_PERIOD)
    amendment = None
    if update is not None and update.amendment_reason and not now.carried:
        flags.append(Flag.AMENDED)
        amendment = Amendment(
            update.amendment_reason,
            update.author.name if update.author else "the programme office",
            update.created_at,
        )
    carried_note = ""
    if now.carried and now.period_key:
        carried_note = f"Completed in {short_label(Period.from_key(now.period_key))}."
    return ReportLine(
        ref=action.ref,
        title=action.title,
        theme=action.theme.name,
        directorate=action.directorate.name,
        owner=action.owner.name,
        target_date=action.target_date,
        revised_target_date=revised,
        status=now.status,
        status_period=now.period_key,
        previous_status=previous_status,
        previous_status_period=previous_period,
        direction=str(direction) if direction else None,
        note=carried_note if now.carried else (update.note if update else ""),
        updated_by=(update.author.name if update.author else "import") if update else None,
        updated_at=update.created_at if update else None,
        on_behalf_of=(
            update.on_behalf_of.name if update is not None and update.on_behalf_of else None
        ),
        source=update.source if update else None,
        amendment=amendment,
        flags=tuple(flags),
    )


def _missing(
    actions: list[m.Action], lines: list[ReportLine], audience: ReportAudience
) -> tuple[MissingGroup, ...]:
    groups: dict[tuple[str, str | None], list[str]] = {}
    for action, line in zip(actions, lines, strict=True):
        if not line.has(Flag.NO_UPDATE):
            continue
        owner = action.owner.name if audience is ReportAudience.DRAFT else None
        groups.setdefault((action.directorate.name, owner), []).append(action.ref)
    return tuple(
        MissingGroup(directorate, owner, tuple(refs))
        for (directorate, owner), refs in sorted(
            groups.items(), key=lambda i: (i[0][0], i[0][1] or "")
        )
    )
