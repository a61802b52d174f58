"""Enrolling a user into a unit with an invite code."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.storage import ledger
from bot.storage.clock import utcnow
from bot.storage.models import Role, Unit, User
from bot.storage.units import (
    active_membership,
    add_membership,
    give_back_invite_use,
    invite_by_code,
    take_invite_use,
)

INVITE_CODE_MAX = 32


class EnrollStatus(StrEnum):
    ENROLLED = "enrolled"
    ALREADY = "already"
    NOT_FOUND = "not_found"
    EXPIRED = "expired"
    USED_UP = "used_up"


@dataclass(frozen=True)
class EnrollResult:
    status: EnrollStatus
    unit: Unit | None = None
    role: Role | None = None


def normalise_code(raw: str) -> str:
    return raw.strip().upper()[:INVITE_CODE_MAX]


async def redeem_invite(
    session: AsyncSession, user: User, raw_code: str, *, now: datetime | None = None
) -> EnrollResult:
    """Redeem a code for a consenting user; commits on success.

    The use is taken and the membership added in one transaction, each by one conditional
    statement: the same code sent three times at once adds one membership and takes one use
    (a use taken by someone who turns out to be a member already is given back before the
    transaction ends, so nobody ever sees it taken). Nothing the caller holds is expired.
    """
    moment = now or utcnow()
    invite = await invite_by_code(session, normalise_code(raw_code))
    if invite is None or invite.id is None:
        return EnrollResult(EnrollStatus.NOT_FOUND)
    unit = await session.get(Unit, invite.unit_id)
    role = Role(invite.role)
    if unit is None:
        return EnrollResult(EnrollStatus.NOT_FOUND)
    if await active_membership(session, user_id=user.id, unit_id=invite.unit_id, role=role):
        return EnrollResult(EnrollStatus.ALREADY, unit, role)
    if not await take_invite_use(session, invite.id, now=moment):
        await session.commit()  # changed nothing; ends the transaction the UPDATE opened
        if invite.expires_at is not None and invite.expires_at <= moment:
            return EnrollResult(EnrollStatus.EXPIRED, unit, role)
        return EnrollResult(EnrollStatus.USED_UP, unit, role)
    added = await add_membership(
        session, user_id=user.id, unit_id=invite.unit_id, role=role.value, since=moment
    )
    if not added:
        await give_back_invite_use(session, invite.id)
        await session.commit()
        return EnrollResult(EnrollStatus.ALREADY, unit, role)
    await ledger.record(
        session,
        user_id=user.id,
        unit_ids=[invite.unit_id],
        kind=ledger.EventKind.ENROLLED,
        ref=role.value,
        key=f"enrolled:{user.id}:{role.value}:{int(moment.timestamp())}",
        at=moment,
    )
    await session.commit()
    return EnrollResult(EnrollStatus.ENROLLED, unit, role)
