"""Settings from the environment and a `.env` file, validated once."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays
from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.domain.calendar import Cycle, CycleRules, WorkingCalendar


class SettingsError(Exception):
    """A setting is missing or malformed; the message names the variable."""


class Settings(BaseSettings):
    """Everything planbot reads from its environment (see `.env.example`)."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", case_sensitive=False)

    database_url: str = "sqlite:///planbot.db"
    slack_bot_token: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_api_url: str = "https://slack.com/api/"
    planbot_timezone: str = "Europe/London"
    planbot_digest_channel: str | None = None
    planbot_webhook_urls: Annotated[list[str], NoDecode] = Field(default_factory=list)
    planbot_holidays_country: str = "GB"
    planbot_holidays_subdiv: str | None = "ENG"
    planbot_send_at: dt.time = dt.time(9, 30)
    planbot_tick_minutes: int = Field(default=5, ge=1, le=60)
    planbot_plan: str | None = None
    planbot_log_level: str = "INFO"

    @field_validator("planbot_timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"'{value}' is not a time zone (try Europe/London)") from exc
        return value

    @field_validator("planbot_webhook_urls", mode="before")
    @classmethod
    def _split_urls(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("planbot_webhook_urls")
    @classmethod
    def _http_urls(cls, value: list[str]) -> list[str]:
        for url in value:
            if not url.startswith(("http://", "https://")):
                raise ValueError(f"'{url}' is not an http(s) URL")
        return value

    @field_validator("slack_api_url")
    @classmethod
    def _api_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError(f"'{value}' is not an http(s) URL")
        return value if value.endswith("/") else value + "/"

    @field_validator("planbot_holidays_subdiv", mode="before")
    @classmethod
    def _blank_subdiv(cls, value: object) -> object:
        return None if value == "" else value

    def cycle(self) -> Cycle:
        """The reporting calendar these settings describe."""
        try:
            calendar = WorkingCalendar(self.planbot_holidays_country, self.planbot_holidays_subdiv)
        except NotImplementedError as exc:
            raise SettingsError(f"PLANBOT_HOLIDAYS_COUNTRY/PLANBOT_HOLIDAYS_SUBDIV: {exc}") from exc
        return Cycle(
            calendar=calendar,
            rules=CycleRules(send_at=self.planbot_send_at),
            timezone=self.planbot_timezone,
        )

    def require(self, name: str) -> str:
        """The value of a setting that this command needs, or a one-line error naming it."""
        value = getattr(self, name)
        if value is None or value == "":
            raise SettingsError(f"{name.upper()} is not set; see .env.example.")
        return value.get_secret_value() if isinstance(value, SecretStr) else str(value)


def load_settings(**overrides: object) -> Settings:
    """Settings from the environment; a bad value is a one-line SettingsError naming it."""
    try:
        settings = Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            name = str(error["loc"][0]).upper() if error["loc"] else "SETTINGS"
            message = str(error["msg"]).removeprefix("Value error, ")
            problems.append(f"{name}: {message}")
        raise SettingsError("; ".join(problems)) from None
    try:
        holidays.country_holidays(
            settings.planbot_holidays_country, subdiv=settings.planbot_holidays_subdiv
        )
    except NotImplementedError as exc:
        raise SettingsError(f"PLANBOT_HOLIDAYS_COUNTRY/PLANBOT_HOLIDAYS_SUBDIV: {exc}") from None
    return settings


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The settings of this process, built once."""
    return load_settings()
