"""Typed settings, read from the environment and a `.env` file.

Relative paths in the settings (a SQLite `DATABASE_URL`, `CONTENT_DIR`, `QUIZZES_DIR`) are read
against one home folder, never the working folder, so every command finds the same database
wherever it is started:

- the settings file is the one given (`canhgiac --env-file PATH`), else `.env` in the working
  folder, else `.env` in the project folder of a source checkout;
- the home is `CANHGIAC_HOME` (from the environment or that file), else the folder of the
  settings file, else the project folder of a source checkout, else the working folder.
"""

from __future__ import annotations

import re
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, PrivateAttr, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import make_url

from bot.domain.schedules import Holidays

PROJECT_ROOT = Path(__file__).resolve().parent.parent
OFFICIAL_API_BASE = "https://api.telegram.org"
TOKEN_PATTERN = re.compile(r"^\d{3,20}:[A-Za-z0-9_-]{20,100}$")
SECRET_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
SUPPORTED_LANGUAGES = ("vi", "en")
DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///data/canhgiac.db"
ENV_FILE_NAME = ".env"
_FIND = object()  # `_env_file` not given: look for the settings file


def is_source_checkout(folder: Path) -> bool:
    """True when the package runs from a project folder (a clone, installed editable)."""
    return (folder / "pyproject.toml").is_file() and (folder / "bot" / "settings.py").is_file()


def find_env_file(cwd: Path | None = None) -> Path | None:
    """`.env` in the working folder, else in the project folder of a source checkout."""
    candidates = [(cwd or Path.cwd()) / ENV_FILE_NAME]
    if is_source_checkout(PROJECT_ROOT):
        candidates.append(PROJECT_ROOT / ENV_FILE_NAME)
    return next((path.resolve() for path in candidates if path.is_file()), None)


def find_home(explicit: Path | None, env_file: Path | None) -> Path:
    """The folder relative settings are read against (see the module's docstring)."""
    if explicit is not None:
        return explicit.expanduser().resolve()
    if env_file is not None:
        return env_file.resolve().parent
    if is_source_checkout(PROJECT_ROOT):
        return PROJECT_ROOT
    return Path.cwd().resolve()


def sqlite_file(url: str) -> Path | None:
    """The database file of a SQLite URL (None: not SQLite, or in memory)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def resolve_database_url(url: str, home: Path) -> str:
    """A SQLite URL with a relative file made absolute under `home`; other URLs unchanged."""
    database = sqlite_file(url)
    if database is None or database.is_absolute() or str(database).startswith("file:"):
        return url
    parsed = make_url(url).set(database=str(home / database))
    return parsed.render_as_string(hide_password=False)


class Settings(BaseSettings):
    """Every knob of the bot in one place. Field names map to upper-case variables."""

    model_config = SettingsConfigDict(env_file=None, env_file_encoding="utf-8", extra="ignore")

    canhgiac_home: Path | None = None
    bot_token: SecretStr | None = None
    database_url: str = DEFAULT_DATABASE_URL
    telegram_api_base: str = OFFICIAL_API_BASE
    bot_timezone: str = "Asia/Ho_Chi_Minh"
    default_language: str = "vi"
    admin_ids: Annotated[list[int], NoDecode] = Field(default_factory=list)
    redis_url: str | None = None
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    webhook_host: str = "0.0.0.0"
    webhook_port: int = 8080
    content_dir: Path = Path("content")
    quizzes_dir: Path = Path("quizzes")
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
    # Reminders skip the public holidays of this calendar (a country code; "off" for none),
    # plus HOLIDAYS (MM-DD every year, YYYY-MM-DD once; "-" before a day removes it), minus
    # HOLIDAYS_EXCLUDE.
    holiday_calendar: str = "VN"
    holidays: Annotated[list[str], NoDecode] = Field(default_factory=list)
    holidays_exclude: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # Personal data: kept this many days after a person's last membership ends (a daily purge).
    retention_days: int = Field(default=365, ge=1, le=36500)
    # The secret behind the pseudonyms that replace an erased person's Telegram id; if unset,
    # one is generated once and stored in the database (a warning says so at start).
    pseudonym_key: SecretStr | None = None
    # Who to contact about personal data (e.g. "Phòng CNTT, 024 1234 5678"), shown in the notice.
    privacy_contact: str = Field(default="", max_length=200)

    _env_path: Path | None = PrivateAttr(default=None)
    _home: Path = PrivateAttr(default_factory=Path.cwd)

    def __init__(self, **values: Any) -> None:
        env_file = values.pop("_env_file", _FIND)
        if env_file is _FIND:
            env_file = find_env_file()
        super().__init__(_env_file=env_file, **values)
        self._env_path = Path(env_file).resolve() if isinstance(env_file, str | Path) else None
        self._home = find_home(self.canhgiac_home, self._env_path)
        self.database_url = resolve_database_url(self.database_url, self._home)
        self.content_dir = self._home / self.content_dir.expanduser()
        self.quizzes_dir = self._home / self.quizzes_dir.expanduser()

    @property
    def home(self) -> Path:
        """The folder relative paths in the settings are read against."""
        return self._home

    @property
    def env_file(self) -> Path | None:
        """The settings file read, if any."""
        return self._env_path

    @property
    def database_file(self) -> Path | None:
        """The SQLite database file (None for PostgreSQL or an in-memory database)."""
        return sqlite_file(self.database_url)

    def database_label(self) -> str:
        """The database URL to show a person: the password hidden."""
        return make_url(self.database_url).render_as_string(hide_password=True)

    @field_validator("canhgiac_home", mode="before")
    @classmethod
    def _blank_home(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

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

    @field_validator("holidays", "holidays_exclude", mode="before")
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

    def holiday_rules(self) -> Holidays:
        """The days reminders skip; raises `ScheduleError` naming a bad entry."""
        from bot.holiday_calendar import calendar_for

        return Holidays.parse(
            self.holidays,
            exclude=self.holidays_exclude,
            calendar=calendar_for(self.holiday_calendar),
        )

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

    def secret_values(self) -> list[str]:
        """What no log line may show: the bot token, the webhook secret, the pseudonym key and the
        database password."""
        from sqlalchemy.engine import make_url

        values = [
            s.get_secret_value()
            for s in (self.bot_token, self.webhook_secret, self.pseudonym_key)
            if s
        ]
        try:
            password = make_url(self.database_url).password
        except ValueError:
            password = None
        if password:
            values.append(str(password))
        return values


class ConfigError(Exception):
    """A setting is missing or wrong; the message is one line meant for a person."""
