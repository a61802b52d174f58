"""Invite codes: creating one (a deep link `https://t.me/<bot>?start=<CODE>` and its QR code),
listing them, revoking one.

Admins invite anywhere; officers invite into the units of their scope, as learner, trainer or
officer, and list and revoke the invites of those units. A link opened by someone new first
shows the consent notice; the code waits until they agree (see the `/start` router). A revoked
invite has no use left, so redeeming it is refused like any used-up invite.
"""

from __future__ import annotations

import io
import secrets
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

import segno
from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.services.access import Access
from bot.services.grants import GRANTABLE, check_scope, in_scope, scope_roots
from bot.services.units import load_tree
from bot.storage.models import InviteCode, Role, Unit
from bot.storage.units import invite_by_code

# No 0/O, 1/I/L: codes are sometimes typed from paper.
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8
TELEGRAM_LINK = "https://t.me/{username}?start={code}"


@dataclass(frozen=True)
class Invite:
    code: str
    unit: Unit
    role: Role
    uses_left: int | None
    expires_at: datetime | None

    def link(self, bot_username: str) -> str:
        return deep_link(bot_username, self.code)


def deep_link(bot_username: str, code: str) -> str:
    return TELEGRAM_LINK.format(username=bot_username.lstrip("@"), code=code)


def qr_png(link: str, *, scale: int = 8) -> bytes:
    """A QR code of the link, as PNG bytes (quiet zone included, so it scans from paper)."""
    buffer = io.BytesIO()
    segno.make(link, error="m").save(buffer, kind="png", scale=scale, border=4)
    return buffer.getvalue()


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


async def create_invite(
    session: AsyncSession,
    *,
    access: Access,
    unit_id: int,
    role: Role,
    uses: int | None = None,
    expires_at: datetime | None = None,
) -> Invite:
    """A fresh invite into a unit; raises `ScopeError` outside the creator's scope. Commits."""
    if role not in GRANTABLE:
        raise ValueError("invites give the role learner, trainer or officer")
    if uses is not None and uses < 1:
        raise ValueError("uses must be at least 1")
    tree = await load_tree(session)
    check_scope(tree, access, unit_id, Role.OFFICER)
    unit = await session.get(Unit, unit_id)
    assert unit is not None
    code = new_code()
    while await invite_by_code(session, code) is not None:
        code = new_code()
    session.add(
        InviteCode(
            code=code,
            unit_id=unit_id,
            role=role.value,
            uses_left=uses,
            expires_at=expires_at,
            created_by=access.user_id or None,
        )
    )
    await session.commit()
    return Invite(code, unit, role, uses, expires_at)


class InviteState(StrEnum):
    OPEN = "open"
    EXPIRED = "expired"
    USED_UP = "used_up"  # every use taken, or revoked


@dataclass(frozen=True)
class InviteEntry:
    """One invite as a list shows it."""

    code: str
    unit: Unit
    role: Role
    uses_left: int | None
    expires_at: datetime | None
    created_at: datetime
    state: InviteState


class UnknownInvite(LookupError):
    def __init__(self, code: str) -> None:
        super().__init__(f"no invite with code {code}")
        self.code = code


def _state(invite: InviteCode, now: datetime) -> InviteState:
    if invite.uses_left is not None and invite.uses_left <= 0:
        return InviteState.USED_UP
    if invite.expires_at is not None and invite.expires_at <= now:
        return InviteState.EXPIRED
    return InviteState.OPEN


async def list_invites(
    session: AsyncSession, *, access: Access, now: datetime, unit_id: int | None = None
) -> list[InviteEntry]:
    """The invites of a unit and its subtree (default: of every unit in the user's scope),
    by unit code, newest first; raises `ScopeError` for a unit outside the scope."""
    tree = await load_tree(session)
    if unit_id is not None:
        check_scope(tree, access, unit_id, Role.OFFICER)
        roots = [unit_id]
    else:
        roots = scope_roots(tree, access, Role.OFFICER)
    units = {descendant for root in roots for descendant in tree.descendants(root)}
    if not units:
        return []
    statement = (
        select(InviteCode, Unit)
        .join(Unit, col(Unit.id) == InviteCode.unit_id)
        .where(col(InviteCode.unit_id).in_(units))
        .order_by(col(Unit.code), col(InviteCode.created_at).desc(), col(InviteCode.id).desc())
    )
    return [
        InviteEntry(
            invite.code,
            unit,
            Role(invite.role),
            invite.uses_left,
            invite.expires_at,
            invite.created_at,
            _state(invite, now),
        )
        for invite, unit in (await session.exec(statement)).all()
    ]


async def revoke_invite(session: AsyncSession, *, access: Access, code: str) -> InviteEntry:
    """Take every use left of an invite, so nobody can redeem it any more; commits. Raises
    `UnknownInvite`, or `ScopeError` when its unit is outside the user's scope (an officer
    cannot learn that another unit's code exists)."""
    wanted = code.strip().upper()
    invite = await invite_by_code(session, wanted)
    if invite is None or invite.id is None:
        raise UnknownInvite(wanted)
    tree = await load_tree(session)
    if not in_scope(tree, access, invite.unit_id, Role.OFFICER):
        raise UnknownInvite(wanted)
    await session.exec(
        update(InviteCode).where(col(InviteCode.id) == invite.id).values(uses_left=0)
    )
    await session.commit()
    unit = await session.get(Unit, invite.unit_id)
    assert unit is not None
    return InviteEntry(
        invite.code,
        unit,
        Role(invite.role),
        0,
        invite.expires_at,
        invite.created_at,
        InviteState.USED_UP,
    )
