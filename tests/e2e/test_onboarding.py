"""First contact through the emulator: consent gate, invites, language, help, unknown input."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from sqlmodel import select

from bot.offline import OfflineBot
from bot.storage import ledger
from bot.storage.clock import utcnow
from bot.storage.models import Membership, ParticipationEvent, Role, User
from tests.e2e.helpers import World, add_invite, answer_age, consent


async def test_start_shows_welcome_and_consent_buttons(offline: OfflineBot) -> None:
    chat = offline.chat(1001)
    replies = await chat.send("/start")
    assert "Cảnh Giác" in replies[0].text
    buttons = [text for row in replies[-1].buttons() for text, _ in row]
    assert buttons == ["✅ Tôi đồng ý", "✖️ Không, cảm ơn"]
    async with offline.storage.sessionmaker() as session:
        user = await session.get(User, 1001)
        assert user is not None and user.first_name is None and user.consent_at is None


async def test_nothing_is_logged_before_consent(offline: OfflineBot, world: World) -> None:
    chat = offline.chat(1002)
    await chat.send("/start HS-A")
    replies = await chat.send("chỉ thị 07")
    assert "Tôi đồng ý" in str(replies[-1].buttons())  # the notice again, not a search
    async with offline.storage.sessionmaker() as session:
        assert (await session.exec(select(Membership))).all() == []
        assert (await session.exec(select(ParticipationEvent))).all() == []

    await chat.press("✅")
    await answer_age(chat, minor=False)  # agreeing completes the pending invite
    assert "Trường THPT A" in chat.last_text()
    async with offline.storage.sessionmaker() as session:
        assert await ledger.count(session, kind="enrolled", unit_id=world.unit.id) == 1
        user = await session.get(User, 1002)
        assert user is not None and user.first_name == "Lan"


async def test_declining_records_nothing(offline: OfflineBot, world: World) -> None:
    chat = offline.chat(1003)
    await chat.send("/start HS-A")
    replies = await chat.press("✖️")
    assert "không có thông tin nào" in replies[-1].text
    async with offline.storage.sessionmaker() as session:
        user = await session.get(User, 1003)
        assert user is not None and user.consent_at is None and user.pending_start is None
        assert (await session.exec(select(Membership))).all() == []


async def test_invite_codes_good_bad_expired_used_up(offline: OfflineBot, world: World) -> None:
    async with offline.storage.sessionmaker() as session:
        await add_invite(session, "CU", world.unit, expires_at=utcnow() - timedelta(hours=1))
        await add_invite(session, "MOT-LAN", world.unit, Role.TRAINER, uses_left=1)
    first, second = offline.chat(1004), offline.chat(1005)
    await consent(first)
    await consent(second)

    assert "đã tham gia" in (await first.send("/start HS-A"))[-1].text
    assert "đã là thành viên" in (await first.send("/start hs-a"))[-1].text
    assert "không tìm thấy mã mời" in (await first.send("/start KHONG-CO"))[-1].text
    assert "hết hạn" in (await second.send("/start CU"))[-1].text
    assert "giảng viên" in (await first.send("/start MOT-LAN"))[-1].text
    assert "hết lượt" in (await second.send("/start MOT-LAN"))[-1].text

    async with offline.storage.sessionmaker() as session:
        roles = {(m.user_id, m.role) for m in (await session.exec(select(Membership))).all()}
    assert roles == {(1004, "learner"), (1004, "trainer")}


async def test_language_switch_changes_replies(offline: OfflineBot) -> None:
    chat = offline.chat(1006)
    await consent(chat)
    await chat.send("/language")
    replies = await chat.press("English")
    assert "English" in replies[-1].text
    assert offline.emulator.callback_answers  # the button was answered
    help_text = (await chat.send("/help"))[-1].text
    assert "What I can do for you" in help_text and "/lessons" in help_text


async def test_unknown_command_and_help(offline: OfflineBot) -> None:
    chat = offline.chat(1007)
    await consent(chat)
    assert "không biết lệnh này" in (await chat.send("/khongcolenhnay"))[-1].text
    help_text = (await chat.send("/trogiup"))[-1].text
    assert "/baihoc" in help_text and "/thongke" not in help_text


async def test_forget_me_erases_personal_fields(offline: OfflineBot, world: World) -> None:
    chat = offline.chat(1008)
    await consent(chat)
    await chat.send("/start HS-A")
    await chat.send("/riengtu")
    await chat.press("🗑")
    await chat.press("Có, xoá")  # either tone placement finds the button
    async with offline.storage.sessionmaker() as session:
        assert await session.get(User, 1008) is None  # the person is gone
        memberships = (await session.exec(select(Membership))).all()
        assert memberships and all(m.until is not None and m.user_id < 0 for m in memberships)
        assert await ledger.count(session, kind="enrolled") == 1  # counts stay


async def test_a_tap_on_a_button_the_first_tap_removed_is_no_error(
    offline: OfflineBot, caplog: pytest.LogCaptureFixture
) -> None:
    """Two taps on "I agree": the first removes the buttons and asks the age, the second finds
    nothing left to change; nobody is told that something went wrong."""
    chat = offline.chat(1010)
    await chat.send("/start")
    notice = chat.last_with_buttons()
    assert notice is not None
    agree = next(data for row in notice.buttons() for text, data in row if "✅" in text and data)
    caplog.set_level(logging.INFO)
    await chat.press_data(notice, agree)
    await chat.press_data(notice, agree, forged=True)
    texts = [m.text or "" for m in offline.emulator.messages(1010)]
    assert sum("dưới 18 tuổi?" in text for text in texts) == 1, texts
    assert not any("lỗi" in text.lower() for text in texts), texts
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
