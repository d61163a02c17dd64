"""`/digest` and `planbot digest`: which period, which scope, and what each person may see."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select

from bot.domain.periods import Period, parse_period
from bot.errors import InvalidInput, NotAllowed
from bot.model.report import ALL, Digest, ReportAudience, Scope, ScopeKind, parse_scope
from bot.services import people as ppl
from bot.services.context import RequestContext
from bot.services.digest import compile_digest
from bot.services.plans import open_period
from storage import models as m

# -- choosing the period -------------------------------------------------------------------


def default_period(ctx: RequestContext) -> Period:
    """The latest period with updates, up to the open period; with none, the open period."""
    with ctx.db.read_session() as session:
        plan = ctx.plan(session)
        current = open_period(session, plan, ctx.cycle(plan), ctx.today(plan))
        keys = session.scalars(
            select(m.Period.key)
            .join(m.Update, m.Update.period_id == m.Period.id)
            .where(m.Period.plan_id == plan.id, m.Period.key <= current.key)
            .distinct()
        ).all()
    return Period.from_key(max(keys)) if keys else current


@dataclass(frozen=True)
class DigestRequest:
    """What `/digest ...` asked for."""

    publish: bool
    period: Period | None
    scope: Scope | None
    plan_key: str | None = None  # the plan named first, if any
    # `/digest publish … anyway <reason>`: an admin publishing with updates not signed off.
    anyway: str | None = None


def _plan_named(words: list[str], plans: Sequence[tuple[str, str]]) -> tuple[str | None, list[str]]:
    """The plan `words` start with, by key or by name (case and spacing aside), and the words
    after it; the longest name wins (`Strategy 2020-23` over a plan called `Strategy`)."""
    folded = [w.casefold() for w in words]
    best: tuple[int, str] | None = None
    for key, name in plans:
        for candidate in (key.split(), name.split()):
            size = len(candidate)
            matches = size > 0 and folded[:size] == [w.casefold() for w in candidate]
            if matches and (best is None or size > best[0]):
                best = (size, key)
    if best is None:
        return None, words
    return best[1], words[best[0] :]


def parse_digest_request(
    text: str, *, today: dt.date, plans: Sequence[tuple[str, str]] = ()
) -> DigestRequest:
    """Read `[publish] [plan] [period] [scope]`: `Q2 2019/20 theme:Finance & savings`,
    `strategy Q3`, `publish Q3`, `publish Q3 anyway <reason>`. `plans` are the (key, name)
    of the plans a first word may name."""
    words = text.split()
    publish = bool(words) and words[0].lower() == "publish"
    if publish:
        words = words[1:]
    plan_key, words = _plan_named(words, plans)
    anyway: str | None = None
    if publish and "anyway" in (lowered := [w.lower() for w in words]):
        at = lowered.index("anyway")
        anyway = " ".join(words[at + 1 :]).strip()
        words = words[:at]
        if not anyway:
            raise InvalidInput(
                "Say why it is published before every update is signed off; nothing was published.",
                hint="For example `/digest publish Q3 anyway The committee meets tomorrow; "
                "Finance's director is on leave`.",
            )
    period: Period | None = None
    scope_start = 0
    for size in (2, 1):
        if len(words) >= size and ":" not in " ".join(words[:size]):
            try:
                period = parse_period(" ".join(words[:size]), today=today)
            except InvalidInput:
                continue
            scope_start = size
            break
    rest = " ".join(words[scope_start:])
    if publish and rest:
        raise InvalidInput(
            f"'{rest}' is not a period.",
            hint="Publish the whole plan with `/digest publish` or `/digest publish Q3 2019/20`"
            + (" (naming the plan first: `/digest publish <plan> Q3`)." if plans else "."),
        )
    if rest and period is None and ":" not in rest and rest.lower() not in {"all", "plan"}:
        raise InvalidInput(
            f"'{rest}' is neither a period nor a scope.",
            hint="Try `/digest`, `/digest Q3 2019/20`, `/digest theme:<name>` "
            "or `/digest directorate:<name>`.",
        )
    return DigestRequest(publish, period, parse_scope(rest) if rest else None, plan_key, anyway)


def read_digest_request(ctx: RequestContext, text: str) -> DigestRequest:
    """`/digest ...` read against the plans there are (a plan's name or key may come first);
    a period written without its year is read by the named plan's date."""
    with ctx.db.read_session() as session:
        plans = {plan.key: plan for plan in session.scalars(select(m.Plan).order_by(m.Plan.key))}
        named = [(plan.key, plan.name) for plan in plans.values()]
        words = text.split()
        publishing = bool(words) and words[0].lower() == "publish"
        key, _ = _plan_named(words[1:] if publishing else words, named)
        today = ctx.today(plans[key]) if key else ctx.local_today
    return parse_digest_request(text, today=today, plans=named)


def in_plan_of(ctx: RequestContext, *, command: str = "/digest") -> RequestContext:
    """The request for the plan it names or, naming none, for the one plan the person asking
    is in; one in several plans is asked to name one (nothing is done). Anyone in no plan is
    left to the service: the only plan there is refuses them with a reason."""
    if ctx.plan_key:
        return ctx
    with ctx.db.read_session() as session:
        mine = [plan for plan, _ in ctx.memberships(session)]
        if len(mine) == 1:
            return ctx.for_plan(mine[0].key)
        if len(mine) > 1:
            names = ", ".join(f"{plan.name} (`{plan.key}`)" for plan in mine)
            raise InvalidInput(
                f"You are in several plans: {names}. Say which one; nothing was done.",
                hint=f"Name the plan first, for example `{command} {mine[0].key}`; "
                f"one of: {', '.join(plan.key for plan in mine)}.",
            )
        if len(ctx.plans(session)) > 1:
            raise NotAllowed(
                "You are not on the list of people in any plan here; nothing was done.",
                hint="Ask the programme office to add you to their plan's people.",
            )
    return ctx


@dataclass(frozen=True)
class PersonalDigest:
    """The report a person asked for, compiled for what their role lets them see."""

    digest: Digest
    with_files: bool  # directors and admins get the PDF, Word, Excel and chart files


def digest_for(
    ctx: RequestContext, *, period: Period | None = None, scope: Scope | None = None
) -> PersonalDigest:
    """`/digest`: owners get the summary without names; directors (their directorate by
    default) and admins (the whole plan by default) get the draft, with names and files."""
    ctx = in_plan_of(ctx)
    with ctx.db.read_session() as session:
        plan, person = ctx.member(session)
        role = person.role
        own_directorate = person.directorate.name if person.directorate else None
        ctx = ctx.for_plan(plan.key)
    if scope is None:
        if role == ppl.DIRECTOR and own_directorate:
            scope = Scope(ScopeKind.DIRECTORATE, own_directorate)
        else:
            scope = ALL
    if period is None:
        period = default_period(ctx)
    privileged = role in (ppl.ADMIN, ppl.DIRECTOR)
    digest = compile_digest(
        ctx,
        period=period,
        scope=scope,
        audience=ReportAudience.DRAFT if privileged else ReportAudience.COMMITTEE,
    )
    return PersonalDigest(digest, with_files=privileged)
