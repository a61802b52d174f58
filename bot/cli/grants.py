"""`canhgiac grant` and `canhgiac revoke`: give or end a person's role in a unit.

A role holds for the unit and everything below it. The person is named by their Telegram id or
by the @username of someone who has opened the bot. Admins are not granted here: they are the
Telegram ids in ADMIN_IDS.
"""

from __future__ import annotations

from typing import Annotated

import typer
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.cli.common import fail, load_settings, with_session
from bot.services import grants
from bot.storage.models import Role

ROLE_NAMES = ", ".join(role.value for role in grants.GRANTABLE)
PERSON_HELP = "The person's Telegram id, or @username of someone who has opened the bot."


def _person_id(text: str) -> int | None:
    """A numeric id as given; None for a @username (looked up in the database)."""
    raw = text.strip()
    if raw.lstrip("-").isdigit():
        return int(raw)
    if not raw.lstrip("@"):
        fail("give the person's Telegram id or @username")
    return None


def _who(person: str, user_id: int) -> str:
    """How the output names the person: as given, with the id a username stands for."""
    if _person_id(person) is not None:
        return str(user_id)
    return f"@{person.strip().lstrip('@')} ({user_id})"


async def _resolve(session: AsyncSession, person: str) -> int:
    known = _person_id(person)
    if known is not None:
        return known
    try:
        return await grants.person_by_username(session, person)
    except grants.UnknownPerson as exc:
        fail(str(exc))


def _role(value: str) -> Role:
    try:
        role = Role(value.strip().lower())
    except ValueError:
        fail(f"unknown role {value!r}: use {ROLE_NAMES}")
    if role not in grants.GRANTABLE:
        fail(f"grant {ROLE_NAMES}; admins are set with ADMIN_IDS")
    return role


def grant(
    person: Annotated[str, typer.Argument(help=PERSON_HELP, metavar="USER_ID|@USERNAME")],
    unit: Annotated[str, typer.Option("--unit", help="Code of the unit.")],
    role: Annotated[str, typer.Option("--role", help=f"One of {ROLE_NAMES}.")],
) -> None:
    """Give a person a role in a unit (and so in every unit below it)."""
    wanted = _role(role)
    _person_id(person)
    settings = load_settings()

    async def work(session: AsyncSession) -> tuple[int, grants.GrantResult]:
        user_id = await _resolve(session, person)
        return user_id, await grants.grant(session, user_id=user_id, unit_code=unit, role=wanted)

    try:
        user_id, result = with_session(settings, work)
    except grants.UnknownUnit as exc:
        fail(str(exc))
    who = _who(person, user_id)
    where = f"{result.unit.name} ({result.unit.code})"
    if result.status is grants.GrantStatus.ALREADY:
        typer.echo(f"{who} is already {wanted.value} in {where}.")
        return
    typer.echo(f"{who} is now {wanted.value} in {where}.")
    if not result.known_user:
        typer.echo("Note: this person has not opened the bot yet; the role applies once they do.")


def revoke(
    person: Annotated[str, typer.Argument(help=PERSON_HELP, metavar="USER_ID|@USERNAME")],
    unit: Annotated[str, typer.Option("--unit", help="Code of the unit.")],
    role: Annotated[
        str | None, typer.Option("--role", help="Only this role (default: every role there).")
    ] = None,
) -> None:
    """End a person's role (or all their roles) in a unit."""
    wanted = _role(role) if role else None
    _person_id(person)
    settings = load_settings()

    async def work(session: AsyncSession) -> tuple[int, list[Role]]:
        user_id = await _resolve(session, person)
        return user_id, await grants.revoke(session, user_id=user_id, unit_code=unit, role=wanted)

    try:
        user_id, ended = with_session(settings, work)
    except grants.UnknownUnit as exc:
        fail(str(exc))
    who = _who(person, user_id)
    if not ended:
        typer.echo(f"{who} held no such role in {unit.strip().upper()}; nothing changed.")
        raise typer.Exit(1)
    typer.echo(f"Ended: {', '.join(r.value for r in ended)} for {who} in {unit.strip().upper()}.")


def register(app: typer.Typer) -> None:
    """Add `grant` and `revoke` as top-level commands of the `canhgiac` app."""
    app.command("grant")(grant)
    app.command("revoke")(revoke)
