"""`/digest` and `planbot digest`: which period, which scope, and what each person may see."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select

from bot.domain.periods import Period, parse_period
from bot.errors import InvalidInput
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


def parse_digest_request(text: str, *, today: dt.date) -> DigestRequest:
    """Read `[publish] [period] [scope]`: `Q2 2019/20 theme:Finance & savings`, `publish Q3`."""
    words = text.split()
    publish = bool(words) and words[0].lower() == "publish"
    if publish:
        words = words[1:]
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
            hint="Publish the whole plan with `/digest publish` or `/digest publish Q3 2019/20`.",
        )
    if rest and period is None and ":" not in rest and rest.lower() not in {"all", "plan"}:
        raise InvalidInput(
            f"'{rest}' is neither a period nor a scope.",
            hint="Try `/digest`, `/digest Q3 2019/20`, `/digest theme:<name>` "
            "or `/digest directorate:<name>`.",
        )
    return DigestRequest(publish, period, parse_scope(rest) if rest else None)


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
