"""`canhgiac privacy`: answer a person's request made to the administrators (a copy of their
data, its erasure) and run the daily purge by hand."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.cli.common import fail, load_settings, with_session
from bot.services import privacy
from bot.storage.clock import utcnow

app = typer.Typer(help="Personal data: export, erase, purge.", no_args_is_help=True)


@app.command("export")
def export(
    user_id: Annotated[int, typer.Argument(help="The person's Telegram user id.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="The JSON file to write.")],
) -> None:
    """Everything held about a person, as the bot's own export gives it to them."""
    if user_id <= 0:
        fail("a Telegram user id is a positive number")
    settings = load_settings()
    document = with_session(settings, lambda session: privacy.export(session, user_id))
    output.write_bytes(document)
    typer.echo(f"Wrote {output} ({len(document)} bytes).")


@app.command("erase")
def erase(
    user_id: Annotated[int, typer.Argument(help="The person's Telegram user id.")],
    yes: Annotated[bool, typer.Option("--yes", help="Confirm: this cannot be undone.")] = False,
) -> None:
    """Erase a person as "Delete my data" does: consent withdrawn, personal fields and their
    own records deleted, the Telegram id replaced by a pseudonym in every kept row."""
    if user_id <= 0:
        fail("a Telegram user id is a positive number")
    if not yes:
        fail("erasing cannot be undone: add --yes")
    settings = load_settings()

    async def work(session: AsyncSession) -> None:
        key = await privacy.pseudonym_key(session, settings)
        await privacy.erase(session, user_id, key=key)

    with_session(settings, work)
    typer.echo(f"Erased {user_id}: their rows now carry a pseudonym.")


@app.command("purge")
def purge() -> None:
    """Run the daily purge now: first contacts without consent after 7 days, and people kept
    RETENTION_DAYS after their last membership."""
    settings = load_settings()

    async def work(session: AsyncSession) -> privacy.PurgeResult:
        key = await privacy.pseudonym_key(session, settings)
        return await privacy.purge(
            session, now=utcnow(), retention_days=settings.retention_days, key=key
        )

    result = with_session(settings, work)
    typer.echo(
        f"Deleted {result.first_contacts} first contact(s) without consent; "
        f"erased {result.erased} person(s) past {settings.retention_days} days."
    )
