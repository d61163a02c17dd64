"""SQLAlchemy 2 typed models for plans, people, actions, indicators, periods, updates,
measures and deliveries."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[dt.datetime]):
    """An aware datetime stored as naive UTC, so SQLite and PostgreSQL agree."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; pass an aware datetime")
        return value.astimezone(dt.UTC).replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        assert isinstance(value, dt.datetime)
        return value.replace(tzinfo=dt.UTC)


class DecimalText(TypeDecorator[Decimal]):
    """A decimal stored as its text, exact on SQLite and PostgreSQL alike (a target at the
    tolerance line must compare as written; SQLite has no exact decimal type)."""

    impl = String(40)
    cache_ok = True

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> Any:
        return None if value is None else str(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        return None if value is None else Decimal(value)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Plan(Base):
    __tablename__ = "plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    # The plan's own `settings` (a JSON object of key to checked text) and `statuses` (a JSON
    # list of the statuses sheet's rows); empty: the environment's settings, the default scheme.
    settings_json: Mapped[str] = mapped_column(Text, default="{}", server_default="{}")
    statuses_json: Mapped[str] = mapped_column(Text, default="[]", server_default="[]")

    actions: Mapped[list[Action]] = relationship(back_populates="plan")


class Theme(Base):
    __tablename__ = "themes"
    __table_args__ = (UniqueConstraint("plan_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(Integer, default=0)


class Directorate(Base):
    __tablename__ = "directorates"
    __table_args__ = (UniqueConstraint("plan_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))


class Person(Base):
    __tablename__ = "people"
    __table_args__ = (UniqueConstraint("plan_id", "slack_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"))
    slack_id: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320), default="")
    role: Mapped[str] = mapped_column(String(16))  # owner | director | admin
    directorate_id: Mapped[int | None] = mapped_column(
        ForeignKey("directorates.id", ondelete="SET NULL")
    )
    delegate_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    away_from: Mapped[dt.date | None] = mapped_column(Date)
    away_to: Mapped[dt.date | None] = mapped_column(Date)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    directorate: Mapped[Directorate | None] = relationship()
    delegate: Mapped[Person | None] = relationship(remote_side=[id])

    def is_away(self, day: dt.date) -> bool:
        """True when `day` falls within the person's recorded absence."""
        if self.away_from is None:
            return False
        return self.away_from <= day and (self.away_to is None or day <= self.away_to)


class Action(Base):
    __tablename__ = "actions"
    __table_args__ = (UniqueConstraint("plan_id", "ref"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"))
    ref: Mapped[str] = mapped_column(String(32))
    number: Mapped[int] = mapped_column(Integer)  # for ordering ACT-2 before ACT-10
    title: Mapped[str] = mapped_column(Text)
    theme_id: Mapped[int] = mapped_column(ForeignKey("themes.id"))
    directorate_id: Mapped[int] = mapped_column(ForeignKey("directorates.id"))
    owner_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    target_date: Mapped[dt.date] = mapped_column(Date)
    revised_target_date: Mapped[dt.date | None] = mapped_column(Date)
    closed: Mapped[bool] = mapped_column(Boolean, default=False)

    plan: Mapped[Plan] = relationship(back_populates="actions")
    theme: Mapped[Theme] = relationship()
    directorate: Mapped[Directorate] = relationship()
    owner: Mapped[Person] = relationship()

    @property
    def effective_target(self) -> dt.date:
        return self.revised_target_date or self.target_date


class Period(Base):
    __tablename__ = "periods"
    __table_args__ = (UniqueConstraint("plan_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(16))
    meeting_date: Mapped[dt.date | None] = mapped_column(Date)
    committee: Mapped[str] = mapped_column(String(200), default="")
    locked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    locked_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    # Published with updates still awaiting sign-off: the admin's reason, stated in the report.
    published_anyway_reason: Mapped[str | None] = mapped_column(Text)


class Update(Base):
    """One status report on one action for one period. Never edited or deleted."""

    __tablename__ = "updates"
    __table_args__ = (Index("ix_updates_action_period", "action_id", "period_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("actions.id", ondelete="CASCADE"))
    period_id: Mapped[int] = mapped_column(ForeignKey("periods.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(32))
    note: Mapped[str] = mapped_column(Text, default="")
    revised_target_date: Mapped[dt.date | None] = mapped_column(Date)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    on_behalf_of_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL")
    )
    source: Mapped[str] = mapped_column(String(16))  # command | modal | button | import | demo
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    amendment_reason: Mapped[str | None] = mapped_column(Text)
    # Set from the Slack trigger or view, so a double submission records one update.
    idempotency_key: Mapped[str | None] = mapped_column(String(200), unique=True)

    action: Mapped[Action] = relationship()
    period: Mapped[Period] = relationship()
    author: Mapped[Person | None] = relationship(foreign_keys=[author_id])
    on_behalf_of: Mapped[Person | None] = relationship(foreign_keys=[on_behalf_of_id])


class SignOff(Base):
    """A director's decision on one update: approved, or returned to its owner with a comment.
    One decision an update (so a double click approves once); never edited or deleted. A new
    update (the owner's next, or an admin's amendment) has none: it awaits sign-off again."""

    __tablename__ = "signoffs"

    id: Mapped[int] = mapped_column(primary_key=True)
    update_id: Mapped[int] = mapped_column(
        ForeignKey("updates.id", ondelete="CASCADE"), unique=True
    )
    decision: Mapped[str] = mapped_column(String(16))  # approved | returned
    comment: Mapped[str] = mapped_column(Text, default="")
    by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    # The away director a delegate acted for; None when people acted as themselves.
    for_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())

    update: Mapped[Update] = relationship()
    by: Mapped[Person | None] = relationship(foreign_keys=[by_id])
    acting_for: Mapped[Person | None] = relationship(foreign_keys=[for_id])


class SignOffNotice(Base):
    """An update already listed in someone's daily sign-off DM: never listed to them again."""

    __tablename__ = "signoff_notices"
    __table_args__ = (UniqueConstraint("update_id", "recipient"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    update_id: Mapped[int] = mapped_column(ForeignKey("updates.id", ondelete="CASCADE"))
    recipient: Mapped[str] = mapped_column(String(64))  # Slack ID


class Indicator(Base):
    """A performance indicator (`PI-7`): a measure reported each quarter against a target.
    Its ref is unique in the plan among actions and indicators (checked on import)."""

    __tablename__ = "indicators"
    __table_args__ = (UniqueConstraint("plan_id", "ref"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"))
    ref: Mapped[str] = mapped_column(String(32))
    number: Mapped[int] = mapped_column(Integer)  # for ordering PI-2 before PI-10
    title: Mapped[str] = mapped_column(Text)
    theme_id: Mapped[int] = mapped_column(ForeignKey("themes.id"))
    directorate_id: Mapped[int] = mapped_column(ForeignKey("directorates.id"))
    owner_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    unit: Mapped[str] = mapped_column(String(16))  # % | £ | £k | £m | days | number | ratio
    polarity: Mapped[str] = mapped_column(String(8))  # higher | lower (which way is better)
    tolerance: Mapped[Decimal] = mapped_column(DecimalText())  # per cent of the target
    decimals: Mapped[int] = mapped_column(Integer, default=0)  # places values are shown with

    theme: Mapped[Theme] = relationship()
    directorate: Mapped[Directorate] = relationship()
    owner: Mapped[Person] = relationship()


class IndicatorTarget(Base):
    """An indicator's target for one period."""

    __tablename__ = "indicator_targets"
    __table_args__ = (UniqueConstraint("indicator_id", "period_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicators.id", ondelete="CASCADE"))
    period_id: Mapped[int] = mapped_column(ForeignKey("periods.id", ondelete="CASCADE"))
    value: Mapped[Decimal] = mapped_column(DecimalText())


class Measure(Base):
    """One actual reported for an indicator and period. Never edited or deleted: the latest
    counts. `value` None: not available (`n/a`), the note saying why."""

    __tablename__ = "measures"
    __table_args__ = (Index("ix_measures_indicator_period", "indicator_id", "period_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicators.id", ondelete="CASCADE"))
    period_id: Mapped[int] = mapped_column(ForeignKey("periods.id", ondelete="CASCADE"))
    value: Mapped[Decimal | None] = mapped_column(DecimalText())
    note: Mapped[str] = mapped_column(Text, default="")
    author_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    on_behalf_of_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL")
    )
    source: Mapped[str] = mapped_column(String(16))  # command | modal | import | demo
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    # Set from the Slack trigger, so a command delivered twice records one measure.
    idempotency_key: Mapped[str | None] = mapped_column(String(200), unique=True)

    indicator: Mapped[Indicator] = relationship()
    period: Mapped[Period] = relationship()
    author: Mapped[Person | None] = relationship(foreign_keys=[author_id])
    on_behalf_of: Mapped[Person | None] = relationship(foreign_keys=[on_behalf_of_id])


class Delivery(Base):
    """A message the bot owes someone once: claimed before sending, so it is never sent twice."""

    __tablename__ = "deliveries"
    __table_args__ = (UniqueConstraint("plan_id", "period_key", "kind", "recipient"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"))
    period_key: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(64))  # a ladder step, "digest_draft", ...
    recipient: Mapped[str] = mapped_column(String(64))  # Slack ID, channel or URL key
    state: Mapped[str] = mapped_column(String(16))  # claimed | sent | failed
    claimed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    detail: Mapped[str] = mapped_column(Text, default="")


class InboxItem(Base):
    """A request from Slack, stored before it is acknowledged and done after: the durable
    inbox. `key` is what makes a redelivery the same request (its trigger_id, event_id ...);
    `body` is what Bolt parsed, dispatched again by whichever process finishes it."""

    __tablename__ = "inbox"
    __table_args__ = (Index("ix_inbox_state_received", "state", "received_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(64))  # "command /update", "block_actions" ...
    user_id: Mapped[str] = mapped_column(String(32), default="")  # Slack ID; "" for none
    body: Mapped[str | None] = mapped_column(Text)  # JSON; cleared once done or given up
    state: Mapped[str] = mapped_column(String(16))  # waiting | working | done | expired
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    claimed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    claimed_by: Mapped[str] = mapped_column(String(200), default="")  # host:pid:start
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    reported_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())  # expired, told
