"""Queries on units, memberships and invite codes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, update
from sqlalchemy import select as sa_select
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.storage.models import InviteCode, Membership, Unit

MEMBERSHIPS = Membership.__table__  # type: ignore[attr-defined]


async def unit_by_code(session: AsyncSession, code: str) -> Unit | None:
    return (await session.exec(select(Unit).where(Unit.code == code))).first()


async def invite_by_code(session: AsyncSession, code: str) -> InviteCode | None:
    return (await session.exec(select(InviteCode).where(InviteCode.code == code))).first()


async def take_invite_use(session: AsyncSession, invite: InviteCode) -> bool:
    """Spend one use of a limited invite atomically; False when none is left."""
    if invite.uses_left is None:
        return True
    statement = (
        update(InviteCode)
        .where(col(InviteCode.id) == invite.id, col(InviteCode.uses_left) > 0)
        .values(uses_left=InviteCode.uses_left - 1)  # type: ignore[operator]
    )
    result = await session.exec(statement)
    return bool(result.rowcount)


async def active_memberships(session: AsyncSession, user_id: int) -> list[tuple[Membership, Unit]]:
    statement = (
        select(Membership, Unit)
        .join(Unit, col(Unit.id) == Membership.unit_id)
        .where(Membership.user_id == user_id, col(Membership.until).is_(None))
        .order_by(col(Membership.since))
    )
    return [(m, u) for m, u in (await session.exec(statement)).all()]


_ACTIVE_UNITS = (
    sa_select(MEMBERSHIPS.c.unit_id)
    .where(MEMBERSHIPS.c.user_id == bindparam("person"), MEMBERSHIPS.c.until.is_(None))
    .order_by(MEMBERSHIPS.c.since)
)


async def active_unit_ids(session: AsyncSession, user_id: int) -> list[int]:
    """The units a person belongs to now, each once, the earliest joined first (every quiz
    answer asks, so a Core statement built once)."""
    connection = await session.connection()
    rows = await connection.execute(_ACTIVE_UNITS, {"person": user_id})
    return list(dict.fromkeys(unit_id for (unit_id,) in rows))


async def active_membership(
    session: AsyncSession, *, user_id: int, unit_id: int, role: str
) -> Membership | None:
    statement = select(Membership).where(
        Membership.user_id == user_id,
        Membership.unit_id == unit_id,
        Membership.role == role,
        col(Membership.until).is_(None),
    )
    return (await session.exec(statement)).first()


async def end_memberships(session: AsyncSession, *, user_id: int, at: datetime) -> None:
    statement = (
        update(Membership)
        .where(col(Membership.user_id) == user_id, col(Membership.until).is_(None))
        .values(until=at)
    )
    await session.exec(statement)
