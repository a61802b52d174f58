"""`canhgiac invite …`: create an invite code (its deep link and a QR code PNG), list, revoke.

The link needs the bot's username: give it with `--bot-username`, or set BOT_TOKEN and the
command asks Telegram (`getMe`, through TELEGRAM_API_BASE). Without either, the code is still
created and printed, without a link.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.cli.common import OPERATOR, fail, load_settings, require_database, with_session
from bot.domain.periods import PeriodError, local_day, local_midnight, parse_date
from bot.services.grants import GRANTABLE
from bot.services.invites import (
    Invite,
    InviteEntry,
    InviteState,
    UnknownInvite,
    create_invite,
    list_invites,
    qr_png,
    revoke_invite,
)
from bot.services.units import load_tree
from bot.settings import ConfigError, Settings
from bot.storage.clock import utcnow
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


def bot_username(settings: Settings, given: str | None) -> tuple[str | None, str | None]:
    """The bot's username, else None and why it is unknown (the invite is made all the same)."""
    if given:
        return given.lstrip("@"), None
    try:
        settings.token()
    except ConfigError:
        return None, "the bot's username is unknown: give --bot-username or set BOT_TOKEN"
    import asyncio

    try:
        return asyncio.run(_username(settings)), None
    except Exception as exc:  # any failure to reach Telegram ends here, as one line
        return None, (
            f"could not ask Telegram for the bot's username ({exc.__class__.__name__}): "
            "give --bot-username"
        )


def _expiry(text: str, settings: Settings) -> datetime:
    """The end of the last day an invite works, in UTC; a day already past is refused."""
    try:
        last_day = parse_date(text)
    except PeriodError as exc:
        fail(f"--expires: {exc}")
    today = local_day(utcnow(), settings.timezone)
    if last_day < today:
        fail(f"--expires {last_day:%d/%m/%Y} is in the past: give today or a later day")
    return local_midnight(last_day + timedelta(days=1), settings.timezone)


def _role(text: str) -> Role:
    try:
        wanted = Role(text.strip().lower())
    except ValueError:
        fail(f"unknown role {text!r}: use {ROLE_NAMES}")
    if wanted not in GRANTABLE:
        fail(f"an invite gives {ROLE_NAMES}; admins are set with ADMIN_IDS")
    return wanted


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
    """Create an invite code; print its link and write its QR code.

    Without the bot's username (no --bot-username, no BOT_TOKEN) the code is created and
    printed without a link: people join by sending /start CODE to the bot.
    """
    settings = load_settings()
    wanted = _role(role)
    expires_at = _expiry(expires, settings) if expires else None
    require_database(settings)
    name, unknown = bot_username(settings, username)

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
    typer.echo(f"Code {invite.code}: {invite.unit.name} ({invite.unit.code}), role {wanted.value}.")
    if name is None:
        typer.echo(f"Note: no link or QR code, {unknown}.")
        typer.echo(f"People join by sending /start {invite.code} to the bot.")
        return
    link = invite.link(name)
    target = qr or Path(f"invite-{invite.code}.png")
    try:
        target.write_bytes(qr_png(link))
    except OSError as exc:
        fail(f"cannot write {target}: {exc.strerror}")
    typer.echo(link)
    typer.echo(f"QR code written to {target.resolve()}.")


STATES = {
    InviteState.OPEN: "open",
    InviteState.EXPIRED: "expired",
    InviteState.USED_UP: "used up or revoked",
}


@app.command("list")
def list_command(
    unit: Annotated[
        str | None, typer.Option("--unit", help="Only this unit and the units below it.")
    ] = None,
) -> None:
    """List invite codes: unit, role, uses left, last day, state."""
    settings = load_settings()

    async def entries(session: AsyncSession) -> list[InviteEntry]:
        unit_id = None
        if unit is not None:
            node = (await load_tree(session)).find(unit)
            if node is None:
                fail(f"no unit with code {unit.strip().upper()}")
            unit_id = node.id
        return await list_invites(session, access=OPERATOR, now=utcnow(), unit_id=unit_id)

    found = with_session(settings, entries)
    if not found:
        typer.echo("No invites.")
        return
    for entry in found:
        uses = "any number of uses" if entry.uses_left is None else f"{entry.uses_left} uses left"
        last_day = "no end"
        if entry.expires_at is not None:
            # expires_at is the midnight after the last day the invite works
            end = local_day(entry.expires_at - timedelta(seconds=1), settings.timezone)
            last_day = f"until {end:%d/%m/%Y}"
        typer.echo(
            f"{entry.code}\t{entry.unit.code}\t{entry.role.value}\t{uses}\t{last_day}\t"
            f"{STATES[entry.state]}"
        )


@app.command("revoke")
def revoke(code: Annotated[str, typer.Argument(help="The invite code.")]) -> None:
    """Revoke an invite: nobody can join with it any more (people who joined stay)."""
    settings = load_settings()
    try:
        entry = with_session(
            settings, lambda session: revoke_invite(session, access=OPERATOR, code=code)
        )
    except UnknownInvite as exc:
        fail(str(exc))
    typer.echo(
        f"Invite {entry.code} revoked: nobody can join {entry.unit.name} ({entry.unit.code}) "
        "with it any more."
    )
