"""Reading explainers through the emulator: browse, page, "I have read", deep links, search."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from bot.offline import OfflineBot
from bot.storage import ledger
from bot.storage.models import LessonView
from tests.e2e.helpers import World, join


async def _backdate_views(offline: OfflineBot, user_id: int, by: timedelta) -> None:
    """Pretend the reader opened the explainer `by` ago (the minimum reading time)."""
    async with offline.storage.sessionmaker() as session:
        views = (await session.exec(select(LessonView).where(LessonView.user_id == user_id))).all()
        assert views
        for view in views:
            view.opened_at -= by
        await session.commit()


async def test_read_an_explainer_and_mark_it_read_once(offline: OfflineBot, world: World) -> None:
    chat = offline.chat(2001)
    await join(chat, "HS-10A1")
    await chat.send("/baihoc")
    await chat.press("Chỉ thị 07/CT-BCA-V28")
    page = (await chat.press("Chỉ thị 07"))[-1]
    assert "Chỉ thị 07/CT-BCA-V28" in page.text and "1/" in str(page.buttons())

    # Jump to the last page through the table of contents.
    await chat.press("☰")
    toc = chat.last_with_buttons()
    assert toc is not None
    last_section = [text for row in toc.buttons() for text, _ in row][-2]
    final = (await chat.press(last_section))[-1]
    while "Tiếp ▶" in str(final.buttons()):
        final = (await chat.press("Tiếp ▶"))[-1]
    assert "✅ Đã đọc" in str(final.buttons())

    await chat.press("✅ Đã đọc")  # too early
    answer = list(offline.emulator.callback_answers.values())[-1]
    assert "đọc thêm" in answer["text"]
    async with offline.storage.sessionmaker() as session:
        assert await ledger.count(session, kind="lesson_read") == 0

    await _backdate_views(offline, 2001, timedelta(hours=1))
    await chat.press("✅ Đã đọc")
    await chat.press("✅ Đã đọc")
    answers = [a.get("text", "") for a in offline.emulator.callback_answers.values()][-2:]
    assert "Đã ghi nhận" in answers[0] and "rồi" in answers[1]
    async with offline.storage.sessionmaker() as session:
        assert await ledger.count(session, kind="lesson_read", unit_id=world.child.id) == 1
        assert await ledger.count(session, kind="lesson_read", unit_id=world.unit.id) == 0
        assert await ledger.count(session, kind="lesson_read", ref="chi-thi-07") == 1


async def test_deep_link_opens_the_explainer(offline: OfflineBot, world: World) -> None:
    chat = offline.chat(2002)
    await join(chat, "HS-A")
    replies = await chat.send("/start doc-tt-124-2021")
    assert "124/2021" in replies[-1].text or "Thông tư 124" in replies[-1].text


async def test_search_by_free_text_and_command(offline: OfflineBot, world: World) -> None:
    chat = offline.chat(2003)
    await join(chat, "HS-A")
    results = (await chat.send("chi thi 48"))[-1]
    first_button = results.buttons()[0][0][0]
    assert "48" in first_button
    nothing = (await chat.send("/timkiem qwertyuiopzxcv"))[-1]
    assert "không tìm thấy" in nothing.text.lower() and nothing.buttons()
    empty = (await chat.send("/timkiem"))[-1]
    assert "/timkiem" in empty.text


async def test_a_replaced_explainer_opens_under_its_successor_banner(
    offline: OfflineBot, world: World
) -> None:
    chat = offline.chat(2004)
    await join(chat, "HS-A")
    first = (await chat.send("/start doc-tt-23-2012"))[-1]
    assert "Văn bản này đã được thay thế bởi Thông tư 124/2021/TT-BCA" in first.text
    assert "start=doc-tt-124-2021" in (first.html or "")
    following = (await chat.press("Tiếp ▶"))[-1]
    assert "Văn bản này đã được thay thế bởi Thông tư 124/2021/TT-BCA" in following.text
    current = (await chat.send("/start doc-tt-124-2021"))[-1]
    assert "thay thế bởi" not in current.text


async def test_greetings_get_a_pointer_to_help_not_a_search(
    offline: OfflineBot, world: World
) -> None:
    chat = offline.chat(2005)
    await join(chat, "HS-A")
    for greeting in ("xin chào", "Chào bạn!", "hello"):
        reply = (await chat.send(greeting))[-1]
        assert "/trogiup" in reply.text and "Kết quả" not in reply.text, greeting
    results = (await chat.send("chỉ thj 07"))[-1]
    assert "Chỉ thị 07" in results.buttons()[0][0][0]
