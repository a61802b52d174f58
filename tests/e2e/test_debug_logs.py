"""With LOG_LEVEL=DEBUG the log still holds no personal data: no SQL parameters (names,
usernames) and no message bodies, through a real flow (joining, a broadcast, an export)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator

import pytest

from bot.emulator import Emulator
from bot.offline import OfflineBot
from bot.settings import Settings
from bot.storage.models import Role
from tests.e2e.helpers import World, add_invite, join
from tests.e2e.scan import Captured, captured_logging
from tests.e2e.test_broadcast import compose, wait_text

TRAINER, PERSON = 840001, 840002
FIRST, LAST, USERNAME = "Nguyễn Văn", "Bảo Mật", "secret_user_xyz"
BODY = "Nội dung kín XYZ-7731: họp chi bộ lúc 14 giờ"
PRIVATE = (FIRST, LAST, USERNAME, "XYZ-7731", "họp chi bộ")


@pytest.fixture
def logs() -> Iterator[Captured]:
    with captured_logging("DEBUG") as captured:
        yield captured


@pytest.fixture
async def offline(
    logs: Captured, settings: Settings, emulator: Emulator
) -> AsyncIterator[OfflineBot]:
    bot = await OfflineBot.start(settings, emulator=emulator, broadcast_watch_interval=0.2)
    yield bot
    await bot.stop()


async def test_debug_logging_shows_no_names_usernames_or_bodies(
    offline: OfflineBot,
    emulator: Emulator,
    world: World,
    logs: Captured,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    async with offline.storage.sessionmaker() as session:
        await add_invite(session, "GV-A", world.unit, Role.TRAINER)
    trainer = offline.chat(TRAINER, first_name="Thầy Nam", language_code="en")
    person = offline.chat(PERSON, first_name=FIRST)
    emulator.add_user(PERSON, first_name=FIRST, last_name=LAST, username=USERNAME)
    await join(trainer, "GV-A")
    await join(person, "HS-A")
    await compose(trainer, units=["Trường THPT A"], text=BODY)
    await trainer.press("Preview")
    await trainer.press("✅ Send")
    await wait_text(emulator, PERSON, "XYZ-7731")
    await wait_text(emulator, TRAINER, "Report of broadcast")
    await trainer.send("/thongke")
    await trainer.press("Excel")
    await emulator.wait_until(lambda: emulator.messages(TRAINER)[-1].document is not None, 10)

    assert "DEBUG" in logs.text  # the level took effect: something was logged at DEBUG
    for text in (logs.text, caplog.text):
        for secret in PRIVATE:
            assert secret not in text, f"{secret!r} is in the DEBUG log"
