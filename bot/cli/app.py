"""The `canhgiac` command: run the bot, the offline sandbox, migrations and admin tools."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from pathlib import Path
from typing import Annotated, Any

import typer

from bot import __version__
from bot.cli.common import FAILED, OPTIONS, fail, load_settings
from bot.logging_setup import setup_logging
from bot.settings import ConfigError

app = typer.Typer(
    name="canhgiac",
    help="Cảnh Giác: security-awareness outreach bot (Directive 07/CT-BCA-V28).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database migrations.", no_args_is_help=True)
app.add_typer(db_app, name="db")


def run_async(coroutine: Coroutine[Any, Any, Any]) -> Any:
    """Run a coroutine; known start-up problems become one line and a non-zero exit."""
    from bot.domain.content import ContentError
    from bot.runtime import StartupError

    try:
        return asyncio.run(coroutine)
    except (ConfigError, StartupError) as exc:
        fail(str(exc), FAILED)
    except ContentError as exc:
        fail(f"{str(exc).splitlines()[-1]} (run `canhgiac content check` for all problems)", FAILED)
    except KeyboardInterrupt:
        raise typer.Exit(130) from None


def _version(value: bool) -> None:
    if value:
        typer.echo(f"canhgiac {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
    env_file: Annotated[
        Path | None,
        typer.Option(
            "--env-file",
            envvar="CANHGIAC_ENV_FILE",
            help="Settings file to read (default: .env in the working folder, else in the "
            "project folder). On a systemd host: the service's EnvironmentFile.",
        ),
    ] = None,
    verbose: Annotated[
        bool,
        typer.Option(
            "--verbose", "-v", help="Say which settings file, home folder and database are used."
        ),
    ] = False,
) -> None:
    """Cảnh Giác.

    Relative paths in the settings (a SQLite DATABASE_URL, CONTENT_DIR, QUIZZES_DIR) are read
    against CANHGIAC_HOME, by default the folder of the settings file.
    """
    OPTIONS.env_file = env_file
    OPTIONS.verbose = verbose


@app.command()
def run() -> None:
    """Run the bot: long polling, or a webhook server when WEBHOOK_URL is set."""
    from bot.runtime import serve

    settings = load_settings(FAILED)
    setup_logging(settings.log_level, secrets=settings.secret_values())
    try:
        settings.token()
    except ConfigError as exc:
        fail(str(exc), FAILED)
    run_async(serve(settings))


@app.command()
def sandbox(
    script: Annotated[
        Path | None, typer.Option(help="Replay the lines of FILE and print the transcript.")
    ] = None,
    files: Annotated[
        Path,
        typer.Option(
            "--files", help="Folder for the files the bot sends (reports, charts, QR codes)."
        ),
    ] = Path("sandbox-files"),
) -> None:
    """Chat with the bot offline: no token, a local Bot API emulator, a throw-away database.

    Toasts and alerts are printed, files the bot sends are saved, several people and a group
    chat take part (type /who once it runs).
    """
    from bot.sandbox import run_sandbox

    settings = load_settings(FAILED)
    if OPTIONS.verbose:
        typer.echo("The sandbox uses a throw-away SQLite database of its own.", err=True)
    setup_logging("WARNING", secrets=settings.secret_values())
    lines = None
    if script is not None:
        if not script.is_file():
            fail(f"script not found: {script}")
        lines = script.read_text(encoding="utf-8").splitlines()
    run_async(run_sandbox(settings, script=lines, files=files))


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument(help="Target revision.")] = "heads") -> None:
    """Apply migrations up to REVISION (default: the newest)."""
    from bot.runtime import open_storage
    from bot.storage import migrate

    settings = load_settings(FAILED)
    if settings.database_file is not None and not settings.database_file.exists():
        typer.echo(f"Creating the database {settings.database_file}.")

    async def _upgrade() -> None:
        storage = await open_storage(settings, upgrade=False)
        try:
            await migrate.upgrade(storage.engine, revision)
        finally:
            await storage.engine.dispose()

    run_async(_upgrade())
    typer.echo(f"Database upgraded to {revision}.")


def _mount(module: str, name: str) -> None:
    """Mount a feature's sub-command group (imported here so `--help` stays fast to write)."""
    import importlib

    app.add_typer(importlib.import_module(module).app, name=name)


for _module, _name in (
    ("bot.cli.i18n", "i18n"),
    ("bot.cli.quizzes", "quizzes"),
    ("bot.cli.content", "content"),
    ("bot.cli.reminders", "reminders"),
    ("bot.cli.units", "units"),
    ("bot.cli.invite", "invite"),
    ("bot.cli.stats", "stats"),
    ("bot.cli.demo", "demo"),
    ("bot.cli.broadcast", "broadcast"),
    ("bot.cli.privacy", "privacy"),
):
    _mount(_module, _name)

from bot.cli import grants as _grants  # noqa: E402  (after `app` exists)

_grants.register(app)


def main() -> None:
    logging.captureWarnings(True)
    app()
