"""The shape of what Slack posts: a body that does not have it is refused before Bolt reads it.

Slack's JSON always has the same shape; a body that does not (mangled on the way, or forged)
would trip Bolt's routing, or a listener that reads `user.id` or `view.state.values`, into an
error and a 500. The fields Bolt (to route a request) and planbot's listeners (to read it) look
at are declared below with the types Slack sends them as, wherever they appear; pydantic checks
them (strictly: a string is never taken for a number or a boolean). Other fields are not
looked at.
"""

from __future__ import annotations

from typing import Any, Required

from pydantic import TypeAdapter, ValidationError

# pydantic reads TypedDicts from typing_extensions only, on Python before 3.12.
from typing_extensions import TypedDict

# Interactivity payloads: a person did something, and `user` is that person ({"id": ...}).
INTERACTIVE = frozenset(
    {"block_actions", "block_suggestion", "view_submission", "view_closed", "shortcut"}
    | {"message_action", "interactive_message"}
)


class _Fields(TypedDict, total=False):
    """The fields of any object in a payload (the envelope, an event, a view, an action...)."""

    type: str
    user: _Identified | str
    user_id: str
    team: _Object | str | None
    team_id: str | None
    enterprise: _Object | str | None
    enterprise_id: str | None
    channel: _Object | str | None
    channel_id: str
    api_app_id: str
    command: str
    text: str | dict[str, Any] | None
    trigger_id: str
    response_url: str
    callback_id: str
    block_id: str
    value: str | None
    action_ts: str
    message_ts: str
    view_id: str
    thread_ts: str | None
    private_metadata: str | None
    hash: str | None
    app_installed_team_id: str | None
    tab: str
    is_ext_shared_channel: bool
    is_enterprise_install: bool | str | None
    event: _Object
    message: _Object | None
    previous_message: _Object | None
    item: _Object
    assistant_thread: _Object
    function_data: _Object
    container: _Object
    view: _Identified
    state: _State | None
    selected_option: _Object | None
    actions: list[_Action]
    authorizations: list[_Object] | None
    response_urls: list[_Object] | None
    blocks: list[_Object] | None


class _Object(_Fields, total=False):
    id: str
    action_id: str


class _Identified(_Fields, total=False):
    """A person or a view: Slack always says which."""

    id: Required[str]
    action_id: str


class _Action(_Fields, total=False):
    """A pressed button or a chosen menu item: Slack always says which element."""

    id: str
    action_id: Required[str]


class _State(_Object, total=False):
    """A view's state: what was entered, by block and by element."""

    values: dict[str, dict[str, dict[str, Any]]] | None


_BODY = TypeAdapter(_Object)


def shape_problem(body: object) -> str | None:
    """What makes a parsed body something Slack would not send, or None when it could be."""
    try:
        _BODY.validate_python(body, strict=True)
    except ValidationError as invalid:
        error = invalid.errors()[0]
        return ".".join(["body", *map(str, error["loc"])]) + f": {error['msg']}"
    if (
        isinstance(body, dict)
        and body.get("type") in INTERACTIVE
        and not isinstance(body.get("user"), dict)
    ):
        return "body.user is not a person"
    return None
