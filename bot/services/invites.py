"""Creating invite codes: a deep link `https://t.me/<bot>?start=<CODE>` and its QR code.

Admins invite anywhere; officers invite into the units of their scope, as learner, trainer or
officer. A link opened by someone new first shows the consent notice; the code waits until
they agree (see the `/start` router).
"""

from __future__ import annotations

import io
import secrets
from dataclasses import dataclass
from datetime import datetime

import segno
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.services.access import Access
from bot.services.grants import GRANTABLE, check_scope
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
