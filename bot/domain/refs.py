"""Action references: `act-12`, `ACT12` and `12` all mean `ACT-12`."""

from __future__ import annotations

import difflib
import re
from collections.abc import Collection

from bot.errors import NotFound

_REF = re.compile(r"^\s*([A-Za-z]{1,10})?\s*[-_ ]?\s*(\d{1,6})\s*$")
DEFAULT_PREFIX = "ACT"


def normalise_ref(text: str, *, prefix: str = DEFAULT_PREFIX) -> str | None:
    """The canonical form of a reference, or None when `text` is not one."""
    match = _REF.match(text)
    if not match:
        return None
    letters, number = match.groups()
    return f"{(letters or prefix).upper()}-{int(number)}"


def ref_number(ref: str) -> int:
    """The number of a canonical ref, for sorting (`ACT-12` → 12)."""
    tail = ref.rsplit("-", 1)[-1]
    return int(tail) if tail.isdigit() else 0


def resolve_ref(text: str, known: Collection[str], *, prefix: str = DEFAULT_PREFIX) -> str:
    """The known ref that `text` names; refuses with the closest refs otherwise."""
    ref = normalise_ref(text, prefix=prefix)
    if ref is not None and ref in known:
        return ref
    close = difflib.get_close_matches((ref or text).upper(), list(known), n=3, cutoff=0.5)
    hint = f"Did you mean {', '.join(close)}?" if close else "Try `/actions` to see your actions."
    raise NotFound(f"There is no action '{text.strip()}' in this plan.", hint=hint)


# A button's or a menu option's value names an action of one plan as `<plan key>:<ref>` when
# the person is in several plans (a bare ref is looked for among all of theirs).
_PLAN_SEPARATOR = ":"


def plan_ref(plan_key: str | None, ref: str) -> str:
    """The value naming `ref` in the plan `plan_key` (just `ref` with no plan)."""
    return f"{plan_key}{_PLAN_SEPARATOR}{ref}" if plan_key else ref


def split_plan_ref(value: str) -> tuple[str | None, str]:
    """The plan key (None when none is named) and the ref of a value made by `plan_ref`."""
    plan_key, separator, ref = value.strip().rpartition(_PLAN_SEPARATOR)
    if not separator or not plan_key.strip() or not ref.strip():
        return None, value.strip()
    return plan_key.strip(), ref.strip()
