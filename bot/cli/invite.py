"""`canhgiac invite create`: an invite code, its deep link and a QR code PNG.

The link needs the bot's username: give it with `--bot-username`, or set BOT_TOKEN and the
command asks Telegram (`getMe`, through TELEGRAM_API_BASE).
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Annotated

import typer
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.cli.common import OPERATOR, fail, load_settings, with_session
from bot.domain.periods import PeriodError, local_midnight, parse_date
from bot.services.grants import GRANTABLE
from bot.services.invites import Invite, create_invite, qr_png
from bot.services.units import load_tree
from bot.settings import ConfigError, Settings
from bot.storage.models import Role

app = typer.Typer(
    help="Invite codes: deep links and QR codes that enrol people into a unit.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
ROLE_NAMES = ", ".join(role.value for role in GRANTABLE)


async def _username(settings: Settings) -> str:
    from bot.telegram.dispatcher import create_bot

    bot = create_bot(settings)
    try:
        me = await bot.get_me()
    finally:
        await bot.session.close()
    if not me.username:
        raise ConfigError("Telegram returned no username for this bot")
    return me.username


def bot_username(settings: Settings, given: str | None) -> str:
    if given:
        return given.lstrip("@")
    try:
        settings.token()
    except ConfigError:
        fail("give the bot's username with --bot-username, or set BOT_TOKEN to ask Telegram")
    import asyncio

    try:
        return asyncio.run(_username(settings))
    except Exception as exc:  # any failure to reach Telegram ends here, as one line
        fail(
            f"could not ask Telegram for the bot's username ({exc.__class__.__name__}): "
            "use --bot-username"
        )


@app.command("create")
def create(
    unit: Annotated[str, typer.Option("--unit", help="Code of the unit to join.")],
    role: Annotated[str, typer.Option("--role", help=f"Role given: {ROLE_NAMES}.")] = "learner",
    uses: Annotated[
        int | None, typer.Option("--uses", min=1, help="How many people may use it (default: any).")
    ] = None,
    expires: Annotated[
        str | None,
        typer.Option("--expires", help="Last day it works, dd/mm/yyyy (default: never expires)."),
    ] = None,
    username: Annotated[
        str | None,
        typer.Option("--bot-username", help="The bot's @username (default: asked via BOT_TOKEN)."),
    ] = None,
    qr: Annotated[
        Path | None,
        typer.Option("--qr", help="Where to write the QR code (default: invite-CODE.png)."),
    ] = None,
) -> None:
    """Create an invite code; print its link and write its QR code."""
    settings = load_settings()
    try:
        wanted = Role(role.strip().lower())
    except ValueError:
        fail(f"unknown role {role!r}: use {ROLE_NAMES}")
    if wanted not in GRANTABLE:
        fail(f"an invite gives {ROLE_NAMES}; admins are set with ADMIN_IDS")
    expires_at = None
    if expires:
        try:
            last_day = parse_date(expires)
        except PeriodError as exc:
            fail(str(exc))
        expires_at = local_midnight(last_day + timedelta(days=1), settings.timezone)
    name = bot_username(settings, username)

    async def make(session: AsyncSession) -> Invite:
        node = (await load_tree(session)).find(unit)
        if node is None:
            fail(f"no unit with code {unit.strip().upper()}")
        return await create_invite(
            session,
            access=OPERATOR,
            unit_id=node.id,
            role=wanted,
            uses=uses,
            expires_at=expires_at,
        )

    invite = with_session(settings, make)
    link = invite.link(name)
    target = qr or Path(f"invite-{invite.code}.png")
    try:
        target.write_bytes(qr_png(link))
    except OSError as exc:
        fail(f"cannot write {target}: {exc.strerror}")
    typer.echo(f"Code {invite.code}: {invite.unit.name} ({invite.unit.code}), role {wanted.value}.")
    typer.echo(link)
    typer.echo(f"QR code written to {target}.")
