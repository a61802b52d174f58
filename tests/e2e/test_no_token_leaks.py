"""The bot token never leaves the process: not into stored errors, reports, files, messages or
logs, even when the Bot API server answers garbage (whose aiohttp errors quote the request URL,
and so the token)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator

import pytest

from bot.chat_driver import ChatDriver
from bot.emulator import Emulator
from bot.offline import OFFLINE_TOKEN, OfflineBot
from bot.settings import Settings
from bot.storage.models import Role
from tests.e2e.helpers import World, add_invite, join
from tests.e2e.scan import Captured, captured_logging, database_texts, sent_files, sent_texts
from tests.e2e.test_broadcast import compose, wait_text

TRAINER, LAN, MINH, HOA = 830001, 830002, 830003, 830004
# The token cut anywhere still gives it away: look for its secret half's first characters too.
SECRET_PART = OFFLINE_TOKEN.split(":", 1)[1]
NEEDLES = (OFFLINE_TOKEN, SECRET_PART[:10])


@pytest.fixture
def logs() -> Iterator[Captured]:
    with captured_logging("INFO") as captured:
        yield captured


@pytest.fixture
async def offline(
    logs: Captured, settings: Settings, emulator: Emulator
) -> AsyncIterator[OfflineBot]:
    bot = await OfflineBot.start(settings, emulator=emulator, broadcast_watch_interval=0.2)
    yield bot
    await bot.stop()


@pytest.fixture
async def school(offline: OfflineBot, world: World) -> dict[str, ChatDriver]:
    async with offline.storage.sessionmaker() as session:
        await add_invite(session, "GV-A", world.unit, Role.TRAINER)
    chats = {
        "trainer": offline.chat(TRAINER, first_name="Thầy Nam", language_code="en"),
        "lan": offline.chat(LAN, first_name="Lan"),
        "minh": offline.chat(MINH, first_name="Minh"),
        "hoa": offline.chat(HOA, first_name="Hoa"),
    }
    await join(chats["trainer"], "GV-A")
    for name in ("lan", "minh", "hoa"):
        await join(chats[name], "HS-A")
    return chats


def assert_no_token(where: str, text: str) -> None:
    for needle in NEEDLES:
        assert needle not in text, f"the token is in {where}"


async def test_garbage_from_the_bot_api_leaks_the_token_nowhere(
    offline: OfflineBot,
    emulator: Emulator,
    school: dict[str, ChatDriver],
    logs: Captured,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    trainer = school["trainer"]
    await compose(trainer, units=["Trường THPT A"])
    await trainer.press("Preview")
    # Lan's message meets an answer whose status line cannot be parsed (aiohttp's error quotes
    # the URL), Minh's a cut-off JSON body, Hoa's an HTML error page.
    emulator.garble_next(1, "status", chat_id=LAN, methods=["sendMessage"])
    emulator.garble_next(1, "json", chat_id=MINH, methods=["sendMessage"])
    emulator.garble_next(1, "html", chat_id=HOA, methods=["sendMessage"])
    await trainer.press("✅ Send")
    report = await wait_text(emulator, TRAINER, "Report of broadcast", within=20)
    assert "Delivered: 0 of 3" in (report.text or "")
    await emulator.wait_until(lambda: emulator.messages(TRAINER)[-1].document is not None, 5)

    # A handler whose answer meets the same garbage: the traceback in the log quotes the URL.
    emulator.garble_next(1, "status", chat_id=LAN, methods=["sendMessage"])
    await school["lan"].send("/trogiup")
    await emulator.wait_until(
        lambda: any(r.name.endswith("routers.errors") for r in caplog.records), 5
    )

    files = sent_files(emulator)
    csv_name = next(name for name in files if name.endswith("-undelivered.csv"))
    assert "uncertain" in files[csv_name]
    for name, text in files.items():
        assert_no_token(f"the file {name}", text)
    for table, text in (await database_texts(offline.storage.engine)).items():
        assert_no_token(f"the table {table}", text)
    assert_no_token("a message the bot sent", sent_texts(emulator))
    assert "Traceback" in logs.text and "ClientResponseError" in logs.text
    assert_no_token("the log of setup_logging", logs.text)
    assert_no_token("the captured log", caplog.text)
    assert_no_token("the captured records", "\n".join(r.getMessage() for r in caplog.records))
