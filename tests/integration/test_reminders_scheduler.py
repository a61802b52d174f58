"""The scheduler on SQLite and PostgreSQL: leader locks, a reminder added while it runs, a
restart while a reminder is due (it fires exactly once), misses older than the grace window,
and two processes (two schedulers with their own engines and locks) where only one sends."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.delivery.render import Payload
from bot.domain.schedules import Kind
from bot.leader import FileLeaderLock, PostgresLeaderLock, leader_lock_for
from bot.scheduler import ReminderScheduler, checked_settings
from bot.services import reminders as svc
from bot.services.reminder_fires import Card
from bot.services.users import CONSENT_VERSION
from bot.settings import ConfigError, Settings
from bot.storage.clock import utcnow
from bot.storage.database import create_engine, create_sessionmaker
from bot.storage.models import Membership, Role, Unit, User
from bot.storage.models_delivery import Delivery
from bot.storage.models_reminders import ReminderFire
from tests.conftest import POSTGRES_URL

TICK = 0.1


class StubRenderers:
    """The payloads the scheduler queues, without a bot or catalogs."""

    async def reminder(self) -> Callable[[Card, str], Payload]:
        return lambda card, language: Payload(f"#{card.reminder_id}: {card.text}")

    def offer(self) -> Any:
        return lambda year, units, language: Payload(str(year))

    def report(self) -> Any:
        async def render(*args: Any) -> Payload:
            return Payload("report")

        return render


def scheduler_for(
    database_url: str, sessionmaker: async_sessionmaker[AsyncSession], grace: int = 60
) -> ReminderScheduler:
    settings = Settings(  # type: ignore[call-arg]
        database_url=database_url,
        reminder_misfire_grace_seconds=grace,
        monthly_reports=False,
        _env_file=None,
    )
    return ReminderScheduler(
        settings,
        sessionmaker,
        renderers=StubRenderers(),  # type: ignore[arg-type]
        lock=leader_lock_for(sessionmaker.kw["bind"]),
        sync_interval=TICK,
    )


@pytest.fixture
async def unit_id(sessionmaker: async_sessionmaker[AsyncSession]) -> int:
    async with sessionmaker() as session:
        unit = Unit(code="TRUONG-A", name="Trường A")
        session.add(unit)
        await session.flush()
        assert unit.id is not None
        for user_id in (11, 12):
            session.add(User(id=user_id, consent_at=utcnow(), consent_version=CONSENT_VERSION))
            session.add(Membership(user_id=user_id, unit_id=unit.id, role=Role.LEARNER.value))
        await session.commit()
        return unit.id


async def add_once(
    sessionmaker: async_sessionmaker[AsyncSession], unit_id: int, seconds: float
) -> int:
    async with sessionmaker() as session:
        draft = svc.Draft(
            unit_id=unit_id,
            text="Diễn tập phòng cháy",
            schedule_kind=Kind.ONCE,
            once_at=utcnow() + timedelta(seconds=seconds),
            quiet_hours="off",
            skip_holidays=False,
        )
        reminder = await svc.create(
            session, svc.CLI_ACCESS, draft, now=utcnow(), default_quiet="off"
        )
        assert reminder.id is not None
        return reminder.id


async def counts(sessionmaker: async_sessionmaker[AsyncSession]) -> tuple[int, int]:
    """(fires, deliveries) so far."""
    async with sessionmaker() as session:
        fires = (await session.exec(select(func.count()).select_from(ReminderFire))).one()
        rows = (
            await session.exec(
                select(func.count())
                .select_from(Delivery)
                .where(col(Delivery.source_kind) == "reminder")
            )
        ).one()
    return int(fires), int(rows)


async def wait_until(check: Callable[[], Any], within: float = 5.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not await check():
        assert loop.time() < deadline, "timed out"
        await asyncio.sleep(TICK / 2)


async def test_file_locks_exclude_each_other(tmp_path: Path) -> None:
    first, second = FileLeaderLock(tmp_path / "db.lock"), FileLeaderLock(tmp_path / "db.lock")
    assert await first.acquire()
    assert not await second.acquire()
    await first.release()
    assert await second.acquire() and await second.held()
    await second.dispose()


@pytest.mark.skipif(POSTGRES_URL is None, reason="TEST_DATABASE_URL is not set")
async def test_advisory_locks_exclude_each_other(database_url: str) -> None:
    if "postgresql" not in database_url:
        pytest.skip("PostgreSQL only")
    first, second = PostgresLeaderLock(database_url), PostgresLeaderLock(database_url)
    try:
        assert await first.acquire()
        assert not await second.acquire()
        await first.dispose()  # as if the leader's process died: its connection closes
        assert await second.acquire() and await second.held()
    finally:
        await first.dispose()
        await second.dispose()


async def test_a_reminder_added_while_running_is_picked_up(
    database_url: str, sessionmaker: async_sessionmaker[AsyncSession], unit_id: int
) -> None:
    scheduler = scheduler_for(database_url, sessionmaker)
    scheduler.start()
    try:
        await scheduler.synced()
        rid = await add_once(sessionmaker, unit_id, 0.6)

        async def fired() -> bool:
            return (await counts(sessionmaker)) == (1, 2)

        await wait_until(fired)
        assert scheduler.scheduler.get_job(f"reminder:{rid}") is None  # a one-off is done
    finally:
        await scheduler.stop()


async def test_a_restart_while_due_fires_exactly_once(
    database_url: str, sessionmaker: async_sessionmaker[AsyncSession], unit_id: int
) -> None:
    await add_once(sessionmaker, unit_id, 0.8)
    before = scheduler_for(database_url, sessionmaker)
    before.start()
    await before.synced()
    await before.stop()  # down before the reminder is due…
    await asyncio.sleep(1.2)  # …and still down when it is
    assert await counts(sessionmaker) == (0, 0)

    after = scheduler_for(database_url, sessionmaker)
    after.start()
    try:

        async def fired() -> bool:
            return (await counts(sessionmaker)) == (1, 2)

        await wait_until(fired)
    finally:
        await after.stop()
    again = scheduler_for(database_url, sessionmaker)
    again.start()
    await again.synced()
    await asyncio.sleep(5 * TICK)
    await again.stop()
    assert await counts(sessionmaker) == (1, 2)


async def test_misses_older_than_the_grace_window_are_skipped_and_logged(
    database_url: str,
    sessionmaker: async_sessionmaker[AsyncSession],
    unit_id: int,
    caplog: pytest.LogCaptureFixture,
) -> None:
    rid = await add_once(sessionmaker, unit_id, 0.2)
    await asyncio.sleep(1.5)
    scheduler = scheduler_for(database_url, sessionmaker, grace=1)
    caplog.set_level(logging.WARNING, logger="bot.scheduler")
    scheduler.start()
    await scheduler.synced()
    await asyncio.sleep(5 * TICK)
    await scheduler.stop()
    assert await counts(sessionmaker) == (0, 0)
    assert any(f"reminder:{rid} missed" in record.getMessage() for record in caplog.records)


@pytest.fixture
async def second_sessionmaker(database_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """Another process's view of the same database: its own engine and pool."""
    engine = create_engine(database_url)
    yield create_sessionmaker(engine)
    await engine.dispose()


async def test_two_processes_one_sends_and_the_standby_takes_over(
    database_url: str,
    sessionmaker: async_sessionmaker[AsyncSession],
    second_sessionmaker: async_sessionmaker[AsyncSession],
    unit_id: int,
) -> None:
    first = scheduler_for(database_url, sessionmaker)
    second = scheduler_for(database_url, second_sessionmaker)
    first.start()
    await first.synced()
    second.start()
    try:
        await asyncio.sleep(3 * TICK)
        assert first.leading and not second.leading
        await add_once(sessionmaker, unit_id, 0.5)

        async def fired_once() -> bool:
            return (await counts(sessionmaker)) == (1, 2)

        await wait_until(fired_once)
        await first.stop()  # the leader goes away
        await second.synced()
        assert second.leading
        await add_once(second_sessionmaker, unit_id, 0.5)

        async def fired_twice() -> bool:
            return (await counts(sessionmaker)) == (2, 4)

        await wait_until(fired_twice)
        await asyncio.sleep(5 * TICK)
        assert await counts(sessionmaker) == (2, 4)
    finally:
        await first.stop()
        await second.stop()


@pytest.mark.parametrize(
    ("values", "name"),
    [({"holidays": "13-40"}, "HOLIDAYS"), ({"reminder_quiet_hours": "late"}, "REMINDER_QUIET")],
)
def test_bad_reminder_settings_stop_the_start(values: dict[str, str], name: str) -> None:
    settings = Settings(**values, _env_file=None)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match=name):
        checked_settings(settings)
