"""Queries on units, memberships and invite codes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, or_, update
from sqlalchemy import select as sa_select
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.storage.database import dialect_of, insert_for
from bot.storage.models import ACTIVE_MEMBERSHIP, InviteCode, Membership, Unit

MEMBERSHIPS = Membership.__table__  # type: ignore[attr-defined]


async def unit_by_code(session: AsyncSession, code: str) -> Unit | None:
    return (await session.exec(select(Unit).where(Unit.code == code))).first()


async def invite_by_code(session: AsyncSession, code: str) -> InviteCode | None:
    return (await session.exec(select(InviteCode).where(InviteCode.code == code))).first()


async def take_invite_use(session: AsyncSession, invite_id: int, *, now: datetime) -> bool:
    """Spend one use of an invite that is not expired and not used up, in one conditional
    statement; False when it may not be used. Unlimited invites stay unlimited."""
    statement = (
        update(InviteCode)
        .where(
            col(InviteCode.id) == invite_id,
            or_(col(InviteCode.uses_left).is_(None), col(InviteCode.uses_left) > 0),
            or_(col(InviteCode.expires_at).is_(None), col(InviteCode.expires_at) > now),
        )
        .values(uses_left=InviteCode.uses_left - 1)  # type: ignore[operator]
    )
    result = await session.exec(statement)
    return bool(result.rowcount)


async def give_back_invite_use(session: AsyncSession, invite_id: int) -> None:
    """Undo `take_invite_use` inside the same transaction."""
    statement = (
        update(InviteCode)
        .where(col(InviteCode.id) == invite_id, col(InviteCode.uses_left).is_not(None))
        .values(uses_left=InviteCode.uses_left + 1)  # type: ignore[operator]
    )
    await session.exec(statement)


async def add_membership(
    session: AsyncSession, *, user_id: int, unit_id: int, role: str, since: datetime
) -> bool:
    """Start a membership unless the person holds that role in that unit already; True when
    it was added. Racing callers add it once (the partial unique index of active ones)."""
    statement = (
        insert_for(dialect_of(session))(MEMBERSHIPS)
        .values(user_id=user_id, unit_id=unit_id, role=role, since=since, until=None)
        .on_conflict_do_nothing(
            index_elements=["user_id", "unit_id", "role"], index_where=ACTIVE_MEMBERSHIP
        )
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
