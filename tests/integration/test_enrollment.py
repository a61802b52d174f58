"""Invites, consent and the ledger against a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain.privacy import pseudonym
from bot.services import privacy, users
from bot.services.enrollment import EnrollStatus, redeem_invite
from bot.services.users import Profile
from bot.storage import ledger
from bot.storage.clock import utcnow
from bot.storage.models import InviteCode, Membership, Role, Unit, User

PROFILE = Profile(
    user_id=501, first_name="Lan", last_name="Trần", username="lan", language_code="vi"
)


async def _unit_with_invites(session: AsyncSession) -> Unit:
    unit = Unit(code="TRUONG-A", name="Trường A", kind="school")
    session.add(unit)
    await session.flush()
    assert unit.id is not None
    session.add_all(
        [
            InviteCode(code="OPEN", unit_id=unit.id, role=Role.LEARNER.value),
            InviteCode(code="ONCE", unit_id=unit.id, role=Role.TRAINER.value, uses_left=1),
            InviteCode(code="OLD", unit_id=unit.id, expires_at=utcnow() - timedelta(days=1)),
        ]
    )
    await session.commit()
    return unit


async def _consenting_user(session: AsyncSession, profile: Profile = PROFILE) -> User:
    user = await users.touch_user(session, profile, default_language="vi")
    await users.give_consent(session, user, profile)
    return user


async def test_first_contact_keeps_no_name_before_consent(session: AsyncSession) -> None:
    user = await users.touch_user(session, PROFILE, default_language="en")
    assert (user.first_name, user.username, user.language) == (None, None, "vi")
    assert users.needs_consent(user)
    await users.give_consent(session, user, PROFILE)
    assert user.first_name == "Lan" and not users.needs_consent(user)


async def test_redeem_each_kind_of_code(session: AsyncSession) -> None:
    unit = await _unit_with_invites(session)
    user = await _consenting_user(session)
    other = await _consenting_user(session, Profile(502, "Minh", None, None, "vi"))

    assert (await redeem_invite(session, user, " open ")).status is EnrollStatus.ENROLLED
    assert (await redeem_invite(session, user, "OPEN")).status is EnrollStatus.ALREADY
    assert (await redeem_invite(session, user, "NOPE")).status is EnrollStatus.NOT_FOUND
    assert (await redeem_invite(session, other, "OLD")).status is EnrollStatus.EXPIRED
    result = await redeem_invite(session, user, "ONCE")
    assert result.status is EnrollStatus.ENROLLED and result.role is Role.TRAINER
    assert (await redeem_invite(session, other, "ONCE")).status is EnrollStatus.USED_UP

    roles = {
        (m.unit_id, m.role)
        for m in (
            await session.exec(
                Membership.__table__.select().where(Membership.user_id == user.id)  # type: ignore[attr-defined]
            )
        ).all()
    }
    assert roles == {(unit.id, "learner"), (unit.id, "trainer")}
    assert await ledger.count(session, kind="enrolled", unit_id=unit.id) == 2


async def test_ledger_is_idempotent(session: AsyncSession) -> None:
    unit = await _unit_with_invites(session)
    assert unit.id is not None
    first = await ledger.record(
        session,
        user_id=1,
        unit_ids=[unit.id],
        kind="lesson_read",
        ref="chi-thi-07",
        key="read:1:chi-thi-07",
    )
    again = await ledger.record(
        session,
        user_id=1,
        unit_ids=[unit.id],
        kind="lesson_read",
        ref="chi-thi-07",
        key="read:1:chi-thi-07",
    )
    await session.commit()
    assert (first, again) == (1, 0)
    assert await ledger.count(session, kind="lesson_read") == 1


async def test_a_persons_events_are_theirs_only_oldest_first(session: AsyncSession) -> None:
    unit = await _unit_with_invites(session)
    assert unit.id is not None
    now = utcnow()
    for user_id, ref, ago in ((1, "later", 1), (2, "other", 5), (1, "earlier", 3)):
        await ledger.record(
            session,
            user_id=user_id,
            unit_ids=[unit.id],
            kind="lesson_read",
            ref=ref,
            key=f"read:{user_id}:{ref}",
            at=now - timedelta(days=ago),
        )
    await ledger.record(
        session, user_id=1, unit_ids=[unit.id], kind="enrolled", key="enrolled:1", at=now
    )
    await session.commit()
    events = await ledger.events_of(session, user_id=1)
    assert [(event.user_id, event.ref) for event in events] == [
        (1, "earlier"),
        (1, "later"),
        (1, None),
    ]
    assert await ledger.count(session, kind="lesson_read", user_id=1) == 2
    assert await ledger.count(session, kind="lesson_read", unit_id=unit.id, ref="other") == 1


async def test_forget_erases_person_but_keeps_counts(session: AsyncSession) -> None:
    unit = await _unit_with_invites(session)
    user = await _consenting_user(session)
    await redeem_invite(session, user, "OPEN")
    exported = json.loads(await privacy.export(session, user.id))
    assert exported["user"]["first_name"] == "Lan" and len(exported["memberships"]) == 1

    await privacy.erase(session, user.id, key=b"k")
    session.expunge_all()
    assert await session.get(User, user.id) is None
    after = json.loads(await privacy.export(session, user.id))
    assert after["user"] is None and after["memberships"] == [] and after["participation"] == []
    assert await ledger.count(session, kind="enrolled", unit_id=unit.id) == 1
    assert await ledger.count(session, user_id=pseudonym(user.id, b"k")) == 1  # the joining
