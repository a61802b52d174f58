"""Input that used to crash a handler gets a clear answer instead: dates outside 1970–2100,
forged period codes, and messages without a real user (anonymous group admins, channels)."""

from __future__ import annotations

import logging

import pytest

from bot.chat_driver import ChatDriver
from bot.emulator import Emulator
from bot.offline import OfflineBot
from bot.storage.models import Role
from bot.telegram.callbacks import HonourCb, StatsCb
from tests.e2e.helpers import World, add_invite, join

OFFICER, LEARNER = 860001, 860002
GROUP = -1008600000001
CHANNEL = -1008600000002


def failures(caplog: pytest.LogCaptureFixture) -> list[str]:
    """What the last-resort error handler caught: a handler that crashed."""
    return [r.getMessage() for r in caplog.records if r.name == "bot.telegram.routers.errors"]


@pytest.fixture
async def officer(offline: OfflineBot, world: World) -> ChatDriver:
    async with offline.storage.sessionmaker() as session:
        await add_invite(session, "CB-A", world.unit, Role.OFFICER)
    driver = offline.chat(OFFICER, first_name="Hoa", language_code="en")
    await join(driver, "CB-A")
    return driver


@pytest.mark.parametrize(
    "command",
    [
        "/thongke 01/01/0001-02/01/0001",
        "/thongke 01/12/9999-31/12/9999",
        "/thongke TRUONG-A 01/12/9999-31/12/9999",
        "/vinhdanh 01/12/9999-31/12/9999",
        "/vinhdanh 01/01/0001-02/01/0001",
    ],
)
async def test_dates_outside_the_range_get_a_clear_answer(
    officer: ChatDriver, caplog: pytest.LogCaptureFixture, command: str
) -> None:
    replies = await officer.send(command)
    assert [r.text for r in replies] == [
        "Dates must lie between 01/01/1970 and 31/12/2100. Write tháng, quý, năm, năm trước, "
        "or dd/mm/yyyy-dd/mm/yyyy, e.g. /thongke 01/01/2026-31/03/2026."
    ]
    assert failures(caplog) == []


async def test_forged_period_codes_are_stale_buttons(
    offline: OfflineBot,
    emulator: Emulator,
    officer: ChatDriver,
    world: World,
    caplog: pytest.LogCaptureFixture,
) -> None:
    table = (await officer.send("/thongke"))[-1]
    unit = world.unit.id
    assert unit is not None
    for data in (
        StatsCb(act="show", unit=unit, period="c3652058-3652059", page=0).pack(),
        StatsCb(act="xlsx", unit=unit, period="c1-2", page=0).pack(),
        HonourCb(unit=unit, period="c3652058-3652059").pack(),
    ):
        await officer.press_data(table, data, forged=True)
        answer = emulator.callback_answers[list(emulator.callback_answers)[-1]]
        assert answer.get("text") == "This button is no longer active."
    assert failures(caplog) == []
    assert not any("went wrong" in (m.text or "") for m in emulator.messages(OFFICER))


@pytest.mark.parametrize("sender", ["anonymous admin", "channel"])
async def test_messages_without_a_real_user_get_a_polite_refusal(
    offline: OfflineBot,
    emulator: Emulator,
    world: World,
    caplog: pytest.LogCaptureFixture,
    sender: str,
) -> None:
    emulator.add_group(GROUP, "Lớp 10A1")
    learner = offline.chat(LEARNER, first_name="Lan", language_code="vi")
    await join(learner, "HS-A")
    sender_chat = None if sender == "anonymous admin" else CHANNEL
    for text in ("/thongke", "/riengtu", "/vinhdanh", "/start HS-A", "/bangxephang", "/trogiup"):
        before = len(emulator.messages(GROUP))
        emulator.send_anonymous(GROUP, text, sender_chat_id=sender_chat)
        await learner.tracker.queued()
        replies = emulator.messages(GROUP)[before:]
        assert [r.text for r in replies] == [
            "Tôi không nhận lệnh từ người gửi ẩn danh hay từ kênh. Hãy gửi lệnh bằng tài khoản "
            "Telegram của chính bạn (tắt chế độ quản trị viên ẩn danh) hoặc nhắn riêng cho tôi."
        ], text
    before = len(emulator.messages(GROUP))
    emulator.send_anonymous(GROUP, "Chào cả lớp", sender_chat_id=sender_chat)
    await learner.tracker.queued()
    assert emulator.messages(GROUP)[before:] == []  # plain talk gets no answer
    assert failures(caplog) == []
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
