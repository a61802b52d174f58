"""`canhgiac grant` and `canhgiac revoke`: give or end a person's role in a unit.

A role holds for the unit and everything below it. Admins are not granted here: they are the
Telegram ids in ADMIN_IDS.
"""

from __future__ import annotations

from typing import Annotated

import typer

from bot.cli.common import fail, load_settings, with_session
from bot.services import grants
from bot.storage.models import Role

ROLE_NAMES = ", ".join(role.value for role in grants.GRANTABLE)


def _role(value: str) -> Role:
    try:
        role = Role(value.strip().lower())
    except ValueError:
        fail(f"unknown role {value!r}: use {ROLE_NAMES}")
    if role not in grants.GRANTABLE:
        fail(f"grant {ROLE_NAMES}; admins are set with ADMIN_IDS")
    return role


def grant(
    user_id: Annotated[int, typer.Argument(help="The person's Telegram user id.")],
    unit: Annotated[str, typer.Option("--unit", help="Code of the unit.")],
    role: Annotated[str, typer.Option("--role", help=f"One of {ROLE_NAMES}.")],
) -> None:
    """Give a person a role in a unit (and so in every unit below it)."""
    wanted = _role(role)
    settings = load_settings()
    try:
        result = with_session(
            settings,
            lambda session: grants.grant(session, user_id=user_id, unit_code=unit, role=wanted),
        )
    except grants.UnknownUnit as exc:
        fail(str(exc))
    where = f"{result.unit.name} ({result.unit.code})"
    if result.status is grants.GrantStatus.ALREADY:
        typer.echo(f"{user_id} is already {wanted.value} in {where}.")
        return
    typer.echo(f"{user_id} is now {wanted.value} in {where}.")
    if not result.known_user:
        typer.echo("Note: this person has not opened the bot yet; the role applies once they do.")


def revoke(
    user_id: Annotated[int, typer.Argument(help="The person's Telegram user id.")],
    unit: Annotated[str, typer.Option("--unit", help="Code of the unit.")],
    role: Annotated[
        str | None, typer.Option("--role", help="Only this role (default: every role there).")
    ] = None,
) -> None:
    """End a person's role (or all their roles) in a unit."""
    wanted = _role(role) if role else None
    settings = load_settings()
    try:
        ended = with_session(
            settings,
            lambda session: grants.revoke(session, user_id=user_id, unit_code=unit, role=wanted),
        )
    except grants.UnknownUnit as exc:
        fail(str(exc))
    if not ended:
        typer.echo(f"{user_id} held no such role in {unit.strip().upper()}; nothing changed.")
        raise typer.Exit(1)
    typer.echo(
        f"Ended: {', '.join(r.value for r in ended)} for {user_id} in {unit.strip().upper()}."
    )


def register(app: typer.Typer) -> None:
    """Add `grant` and `revoke` as top-level commands of the `canhgiac` app."""
    app.command("grant")(grant)
    app.command("revoke")(revoke)
