"""Typed settings, read from the environment and an optional `.env` file."""

from __future__ import annotations

import re
from functools import cached_property
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
OFFICIAL_API_BASE = "https://api.telegram.org"
TOKEN_PATTERN = re.compile(r"^\d{3,20}:[A-Za-z0-9_-]{20,100}$")
SECRET_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
SUPPORTED_LANGUAGES = ("vi", "en")


def _default_database_url() -> str:
    return f"sqlite+aiosqlite:///{Path('data') / 'canhgiac.db'}"


def _project_dir(name: str) -> Path:
    """Content and quiz folders live at the project root; fall back to the working folder."""
    beside_package = PROJECT_ROOT / name
    return beside_package if beside_package.is_dir() else Path.cwd() / name


class Settings(BaseSettings):
    """Every knob of the bot in one place. Field names map to upper-case variables."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    bot_token: SecretStr | None = None
    database_url: str = Field(default_factory=_default_database_url)
    telegram_api_base: str = OFFICIAL_API_BASE
    bot_timezone: str = "Asia/Ho_Chi_Minh"
    default_language: str = "vi"
    admin_ids: Annotated[list[int], NoDecode] = Field(default_factory=list)
    redis_url: str | None = None
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    webhook_host: str = "0.0.0.0"
    webhook_port: int = 8080
    content_dir: Path = Field(default_factory=lambda: _project_dir("content"))
    quizzes_dir: Path = Field(default_factory=lambda: _project_dir("quizzes"))
    log_level: str = "INFO"

    quiz_retake_cooldown_minutes: int = Field(default=0, ge=0)
    # Participation tiers: a unit's scorecard (0-100) at or above each threshold, best first.
    scorecard_thresholds: Annotated[list[int], NoDecode] = Field(
        default_factory=lambda: [80, 60, 40]
    )
    monthly_reports: bool = True
    broadcast_rate: float = Field(default=25.0, gt=0, le=30)
    broadcast_paid: bool = False
    broadcast_paid_rate: float = Field(default=1000.0, gt=0, le=1000)
    broadcast_concurrency: int = Field(default=8, ge=1, le=64)
    reminder_quiet_hours: str = "21:00-07:00"
    reminder_misfire_grace_seconds: int = Field(default=3600, ge=1)
    # Vietnamese public holidays as MM-DD (fixed dates) or YYYY-MM-DD (lunar ones, per year).
    holidays: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["01-01", "04-30", "05-01", "09-02"]
    )
    # Personal data: kept this many days after a person's last membership ends (a daily purge).
    retention_days: int = Field(default=365, ge=1, le=36500)
    # The secret behind the pseudonyms that replace an erased person's Telegram id; if unset,
    # one is generated once and stored in the database (a warning says so at start).
    pseudonym_key: SecretStr | None = None
    # Who to contact about personal data (e.g. "Phòng CNTT, 024 1234 5678"), shown in the notice.
    privacy_contact: str = Field(default="", max_length=200)

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        if isinstance(value, int):
            return [value]
        if isinstance(value, str):
            return [int(part) for part in re.split(r"[,\s]+", value.strip()) if part]
        return value

    @field_validator("scorecard_thresholds", mode="before")
    @classmethod
    def _split_thresholds(cls, value: object) -> object:
        if isinstance(value, str):
            return [int(part) for part in re.split(r"[,\s]+", value.strip()) if part]
        return value

    @field_validator("holidays", mode="before")
    @classmethod
    def _split_holidays(cls, value: object) -> object:
        if isinstance(value, str):
            return [part for part in re.split(r"[,\s]+", value.strip()) if part]
        return value

    @field_validator("default_language")
    @classmethod
    def _known_language(cls, value: str) -> str:
        if value not in SUPPORTED_LANGUAGES:
            raise ValueError(f"must be one of {', '.join(SUPPORTED_LANGUAGES)}")
        return value

    @field_validator("bot_timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("webhook_secret")
    @classmethod
    def _secret_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not SECRET_PATTERN.match(value.get_secret_value()):
            raise ValueError("must be 1-256 characters of A-Z, a-z, 0-9, _ and -")
        return value

    @cached_property
    def timezone(self) -> ZoneInfo:
        return ZoneInfo(self.bot_timezone)

    def token(self) -> str:
        """The bot token, or a `ConfigError` telling the person what to set."""
        if self.bot_token is None or not self.bot_token.get_secret_value().strip():
            raise ConfigError(
                "BOT_TOKEN is not set: get one from @BotFather and put it in .env or the "
                "environment (or try `canhgiac sandbox`, which needs no token)."
            )
        token = self.bot_token.get_secret_value().strip()
        if not TOKEN_PATTERN.match(token):
            raise ConfigError(
                "BOT_TOKEN is malformed: expected digits, a colon and the secret part, "
                "as @BotFather gives it."
            )
        return token


class ConfigError(Exception):
    """A setting is missing or wrong; the message is one line meant for a person."""
