"""Roles scoped to unit subtrees: checking a scope, granting and revoking roles.

A trainer or officer acts only inside the units they were granted and those units'
descendants; admins (ADMIN_IDS) act everywhere. Every privileged use case calls
`require_scope` itself, so a router that forgot a filter still cannot leak anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import func, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.services.access import ROLE_RANK, Access
from bot.services.units import UnitTree, load_tree, normalise_unit_code
from bot.storage.clock import utcnow
from bot.storage.models import Membership, Role, Unit, User
from bot.storage.units import add_membership, unit_by_code

GRANTABLE = (Role.LEARNER, Role.TRAINER, Role.OFFICER)


class ScopeError(Exception):
    """The user may not do this in this unit (or the unit does not exist)."""

    def __init__(self, unit_id: int | None, role: Role) -> None:
        super().__init__(f"role {role.value} needed in unit {unit_id}")
        self.unit_id = unit_id
        self.role = role


class UnknownUnit(LookupError):
    def __init__(self, code: str) -> None:
        super().__init__(f"no unit with code {code}")
        self.code = code


def in_scope(tree: UnitTree, access: Access, unit_id: int, role: Role = Role.OFFICER) -> bool:
    """True when the user holds `role` (or higher) on the unit or one of its ancestors."""
    if tree.get(unit_id) is None:
        return False
    if access.is_admin:
        return True
    chain = set(tree.ancestors(unit_id))
    return any(
        grant.unit_id in chain and ROLE_RANK[grant.role] >= ROLE_RANK[role]
        for grant in access.grants
    )


def check_scope(tree: UnitTree, access: Access, unit_id: int, role: Role = Role.OFFICER) -> None:
    if not in_scope(tree, access, unit_id, role):
        raise ScopeError(unit_id, role)


async def require_scope(
    session: AsyncSession, access: Access, unit_id: int, role: Role = Role.OFFICER
) -> UnitTree:
    """Raise `ScopeError` unless the user may act as `role` in the unit; returns the tree."""
    tree = await load_tree(session)
    check_scope(tree, access, unit_id, role)
    return tree


def scope_roots(tree: UnitTree, access: Access, role: Role = Role.OFFICER) -> list[int]:
    """The highest units the user may act in as `role` (none below another one)."""
    if access.is_admin:
        return tree.roots()
    granted = [
        g.unit_id
        for g in access.grants
        if ROLE_RANK[g.role] >= ROLE_RANK[role] and tree.get(g.unit_id) is not None
    ]
    tops = {
        unit_id for unit_id in granted if not any(a in granted for a in tree.ancestors(unit_id)[1:])
    }
    return [unit_id for unit_id in dict.fromkeys(granted) if unit_id in tops]


def default_unit(tree: UnitTree, access: Access, role: Role = Role.OFFICER) -> int | None:
    """The unit a command means when none is named: the user's single top unit, if any."""
    roots = scope_roots(tree, access, role)
    return roots[0] if len(roots) == 1 else None


class GrantStatus(StrEnum):
    GRANTED = "granted"
    ALREADY = "already"


@dataclass(frozen=True)
class GrantResult:
    status: GrantStatus
    unit: Unit
    role: Role
    known_user: bool  # False: the person has not opened the bot yet


async def _unit(session: AsyncSession, code: str) -> Unit:
    unit = await unit_by_code(session, normalise_unit_code(code))
    if unit is None or unit.id is None:
        raise UnknownUnit(normalise_unit_code(code))
    return unit


async def grant(session: AsyncSession, *, user_id: int, unit_code: str, role: Role) -> GrantResult:
    """Give a user a role in a unit (and so in its subtree); commits."""
    if role not in GRANTABLE:
        raise ValueError("admins are set with ADMIN_IDS, not granted")
    unit = await _unit(session, unit_code)
    assert unit.id is not None
    known = await session.get(User, user_id) is not None
    added = await add_membership(
        session, user_id=user_id, unit_id=unit.id, role=role.value, since=utcnow()
    )
    await session.commit()
    return GrantResult(GrantStatus.GRANTED if added else GrantStatus.ALREADY, unit, role, known)


async def revoke(
    session: AsyncSession, *, user_id: int, unit_code: str, role: Role | None = None
) -> list[Role]:
    """End a user's role (or every role) in a unit; returns the roles ended. Commits."""
    unit = await _unit(session, unit_code)
    conditions = [
        col(Membership.user_id) == user_id,
        col(Membership.unit_id) == unit.id,
        col(Membership.until).is_(None),
    ]
    if role is not None:
        conditions.append(col(Membership.role) == role.value)
    ended = (await session.exec(select(Membership.role).where(*conditions))).all()
    if ended:
        await session.exec(update(Membership).where(*conditions).values(until=utcnow()))
        await session.commit()
    return [Role(value) for value in dict.fromkeys(ended)]


class UnknownPerson(LookupError):
    """No person, or more than one, goes by a username."""

    def __init__(self, username: str, matches: list[int]) -> None:
        shown = ", ".join(str(user_id) for user_id in matches)
        reason = (
            f"several people go by @{username} (ids {shown}): give the numeric id"
            if matches
            else f"nobody known to the bot goes by @{username}: they must open the bot and "
            "agree to its data notice first, or give their numeric id"
        )
        super().__init__(reason)
        self.username = username
        self.matches = matches


async def person_by_username(session: AsyncSession, username: str) -> int:
    """The id of the one known person with this Telegram username (any case, with or without
    "@"); raises `UnknownPerson` when there is none or several (a stale row keeps the name of
    someone who has since changed theirs)."""
    wanted = username.strip().lstrip("@")
    statement = (
        select(User.id)
        .where(func.lower(User.username) == wanted.lower(), col(User.erased_at).is_(None))
        .order_by(col(User.id))
    )
    found = list((await session.exec(statement)).all())
    if len(found) != 1:
        raise UnknownPerson(wanted, found)
    return found[0]
