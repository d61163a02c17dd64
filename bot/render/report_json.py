"""The committee report as JSON, for other tools (schema: docs/digest-json.md)."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

from bot.model.indicators import IndicatorLine
from bot.model.report import Digest, Flag, GroupCounts, ReportLine

JSON_SCHEMA_VERSION = 1


def render_json(digest: Digest) -> str:
    """The compiled report as a JSON document (UTF-8 text, keys in a stable order)."""
    return json.dumps(report_dict(digest), indent=2, ensure_ascii=False) + "\n"


def report_dict(digest: Digest) -> dict[str, Any]:
    """The JSON document described in docs/digest-json.md."""
    return {
        "schema_version": JSON_SCHEMA_VERSION,
        "plan": {"key": digest.plan_key, "name": digest.plan_name},
        "period": {
            "key": digest.period_key,
            "label": digest.period_label,
            "previous_key": digest.previous_period_key,
            "previous_label": digest.previous_period_label,
            "committee": digest.committee,
            "meeting_date": _iso(digest.meeting_date),
            "update_deadline": _iso(digest.update_deadline),
            "publication_deadline": _iso(digest.publication_deadline),
            "as_of": _iso(digest.as_of),
            "published_at": _iso(digest.published_at),
            "published_by": digest.published_by,
        },
        "scope": {"kind": str(digest.scope.kind), "name": digest.scope.name or None},
        "audience": str(digest.audience),
        "generated_at": _iso(digest.generated_at),
        "statuses": [
            {"key": s.key, "label": s.label, "colour": f"#{s.colour}"} for s in digest.statuses
        ],
        "total": digest.total,
        "counts": dict(digest.counts),
        "previous_counts": dict(digest.previous_counts),
        "by_theme": [_group_dict(g) for g in digest.by_theme],
        "by_directorate": [_group_dict(g) for g in digest.by_directorate],
        "sections": {
            "exceptions": [a.ref for a in digest.exceptions],
            "completed_this_period": [a.ref for a in digest.completed_this_period],
            "new": [a.ref for a in digest.flagged(Flag.NEW)],
            "slipped": [a.ref for a in digest.flagged(Flag.SLIPPED)],
            "green_but_overdue": [a.ref for a in digest.flagged(Flag.GREEN_BUT_OVERDUE)],
            "amended": [a.ref for a in digest.amended],
        },
        "no_update": [
            {"directorate": g.directorate, "owner": g.owner, "refs": list(g.refs)}
            for g in digest.missing
        ],
        "trend": [
            {"period": t.period_key, "label": t.label, "counts": dict(t.counts)}
            for t in digest.trend
        ],
        "signoff": {"on": digest.signoff, "published_anyway_reason": digest.published_anyway},
        "actions": [_action_dict(a) for a in digest.actions],
        "indicators": [_indicator_dict(i) for i in digest.indicators],
    }


def _number(value: Decimal | None) -> int | float | None:
    """A decimal as a JSON number: an integer when it is whole."""
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def _indicator_dict(line: IndicatorLine) -> dict[str, Any]:
    return {
        "ref": line.ref,
        "title": line.title,
        "unit": str(line.unit),
        "polarity": str(line.polarity),
        "target": _number(line.target),
        "actual": _number(line.actual),
        "status": str(line.status),
        "short_trend": str(line.short_trend),
        "long_trend": str(line.long_trend),
        "note": line.note,
    }


def _iso(value: dt.date | dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _group_dict(group: GroupCounts) -> dict[str, Any]:
    return {
        "name": group.name,
        "total": group.total,
        "counts": dict(group.counts),
        "previous_counts": dict(group.previous_counts),
    }


def _action_dict(a: ReportLine) -> dict[str, Any]:
    return {
        "ref": a.ref,
        "title": a.title,
        "theme": a.theme,
        "directorate": a.directorate,
        "owner": a.owner,
        "status": a.status,
        "status_period": a.status_period,
        "previous_status": a.previous_status,
        "previous_status_period": a.previous_status_period,
        "direction": a.direction,
        "note": a.note,
        "target_date": _iso(a.target_date),
        "revised_target_date": _iso(a.revised_target_date),
        "updated_by": a.updated_by,
        "updated_at": _iso(a.updated_at),
        "on_behalf_of": a.on_behalf_of,
        "source": a.source,
        "amendment": (
            {"reason": a.amendment.reason, "by": a.amendment.by, "at": _iso(a.amendment.at)}
            if a.amendment
            else None
        ),
        "flags": list(a.flags),
        "signoff": a.signoff,
    }
