"""What the command groups share: errors as one line, the settings, a database session.

Exit codes: 2 for input or settings that cannot be used, 1 when the work itself failed (and
for every reason the bot cannot start: service managers read 1 as "failed to start").
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import NoReturn, TypeVar

import typer
from pydantic import ValidationError
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.logging_setup import install_scrubbing
from bot.services.access import Access
from bot.settings import ConfigError, Settings

UNUSABLE = 2
FAILED = 1
# Whoever runs the command line administers the whole installation.
OPERATOR = Access(user_id=0, is_admin=True)
T = TypeVar("T")


def fail(message: str, code: int = UNUSABLE) -> NoReturn:
    typer.echo(f"Error: {message}", err=True)
    raise typer.Exit(code)


def load_settings(code: int = UNUSABLE) -> Settings:
    """The settings from the environment and `.env`; a bad value ends the command.

    From here on every log record is scrubbed of the secrets they hold, also in commands that
    set up no logging of their own (Python then prints warnings and tracebacks as they come).
    """
    try:
        settings = Settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        name = str(first["loc"][0]).upper() if first["loc"] else "settings"
        fail(f"{name} is invalid: {first['msg']}", code)
    install_scrubbing(settings.secret_values())
    return settings


def with_session(settings: Settings, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Open the database (migrating it), run `work` in one session, close everything."""
    from bot.runtime import StartupError, open_storage

    async def run() -> T:
        storage = await open_storage(settings)
        try:
            async with storage.sessionmaker() as session:
                return await work(session)
        finally:
            await storage.engine.dispose()

    try:
        return asyncio.run(run())
    except (ConfigError, StartupError) as exc:
        fail(str(exc))
    except KeyboardInterrupt:
        raise typer.Exit(130) from None
