"""Exactly once at the storage and service level, on SQLite and PostgreSQL: the same use case
run several times at once (each in its own session, as concurrent updates are) has the effect of
one run. Every race is fired with `asyncio.gather`, not one call after another."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import pytest
from aiogram.dispatcher.event.bases import UNHANDLED
from aiogram.types import Update
from sqlalchemy import DateTime, bindparam, func, text
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.delivery.render import Payload
from bot.domain.schedules import Kind
from bot.services import broadcasts, grants, users
from bot.services import reminders as reminder_svc
from bot.services.access import Access, Grant
from bot.services.broadcasts import ContentKind, Draft
from bot.services.enrollment import EnrollStatus, redeem_invite
from bot.services.users import Profile
from bot.storage import migrate, updates
from bot.storage.clock import utcnow
from bot.storage.models import InviteCode, Membership, Role, Unit, User
from bot.storage.models_delivery import Broadcast, Delivery
from bot.storage.models_reminders import Reminder
from bot.storage.models_updates import ProcessedUpdate
from bot.telegram.update_log import UpdateLog

TRAINER = 930_001
LEARNERS = (930_002, 930_003)
BOT_ID = 42
TIMES = 3


async def together(
    sessionmaker: async_sessionmaker[AsyncSession],
    times: int,
    run: Callable[[AsyncSession], Awaitable[Any]],
) -> list[Any]:
    """`run` `times` times at once, each in a session of its own; results or exceptions."""

    async def one() -> Any:
        async with sessionmaker() as session:
            return await run(session)

    return await asyncio.gather(*(one() for _ in range(times)), return_exceptions=True)


def no_errors(results: list[Any]) -> None:
    errors = [r for r in results if isinstance(r, BaseException)]
    assert errors == [], errors


async def count(session: AsyncSession, model: type, *where: Any) -> int:
    statement = select(func.count()).select_from(model).where(*where)
    return int((await session.exec(statement)).one())


@pytest.fixture
async def school(sessionmaker: async_sessionmaker[AsyncSession]) -> Unit:
    """A school with a trainer and two consenting learners."""
    async with sessionmaker() as session:
        unit = Unit(code="TRUONG-A", name="Trường A", kind="school")
        session.add(unit)
        await session.flush()
        assert unit.id is not None
        for person in (TRAINER, *LEARNERS):
            profile = Profile(person, f"P{person}", None, None, "vi")
            user = await users.touch_user(session, profile, default_language="vi")
            await users.give_consent(session, user, profile)
            role = Role.TRAINER if person == TRAINER else Role.LEARNER
            session.add(Membership(user_id=person, unit_id=unit.id, role=role.value))
        await session.commit()
        return unit


# First contact


async def test_two_first_updates_of_a_new_person_at_once_make_one_user(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    for person in range(931_000, 931_005):  # a few people: the race is not left to luck
        profile = Profile(person, "Lan", None, None, "en")

        async def first_contact(session: AsyncSession, profile: Profile = profile) -> User:
            return await users.touch_user(session, profile, default_language="vi")

        results = await together(sessionmaker, 2, first_contact)
        no_errors(results)
        assert {(user.id, user.language) for user in results} == {(person, "en")}
    async with sessionmaker() as session:
        assert await count(session, User, col(User.id) >= 931_000) == 5


# The broadcast wizard's "Send"


def draft(unit: Unit, token: str | None) -> Draft:
    assert unit.id is not None
    return Draft((unit.id,), ContentKind.TEXT, "Diễn tập phòng cháy lúc 7 giờ 30", token=token)


def render(broadcast_id: int, language: str) -> Payload:
    return Payload(f"Diễn tập #{broadcast_id}")


async def test_a_draft_sent_three_times_at_once_is_one_broadcast(
    sessionmaker: async_sessionmaker[AsyncSession], school: Unit
) -> None:
    assert school.id is not None
    access = Access(TRAINER, grants=(Grant(school.id, "TRUONG-A", "Trường A", Role.TRAINER),))
    token = broadcasts.new_draft_token()

    async def send(session: AsyncSession) -> Broadcast:
        return await broadcasts.create(session, access, draft(school, token), render=render)

    results = await together(sessionmaker, TIMES, send)
    made = [r for r in results if isinstance(r, Broadcast)]
    refused = [r for r in results if isinstance(r, broadcasts.AlreadySent)]
    assert len(made) == 1 and len(refused) == TIMES - 1, results
    assert {r.broadcast_id for r in refused} == {made[0].id}
    async with sessionmaker() as session:
        assert await count(session, Broadcast) == 1
        assert await count(session, Delivery) == len(LEARNERS)
        assert await broadcasts.made_from(session, token) is not None
        # Drafts without a token (the command line) are not held back.
        for _ in range(2):
            await broadcasts.create(session, access, draft(school, None), render=render)
        assert await count(session, Broadcast) == 3


# The reminder wizard's "Create"


async def test_a_draft_created_three_times_at_once_is_one_reminder(
    sessionmaker: async_sessionmaker[AsyncSession], school: Unit
) -> None:
    assert school.id is not None
    access = Access(TRAINER, grants=(Grant(school.id, "TRUONG-A", "Trường A", Role.TRAINER),))
    wanted = reminder_svc.Draft(
        unit_id=school.id,
        text="Đọc Chỉ thị 07",
        schedule_kind=Kind.DAILY,
        at_time="08:00",
        token=reminder_svc.new_draft_token(),
    )

    async def create(session: AsyncSession) -> Reminder:
        return await reminder_svc.create(session, access, wanted, now=utcnow(), default_quiet="off")

    results = await together(sessionmaker, TIMES, create)
    made = [r for r in results if isinstance(r, Reminder)]
    refused = [r for r in results if isinstance(r, reminder_svc.ReminderError)]
    assert len(made) == 1 and len(refused) == TIMES - 1, results
    assert {e.problem for e in refused} == {reminder_svc.Problem.ALREADY_CREATED}
    async with sessionmaker() as session:
        assert await count(session, Reminder) == 1
        assert wanted.token is not None
        found = await reminder_svc.made_from(session, wanted.token)
        assert found is not None and found.id == made[0].id


# Invites and grants


async def test_a_code_redeemed_three_times_at_once_enrolls_once_and_takes_one_use(
    sessionmaker: async_sessionmaker[AsyncSession], school: Unit
) -> None:
    assert school.id is not None
    async with sessionmaker() as session:
        session.add(InviteCode(code="HAI-LUOT", unit_id=school.id, uses_left=2))
        profile = Profile(931_100, "Minh", None, None, "vi")
        person = await users.touch_user(session, profile, default_language="vi")
        await users.give_consent(session, person, profile)

    async def redeem(session: AsyncSession) -> EnrollStatus:
        user = await session.get(User, 931_100)
        assert user is not None
        return (await redeem_invite(session, user, "HAI-LUOT")).status

    results = await together(sessionmaker, TIMES, redeem)
    no_errors(results)
    assert sorted(results) == sorted([EnrollStatus.ENROLLED] + [EnrollStatus.ALREADY] * 2)
    async with sessionmaker() as session:
        active = col(Membership.until).is_(None)
        assert await count(session, Membership, Membership.user_id == 931_100, active) == 1
        invite = (await session.exec(select(InviteCode).where(InviteCode.code == "HAI-LUOT"))).one()
        assert invite.uses_left == 1


async def test_the_last_use_goes_to_one_of_two_people_at_once(
    sessionmaker: async_sessionmaker[AsyncSession], school: Unit
) -> None:
    assert school.id is not None
    async with sessionmaker() as session:
        session.add(
            InviteCode(code="MOT-LUOT", unit_id=school.id, role=Role.OFFICER.value, uses_left=1)
        )
        await session.commit()

    async def one(person: int) -> EnrollStatus:
        async with sessionmaker() as session:
            user = await session.get(User, person)
            assert user is not None
            return (await redeem_invite(session, user, "MOT-LUOT")).status

    results = await asyncio.gather(*(one(p) for p in LEARNERS))
    assert sorted(results) == [EnrollStatus.ENROLLED, EnrollStatus.USED_UP]


async def test_an_expired_code_is_refused_by_the_same_statement(
    sessionmaker: async_sessionmaker[AsyncSession], school: Unit
) -> None:
    assert school.id is not None
    async with sessionmaker() as session:
        expired = utcnow() - timedelta(minutes=1)
        session.add(
            InviteCode(
                code="HET-HAN",
                unit_id=school.id,
                role=Role.OFFICER.value,
                uses_left=5,
                expires_at=expired,
            )
        )
        await session.commit()
        user = await session.get(User, LEARNERS[0])
        assert user is not None
        assert (await redeem_invite(session, user, "HET-HAN")).status is EnrollStatus.EXPIRED
        invite = (await session.exec(select(InviteCode).where(InviteCode.code == "HET-HAN"))).one()
        assert invite.uses_left == 5


async def test_a_role_granted_three_times_at_once_is_one_membership(
    sessionmaker: async_sessionmaker[AsyncSession], school: Unit
) -> None:
    people = range(931_200, 931_205)  # a few people: the race is not left to luck
    for person in people:

        async def grant(session: AsyncSession, person: int = person) -> grants.GrantStatus:
            result = await grants.grant(
                session, user_id=person, unit_code="TRUONG-A", role=Role.OFFICER
            )
            return result.status

        results = await together(sessionmaker, TIMES, grant)
        no_errors(results)
        expected = [grants.GrantStatus.GRANTED] + [grants.GrantStatus.ALREADY] * (TIMES - 1)
        assert sorted(results) == sorted(expected)
    async with sessionmaker() as session:
        officers = (Membership.role == Role.OFFICER.value, col(Membership.until).is_(None))
        assert await count(session, Membership, *officers) == len(people)
        # Once revoked, the role can be granted again: only active memberships are unique.
        await grants.revoke(session, user_id=931_200, unit_code="TRUONG-A", role=Role.OFFICER)
        again = await grants.grant(
            session, user_id=931_200, unit_code="TRUONG-A", role=Role.OFFICER
        )
        assert again.status is grants.GrantStatus.GRANTED
        assert await count(session, Membership, Membership.user_id == 931_200) == 2


# The handled-updates record


async def test_an_update_is_claimed_once_among_racing_replicas(engine: AsyncEngine) -> None:
    now = utcnow()
    claims = await asyncio.gather(
        *(
            updates.claim(engine, bot_id=BOT_ID, update_id=7, now=now, stale_before=now)
            for _ in range(TIMES)
        )
    )
    assert sorted(claims) == [False, False, True]
    # Another bot's update 7 is another update.
    assert await updates.claim(engine, bot_id=BOT_ID + 1, update_id=7, now=now, stale_before=now)
    await updates.release(engine, bot_id=BOT_ID, update_id=7)
    assert await updates.claim(engine, bot_id=BOT_ID, update_id=7, now=now, stale_before=now)


async def test_old_claims_are_taken_over_and_pruned(engine: AsyncEngine) -> None:
    long_ago = utcnow() - timedelta(days=2)
    day = timedelta(days=1)
    assert await updates.claim(
        engine, bot_id=BOT_ID, update_id=1, now=long_ago, stale_before=long_ago - day
    )
    now = utcnow()
    assert await updates.claim(engine, bot_id=BOT_ID, update_id=2, now=now, stale_before=now - day)
    # Telegram reuses ids after a long silence: a claim older than the retention is no record.
    assert await updates.claim(
        engine, bot_id=BOT_ID, update_id=1, now=now - timedelta(hours=1), stale_before=now - day
    )
    assert await updates.claim(
        engine, bot_id=BOT_ID, update_id=3, now=long_ago, stale_before=long_ago - day
    )
    assert await updates.prune(engine, before=now - day) == 1
    async with engine.connect() as connection:
        left = await connection.execute(text("SELECT update_id FROM processed_updates"))
        assert sorted(row[0] for row in left) == [1, 2]


def update(update_id: int) -> Update:
    return Update.model_validate({"update_id": update_id})


class BotIdOnly:
    """Only what `UpdateLog` reads of a Bot: its id."""

    id = BOT_ID


async def stored_ids(engine: AsyncEngine) -> list[int]:
    async with engine.connect() as connection:
        rows = await connection.execute(select(ProcessedUpdate.update_id))
        return sorted(row[0] for row in rows)


async def test_the_update_log_drops_a_second_delivery_and_forgets_a_failure(
    engine: AsyncEngine,
) -> None:
    log = UpdateLog(engine)
    handled: list[int] = []
    release = asyncio.Event()

    async def slow(event: Any, data: dict[str, Any]) -> str:
        await release.wait()
        handled.append(event.update_id)
        return "done"

    data = {"bot": BotIdOnly()}
    first = asyncio.create_task(log(slow, update(10), dict(data)))
    await asyncio.sleep(0.05)
    # Delivered again while the first delivery is still being handled: dropped at once.
    assert await log(slow, update(10), dict(data)) is UNHANDLED
    release.set()
    assert await first == "done"
    assert await log(slow, update(10), dict(data)) is UNHANDLED
    assert handled == [10]

    async def broken(event: Any, data: dict[str, Any]) -> None:
        raise RuntimeError("the Bot API answered 500")

    with pytest.raises(RuntimeError):
        await log(broken, update(11), dict(data))
    assert await stored_ids(engine) == [10]
    assert await log(slow, update(11), dict(data)) == "done"
    assert handled == [10, 11]


async def test_the_update_log_prunes_rarely(engine: AsyncEngine) -> None:
    moments = iter([utcnow() - timedelta(days=3), utcnow(), utcnow()])
    log = UpdateLog(engine, prune_every=timedelta(hours=1), clock=lambda: next(moments))

    async def ok(event: Any, data: dict[str, Any]) -> None:
        return None

    data = {"bot": BotIdOnly()}
    await log(ok, update(1), dict(data))  # the first update prunes (nothing old yet)
    await log(ok, update(2), dict(data))  # not due again for an hour: update 1 stays
    assert await stored_ids(engine) == [1, 2]
    log._next_prune = 0.0  # an hour later
    await log(ok, update(3), dict(data))
    assert await stored_ids(engine) == [2, 3]


# The migration


async def test_the_migration_keeps_one_of_duplicate_active_memberships(
    engine: AsyncEngine,
) -> None:
    await migrate.downgrade(engine, "0005_reminders")
    unit = text(
        "INSERT INTO units (id, code, name, kind, timezone, created_at) "
        "VALUES (1, 'A', 'A', 'school', 'UTC', CURRENT_TIMESTAMP)"
    )
    membership = text(
        "INSERT INTO memberships (user_id, unit_id, role, since, until) "
        "VALUES (5, 1, 'learner', CURRENT_TIMESTAMP, :until)"
    ).bindparams(bindparam("until", type_=DateTime(timezone=True)))
    async with engine.begin() as connection:
        await connection.execute(unit)
        for until in (None, None, None, utcnow()):
            await connection.execute(membership, {"until": until})
    await migrate.upgrade(engine)
    async with engine.connect() as connection:
        rows = (
            await connection.execute(text("SELECT id, until FROM memberships ORDER BY id"))
        ).all()
    assert [(row[0], row[1] is None) for row in rows] == [(1, True), (4, False)]
