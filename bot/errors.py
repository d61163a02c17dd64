"""Domain errors: each carries a message meant for the person who typed the command."""

from __future__ import annotations

# What Slack's users.info says of a deactivated account: the reason recorded when someone was
# not messaged, which the programme office is told in words.
DEACTIVATED = "deleted: true"


class PlanbotError(Exception):
    """An error whose message is shown to the user as it is, privately."""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} {self.hint}" if self.hint else self.message


class NotFound(PlanbotError):
    """Something named by the user does not exist."""


class NotAllowed(PlanbotError):
    """The caller may not do this."""


class InvalidInput(PlanbotError):
    """The user's input cannot be read."""


class PeriodLocked(PlanbotError):
    """The period has been published and locked."""
