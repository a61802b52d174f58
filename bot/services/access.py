"""Who may do what: roles scoped to unit subtrees, admins from settings."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.storage.models import Role
from bot.storage.units import active_memberships

ROLE_RANK = {Role.LEARNER: 0, Role.TRAINER: 1, Role.OFFICER: 2, Role.ADMIN: 3}


@dataclass(frozen=True)
class Grant:
    unit_id: int
    unit_code: str
    unit_name: str
    role: Role


@dataclass(frozen=True)
class Access:
    """The roles a user holds right now."""

    user_id: int
    is_admin: bool = False
    grants: tuple[Grant, ...] = field(default_factory=tuple)

    @property
    def top_role(self) -> Role | None:
        if self.is_admin:
            return Role.ADMIN
        if not self.grants:
            return None
        return max((g.role for g in self.grants), key=ROLE_RANK.__getitem__)

    def has_role(self, role: Role) -> bool:
        top = self.top_role
        return top is not None and ROLE_RANK[top] >= ROLE_RANK[role]

    @property
    def unit_ids(self) -> tuple[int, ...]:
        return tuple(dict.fromkeys(g.unit_id for g in self.grants))


async def access_of(session: AsyncSession, user_id: int, *, admin_ids: list[int]) -> Access:
    grants = tuple(
        Grant(unit_id=unit.id, unit_code=unit.code, unit_name=unit.name, role=Role(m.role))
        for m, unit in await active_memberships(session, user_id)
        if unit.id is not None
    )
    return Access(user_id=user_id, is_admin=user_id in admin_ids, grants=grants)
