"""Compiling the committee report: the sample plan's figures, flags, scopes and periods."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from support.context import ctx
from typer.testing import CliRunner

from bot.cli import app
from bot.domain.calendar import Cycle
from bot.domain.periods import Period
from bot.errors import InvalidInput, NotAllowed, NotFound
from bot.model.report import ReportAudience, Scope, ScopeKind, parse_scope
from bot.model.updates import Source
from bot.render.report_json import render_json
from bot.services.digest import compile_digest
from bot.services.digest_requests import default_period, digest_for, parse_digest_request
from bot.services.updates import record_update
from storage.db import Database

LONDON = ZoneInfo("Europe/London")
NOW = dt.datetime(2020, 1, 27, 12, 0, tzinfo=LONDON)
CYCLE = Cycle()
Q1, Q2, Q3 = Period(2019, 1), Period(2019, 2), Period(2019, 3)
PRIYA, SINEAD, KWAME, HELEN, TOM = "U0PO00001", "U0HR00002", "U0FN00002", "U0BS00001", "U0BS00002"


def report(db: Database, period: Period, scope: str = "all", **kwargs: Any) -> dict[str, Any]:
    """The report as another tool reads it: the JSON document."""
    digest = compile_digest(ctx(db, NOW, cycle=CYCLE), period=period, scope=scope, **kwargs)
    data: dict[str, Any] = json.loads(render_json(digest))
    return data


def by_ref(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {a["ref"]: a for a in data["actions"]}


def reply(db: Database, actor: str, ref: str, status: str, when: dt.datetime, **kw: Any) -> None:
    record_update(
        ctx(db, when, actor, cycle=CYCLE), ref=ref, status=status, source=Source.DEMO, **kw
    )


def test_sample_plan_q2_counts_and_directions_match_the_committee_report(
    sample_db: Database,
) -> None:
    data = report(sample_db, Q2)

    assert data["counts"] == {
        "not_started": 0,
        "green": 8,
        "amber": 7,
        "red": 1,
        "complete": 3,
        "on_hold": 1,
        "no_update": 0,
    }
    assert data["previous_counts"]["not_started"] == 5
    assert data["total"] == 20
    actions = by_ref(data)
    assert actions["ACT-12"]["direction"] == "worse"
    assert actions["ACT-14"]["direction"] == "worse"
    assert actions["ACT-1"]["direction"] == "improved"
    assert actions["ACT-3"]["direction"] == "improved"
    assert actions["ACT-2"]["direction"] == "same"
    assert actions["ACT-20"]["status"] == "on_hold"
    assert actions["ACT-20"]["direction"] is None  # on hold has no order
    assert actions["ACT-14"]["previous_status"] == "amber"
    assert data["period"]["key"] == "2019-20-Q2"
    assert data["period"]["meeting_date"] == "2019-10-18"


def test_theme_scope_holds_exactly_its_actions(sample_db: Database) -> None:
    data = report(sample_db, Q2, "theme:Finance & savings")

    assert [a["ref"] for a in data["actions"]] == ["ACT-13", "ACT-14", "ACT-15"]
    assert data["scope"] == {"kind": "theme", "name": "Finance & savings"}
    assert data["total"] == 3
    assert data["counts"]["red"] == 1
    assert [g["name"] for g in data["by_theme"]] == ["Finance & savings"]


def test_scope_names_are_matched_loosely_and_unknown_ones_list_the_choices(
    sample_db: Database,
) -> None:
    data = report(sample_db, Q2, "directorate:  hr & od ")
    assert [a["ref"] for a in data["actions"]] == ["ACT-9", "ACT-10", "ACT-11", "ACT-12"]
    assert data["scope"]["name"] == "HR & OD"

    with pytest.raises(NotFound) as refused:
        report(sample_db, Q2, "theme:Finances")
    assert "Finance & savings" in str(refused.value)


def test_a_period_with_no_updates_compiles_with_completed_actions_carried_forward(
    sample_db: Database,
) -> None:
    data = report(sample_db, Q3)
    actions = by_ref(data)

    completed_in_q2 = {"ACT-1", "ACT-5", "ACT-11"}
    for ref, action in actions.items():
        if ref in completed_in_q2:
            assert action["status"] == "complete"
            assert "carried_forward" in action["flags"]
            assert "no_update" not in action["flags"]
            assert action["status_period"] == "2019-20-Q2"
        else:
            assert action["status"] is None
            assert action["flags"][0] == "no_update"
            assert action["direction"] is None
    assert data["counts"]["no_update"] == 17
    assert data["counts"]["complete"] == 3
    assert data["sections"]["completed_this_period"] == []


def test_an_empty_plan_period_compiles(sample_db: Database) -> None:
    data = report(sample_db, Period(2018, 1))
    assert data["counts"]["no_update"] == 20
    assert [t["period"] for t in data["trend"]] == ["2018-19-Q1"]


def test_flags_completed_slipped_green_but_overdue_and_new(sample_db: Database) -> None:
    when = dt.datetime(2020, 1, 14, 10, 0, tzinfo=LONDON)
    reply(
        sample_db,
        TOM,
        "ACT-3",
        "amber",
        when,
        note="Delayed.",
        revised_target_date=dt.date(2020, 3, 31),
    )
    reply(sample_db, SINEAD, "ACT-9", "complete", when, note="Done.")
    data = report(sample_db, Q3)
    actions = by_ref(data)

    assert "slipped" in actions["ACT-3"]["flags"]
    assert actions["ACT-3"]["revised_target_date"] == "2020-03-31"
    assert actions["ACT-3"]["direction"] == "worse"
    assert "completed_this_period" in actions["ACT-9"]["flags"]
    assert data["sections"]["completed_this_period"] == ["ACT-9"]
    assert data["sections"]["exceptions"] == ["ACT-3"]

    q2 = by_ref(report(sample_db, Q2))
    # ACT-2 is green in Q2 with a target of 30 Sep 2019, before the Q2 update deadline.
    assert "green_but_overdue" in q2["ACT-2"]["flags"]
    assert "green_but_overdue" not in q2["ACT-6"]["flags"]
    q1 = by_ref(report(sample_db, Q1))
    assert q1["ACT-1"]["direction"] == "new"
    assert "new" in q1["ACT-1"]["flags"]


def test_the_latest_update_of_a_period_counts(sample_db: Database) -> None:
    reply(
        sample_db,
        TOM,
        "ACT-6",
        "amber",
        NOW - dt.timedelta(days=10),
        note="Late survey.",
        revised_target_date=dt.date(2020, 4, 30),
    )
    reply(sample_db, TOM, "ACT-6", "green", NOW - dt.timedelta(days=9), note="Survey open.")
    actions = by_ref(report(sample_db, Q3))
    assert actions["ACT-6"]["status"] == "green"
    assert actions["ACT-6"]["note"] == "Survey open."
    assert actions["ACT-6"]["updated_by"] == "Tom Ellis"
    assert actions["ACT-6"]["source"] == "demo"


def test_direction_is_measured_from_the_last_status_when_last_quarter_was_missed(
    sample_db: Database,
) -> None:
    # Nothing for Q3; a Q4 update compares with Q2's amber, not "new".
    when = dt.datetime(2020, 5, 11, 10, 0, tzinfo=LONDON)  # in the Q4 window
    reply(
        sample_db,
        SINEAD,
        "ACT-12",
        "green",
        when,
        note="Recovered.",
        revised_target_date=dt.date(2020, 6, 30),
    )
    action = by_ref(report(sample_db, Period(2019, 4)))["ACT-12"]
    assert action["previous_status"] == "amber"
    assert action["previous_status_period"] == "2019-20-Q2"
    assert action["direction"] == "improved"


def test_on_behalf_updates_name_the_owner(sample_db: Database) -> None:
    when = dt.datetime(2020, 1, 14, 10, 0, tzinfo=LONDON)
    reply(sample_db, HELEN, "ACT-6", "green", when, note="For Tom.")
    action = by_ref(report(sample_db, Q3))["ACT-6"]
    assert action["updated_by"] == "Helen Wright"
    assert action["on_behalf_of"] == "Tom Ellis"


def test_no_update_names_owners_in_drafts_only(sample_db: Database) -> None:
    draft = report(sample_db, Q3, "theme:Finance & savings", audience=ReportAudience.DRAFT)
    committee = report(sample_db, Q3, "theme:Finance & savings", audience=ReportAudience.COMMITTEE)

    assert {(g["owner"], tuple(g["refs"])) for g in draft["no_update"]} == {
        ("Kwame Mensah", ("ACT-13", "ACT-15")),
        ("Rachel Green", ("ACT-14",)),
    }
    assert committee["no_update"] == [
        {"directorate": "Finance", "owner": None, "refs": ["ACT-13", "ACT-14", "ACT-15"]}
    ]
    assert committee["audience"] == "committee"


def test_counts_by_theme_sum_to_the_totals(sample_db: Database) -> None:
    data = report(sample_db, Q2)
    for key in data["counts"]:
        assert sum(g["counts"][key] for g in data["by_theme"]) == data["counts"][key]
        assert (
            sum(g["previous_counts"][key] for g in data["by_theme"]) == data["previous_counts"][key]
        )
    assert [g["name"] for g in data["by_theme"]] == [
        "Partner focus & relationships",
        "Service quality & performance",
        "People, leadership & culture",
        "Finance & savings",
        "Operating model & systems",
    ]
    assert sum(g["total"] for g in data["by_directorate"]) == 20


def test_trend_covers_the_quarters_with_updates_up_to_six(sample_db: Database) -> None:
    assert [t["period"] for t in report(sample_db, Q2)["trend"]] == ["2019-20-Q1", "2019-20-Q2"]
    later = report(sample_db, Period(2021, 1))["trend"]
    assert len(later) == 6
    assert later[-1]["period"] == "2021-22-Q1"
    assert later[0]["period"] == "2019-20-Q4"
    assert later[0]["counts"]["complete"] == 3  # completed in Q2, carried forward


def test_default_period_is_the_latest_with_updates_up_to_the_open_one(
    sample_db: Database,
) -> None:
    assert default_period(ctx(sample_db, NOW, cycle=CYCLE)) == Q2
    reply(sample_db, TOM, "ACT-6", "green", NOW - dt.timedelta(days=10), note="Survey open.")
    assert default_period(ctx(sample_db, NOW, cycle=CYCLE)) == Q3
    # Looking back from the Q2 window, Q3's update is in the future and not chosen.
    early = dt.datetime(2019, 10, 1, 12, 0, tzinfo=LONDON)
    assert default_period(ctx(sample_db, early, cycle=CYCLE)) == Q2


def test_digest_for_owners_directors_and_admins(sample_db: Database) -> None:
    def ask(who: str, scope: Scope | None = None) -> Any:
        return digest_for(ctx(sample_db, NOW, who, cycle=CYCLE), scope=scope)

    owner = ask(SINEAD)
    assert owner.with_files is False
    assert owner.digest.audience is ReportAudience.COMMITTEE
    assert owner.digest.scope == Scope()
    director = ask(HELEN)
    assert director.with_files is True
    assert director.digest.scope == Scope(ScopeKind.DIRECTORATE, "Business Services")
    assert ask(HELEN, Scope()).digest.total == 20
    admin = ask(PRIYA)
    assert admin.digest.audience is ReportAudience.DRAFT
    assert admin.digest.total == 20
    with pytest.raises(NotAllowed):
        ask("U0STRANGER")


@pytest.mark.parametrize(
    ("text", "publish", "period", "scope"),
    [
        ("", False, None, None),
        ("Q2 2019/20", False, Q2, None),
        (
            "2019/20 Q2 theme:Finance & savings",
            False,
            Q2,
            Scope(ScopeKind.THEME, "Finance & savings"),
        ),
        ("2019-20-Q3 directorate:HR & OD", False, Q3, Scope(ScopeKind.DIRECTORATE, "HR & OD")),
        (
            "theme:People, leadership & culture",
            False,
            None,
            Scope(ScopeKind.THEME, "People, leadership & culture"),
        ),
        ("all", False, None, Scope()),
        ("Q3", False, Q3, None),
        ("publish", True, None, None),
        ("publish Q3 2019/20", True, Q3, None),
    ],
)
def test_digest_requests_are_read(
    text: str, publish: bool, period: Period | None, scope: Scope | None
) -> None:
    request = parse_digest_request(text, today=dt.date(2020, 1, 27))
    assert (request.publish, request.period, request.scope) == (publish, period, scope)


@pytest.mark.parametrize("text", ["next week", "publish theme:Finance", "theme:", "Q5"])
def test_unreadable_digest_requests_are_refused(text: str) -> None:
    with pytest.raises(InvalidInput):
        parse_digest_request(text, today=dt.date(2020, 1, 27))


def test_scope_words() -> None:
    assert parse_scope(None) == Scope()
    assert parse_scope("Theme: Finance & savings") == Scope(ScopeKind.THEME, "Finance & savings")
    with pytest.raises(InvalidInput):
        parse_scope("team:Finance")


def test_cli_digest_json_for_a_theme(cli_database_url: str) -> None:
    from pathlib import Path

    from bot.planio import read_plan
    from bot.services.plans import load_plan

    db = Database(cli_database_url)
    db.create_all()
    load_plan(
        db=db, plan_file=read_plan(Path(__file__).parents[1] / "bot" / "sample_plan"), now=NOW
    )
    db.dispose()

    result = CliRunner().invoke(
        app,
        [
            "digest",
            "--period",
            "2019-20-Q2",
            "--scope",
            "theme:Finance & savings",
            "--format",
            "json",
        ],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [a["ref"] for a in data["actions"]] == ["ACT-13", "ACT-14", "ACT-15"]

    whole = CliRunner().invoke(app, ["digest", "--format", "json"])
    assert json.loads(whole.stdout)["period"]["key"] == "2019-20-Q2"  # the default period
    assert json.loads(whole.stdout)["counts"]["green"] == 8

    wrong = CliRunner().invoke(app, ["digest", "--format", "json", "--scope", "theme:Nope"])
    assert wrong.exit_code == 1
    assert "There is no theme 'Nope'" in wrong.stderr
