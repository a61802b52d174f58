"""What the command groups share: errors as one line, the settings, a database session.

Exit codes: 2 for input or settings that cannot be used, 1 when the work itself failed (and
for every reason the bot cannot start: service managers read 1 as "failed to start").

Only the commands that build a database from nothing (`db upgrade`, `units import`,
`demo seed`, `run`) may create a SQLite file; every other command refuses a missing one, so a
command started with the wrong settings says so instead of answering from an empty database.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn, TypeVar

import typer
from pydantic import ValidationError
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.logging_setup import install_scrubbing
from bot.services.access import Access
from bot.settings import ConfigError, Settings

if TYPE_CHECKING:
    from bot.runtime import Storage

UNUSABLE = 2
FAILED = 1
# Whoever runs the command line administers the whole installation.
OPERATOR = Access(user_id=0, is_admin=True)
T = TypeVar("T")


def fail(message: str, code: int = UNUSABLE) -> NoReturn:
    typer.echo(f"Error: {message}", err=True)
    raise typer.Exit(code)


@dataclass
class Options:
    """The options of `canhgiac` itself, given before the command."""

    env_file: Path | None = None
    verbose: bool = False


OPTIONS = Options()


def load_settings(code: int = UNUSABLE) -> Settings:
    """The settings from the environment and the settings file; a bad value ends the command.

    With `--verbose`, says which file, home and database they name. From here on every log
    record is scrubbed of the secrets they hold, also in commands that set up no logging of
    their own (Python then prints warnings and tracebacks as they come).
    """
    if OPTIONS.env_file is not None and not OPTIONS.env_file.is_file():
        fail(f"--env-file {OPTIONS.env_file}: no such file", code)
    try:
        if OPTIONS.env_file is not None:
            settings = Settings(_env_file=OPTIONS.env_file)
        else:
            settings = Settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        name = str(first["loc"][0]).upper() if first["loc"] else "settings"
        fail(f"{name} is invalid: {first['msg']}", code)
    if OPTIONS.verbose:
        source = settings.env_file or "none (environment only)"
        typer.echo(f"Settings file: {source}", err=True)
        typer.echo(f"Home: {settings.home}", err=True)
        typer.echo(f"Database: {settings.database_label()}", err=True)
    install_scrubbing(settings.secret_values())
    return settings


def missing_database(settings: Settings) -> str | None:
    """Why the command may not run when its SQLite database does not exist yet; else None."""
    path = settings.database_file
    if path is None or path.exists():
        return None
    return (
        f"no database at {path}: set DATABASE_URL (or CANHGIAC_HOME) to the bot's database, "
        "or name its settings file with `canhgiac --env-file PATH …`"
    )


def require_database(settings: Settings) -> None:
    """End the command when its SQLite database does not exist (nothing is created)."""
    if problem := missing_database(settings):
        fail(problem)


@asynccontextmanager
async def opened(settings: Settings, *, create: bool = False) -> AsyncIterator[Storage]:
    """The database, migrated; a missing SQLite file is an error unless `create`."""
    from bot.runtime import open_storage

    if not create:
        require_database(settings)
    storage = await open_storage(settings)
    try:
        yield storage
    finally:
        await storage.engine.dispose()


def with_session(
    settings: Settings, work: Callable[[AsyncSession], Awaitable[T]], *, create: bool = False
) -> T:
    """Open the database (migrating it), run `work` in one session, close everything. A
    missing SQLite database is refused unless `create` (see the module's docstring)."""
    from bot.runtime import StartupError

    async def run() -> T:
        async with opened(settings, create=create) as storage, storage.sessionmaker() as session:
            return await work(session)

    try:
        return asyncio.run(run())
    except (ConfigError, StartupError) as exc:
        fail(str(exc))
    except KeyboardInterrupt:
        raise typer.Exit(130) from None
