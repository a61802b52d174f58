"""End-to-end fixtures: the real Dispatcher polling the Bot API emulator over HTTP.

Every test fails if the emulator recorded a violation of the Bot API specification.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.emulator import Emulator
from bot.offline import OfflineBot
from bot.settings import Settings
from bot.storage.models import Unit
from tests.e2e.helpers import World, add_invite


@pytest.fixture
async def emulator() -> AsyncIterator[Emulator]:
    emulator = Emulator(bot_username="canhgiac_test_bot", check_results=True)
    await emulator.start()
    yield emulator
    await emulator.stop()
    assert [str(v) for v in emulator.violations] == []


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(database_url=database_url, admin_ids=[900001], _env_file=None)  # type: ignore[call-arg]


@pytest.fixture
async def offline(settings: Settings, emulator: Emulator) -> AsyncIterator[OfflineBot]:
    bot = await OfflineBot.start(settings, emulator=emulator)
    yield bot
    await bot.stop()


@pytest.fixture
async def world(offline: OfflineBot) -> World:
    async with offline.storage.sessionmaker() as session:
        unit = Unit(code="TRUONG-A", name="Trường THPT A", kind="school")
        other = Unit(code="CTY-B", name="Công ty B", kind="enterprise")
        session.add_all([unit, other])
        await session.flush()
        child = Unit(code="TRUONG-A-10A1", name="Lớp 10A1", kind="class", parent_id=unit.id)
        session.add(child)
        await session.commit()
        await add_invite(session, "HS-A", unit)
        await add_invite(session, "HS-10A1", child)
        await add_invite(session, "HS-B", other)
        return World(unit=unit, child=child, other=other)
