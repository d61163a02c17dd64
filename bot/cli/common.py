"""What every `planbot` command shares: its errors, settings, database and clock."""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

from bot.errors import PlanbotError
from bot.settings import Settings, SettingsError, get_settings
from storage.db import Database

if TYPE_CHECKING:
    from bot.services.context import RequestContext

PlanOption = Annotated[
    str | None,
    typer.Option("--plan", help="The plan's key; needed only when the database holds several."),
]

T = TypeVar("T")


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print a one-line error (no traceback) and return the exit to raise."""
    typer.secho(f"planbot: {message}", fg=typer.colors.RED, err=True)
    return typer.Exit(code)


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn the errors a user can fix into one line on stderr and a non-zero exit."""
    try:
        yield
    except (PlanbotError, SettingsError) as exc:
        # A PlanFileError comes from bot.planio, imported by whatever read the plan file; not
        # imported here, so commands that read none (`serve`) do not load openpyxl.
        planio = sys.modules.get("bot.planio")
        if planio is not None and isinstance(exc, planio.PlanFileError):
            count = len(exc.errors)
            problems = "1 problem" if count == 1 else f"{count} problems"
            lines = "\n".join(f"  {error}" for error in exc.errors)
            raise fail(f"the plan file has {problems}; nothing was imported.\n{lines}") from None
        raise fail(str(exc)) from None


def settings() -> Settings:
    with user_errors():
        return get_settings()


def database(current: Settings | None = None) -> Database:
    """The configured database, checked to be reachable and migrated."""
    current = current or settings()
    db = Database(current.database_url)
    if not db.ping():
        raise fail(f"cannot reach the database at DATABASE_URL ({safe_url(current.database_url)}).")
    from sqlalchemy import inspect

    if not inspect(db.engine).has_table("plans"):
        db.upgrade()
    return db


def request(current: Settings, plan: str | None, moment: dt.datetime) -> RequestContext:
    """What a command's services run with: the configured database and calendar, the plan
    `--plan` names (else PLANBOT_PLAN's), at `moment`."""
    from bot.services.context import RequestContext

    return RequestContext(
        db=database(current),
        default_cycle=current.cycle(),
        now=moment,
        plan_key=plan or current.planbot_plan,
    )


def safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def now() -> dt.datetime:
    """The clock, read at the edge."""
    return dt.datetime.now(dt.UTC)


def run(action: Callable[[], T]) -> T:
    with user_errors():
        return action()
