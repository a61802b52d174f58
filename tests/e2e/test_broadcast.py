"""End-to-end `/phatbai`: units, content, options, preview, confirm, the sender, the status
message, acknowledgments, cancelling and blocked members, through the Bot API emulator."""

from __future__ import annotations

import csv
import io
import struct
import time
import zlib
from collections.abc import AsyncIterator

import pytest
from sqlmodel import col, select

from bot.chat_driver import ChatDriver
from bot.emulator import Emulator, SentMessage
from bot.emulator.media import photo_sizes
from bot.offline import OfflineBot
from bot.settings import Settings
from bot.storage import ledger
from bot.storage.models import Role, User
from bot.storage.models_delivery import Broadcast, Delivery
from tests.e2e.helpers import World, add_invite, consent, join

TRAINER, LAN, MINH, HOA, BINH = 810001, 810002, 810003, 810004, 810005
TEXT = "Sáng thứ Hai diễn tập phòng cháy chữa cháy lúc 7 giờ 30 tại sân trường."


@pytest.fixture
async def offline(settings: Settings, emulator: Emulator) -> AsyncIterator[OfflineBot]:
    bot = await OfflineBot.start(settings, emulator=emulator, broadcast_watch_interval=0.2)
    yield bot
    await bot.stop()


@pytest.fixture
async def school(offline: OfflineBot, world: World) -> dict[str, ChatDriver]:
    """A trainer of the school; Lan in the school, Minh in class 10A1 and the school, Hoa in
    another unit, Binh who never agreed to the notice."""
    async with offline.storage.sessionmaker() as session:
        await add_invite(session, "GV-A", world.unit, Role.TRAINER)
    chats = {
        "trainer": offline.chat(TRAINER, first_name="Thầy Nam", language_code="en"),
        "lan": offline.chat(LAN, first_name="Lan"),
        "minh": offline.chat(MINH, first_name="Minh"),
        "hoa": offline.chat(HOA, first_name="Hoa"),
        "binh": offline.chat(BINH, first_name="Bình"),
    }
    await join(chats["trainer"], "GV-A")
    await join(chats["lan"], "HS-A")
    await join(chats["minh"], "HS-10A1")
    await chats["minh"].send("/start HS-A")
    await join(chats["hoa"], "HS-B")
    await chats["binh"].send("/start HS-A")  # the notice, never agreed to
    return chats


async def compose(trainer: ChatDriver, *, units: list[str], text: str = TEXT) -> None:
    await trainer.send("/phatbai")
    for unit in units:
        await trainer.press(unit)
    await trainer.press("Next")
    await trainer.send(text)


async def wait_text(
    emulator: Emulator, chat_id: int, needle: str, within: float = 10
) -> SentMessage:
    def found() -> SentMessage | None:
        for message in reversed(emulator.messages(chat_id)):
            if needle in (message.text or message.caption or ""):
                return message
        return None

    await emulator.wait_until(lambda: found() is not None, within)
    message = found()
    assert message is not None
    return message


async def test_preview_confirm_deliver_and_acknowledge(
    offline: OfflineBot, emulator: Emulator, school: dict[str, ChatDriver], world: World
) -> None:
    trainer = school["trainer"]
    await compose(trainer, units=["Trường THPT A"])
    options = trainer.last_with_buttons()
    assert options is not None and "Recipients: 2" in (options.text or "")
    await trainer.press("Ask to acknowledge")
    replies = await trainer.press("Preview")
    preview, confirm = replies[-2], replies[-1]
    assert preview.text == TEXT
    assert [label for row in preview.buttons() for label, _ in row] == ["✅ I have read it"]
    assert "exactly what the recipients will see" in (confirm.text or "")
    before = {c: len(emulator.messages(c)) for c in (LAN, MINH, HOA, BINH)}
    await trainer.press("✅ Send")
    got = await wait_text(emulator, LAN, TEXT)
    await wait_text(emulator, MINH, TEXT)
    assert [[label for label, _ in row] for row in got.buttons()] == [["✅ Đã đọc"]]
    report = await wait_text(emulator, TRAINER, "Report of broadcast")
    assert "Delivered: 2 of 2" in (report.text or "")
    status = await wait_text(emulator, TRAINER, "finished")
    assert "Sent: 2/2" in (status.text or "")
    after = {c: len(emulator.messages(c)) for c in (LAN, MINH, HOA, BINH)}
    assert {c: after[c] - before[c] for c in after} == {LAN: 1, MINH: 1, HOA: 0, BINH: 0}

    lan = school["lan"]
    answer = await lan.press("✅", got)
    assert answer and answer[-1].buttons() == []
    async with offline.storage.sessionmaker() as session:
        acks = await ledger.count(session, kind=ledger.EventKind.BROADCAST_ACK, user_id=LAN)
        delivered = await ledger.count(session, kind=ledger.EventKind.BROADCAST_DELIVERED)
        minh_units = await ledger.count(
            session, kind=ledger.EventKind.BROADCAST_DELIVERED, user_id=MINH
        )
    assert acks == 1
    assert delivered == 3  # Lan once; Minh once per unit (the school and 10A1)
    assert minh_units == 2
    assert emulator.violations == []


async def test_a_scheduled_broadcast_can_be_cancelled_before_it_goes(
    offline: OfflineBot, emulator: Emulator, school: dict[str, ChatDriver]
) -> None:
    trainer = school["trainer"]
    await compose(trainer, units=["Lớp 10A1"])
    await trainer.press("Send later")
    await trainer.send("25/12/2099 08:00")
    assert "Sending at 08:00 25/12/2099" in trainer.last_text()
    await trainer.press("Preview")
    before = len(emulator.messages(MINH))
    await trainer.press("✅ Send")
    status = await wait_text(emulator, TRAINER, "Scheduled for 08:00 25/12/2099")
    await trainer.press("Cancel the rest", status)
    assert "Messages not sent: 1" in emulator.callback_answers[
        list(emulator.callback_answers)[-1]
    ].get("text", "")
    report = await wait_text(emulator, TRAINER, "Report of broadcast")
    assert "Cancelled: 1" in (report.text or "")
    assert len(emulator.messages(MINH)) == before
    async with offline.storage.sessionmaker() as session:
        [broadcast] = (await session.exec(select(Broadcast))).all()
    assert broadcast.status == "cancelled" and broadcast.finished_at is not None
    assert emulator.violations == []


async def test_dropping_the_draft_writes_nothing(
    offline: OfflineBot, emulator: Emulator, school: dict[str, ChatDriver]
) -> None:
    trainer = school["trainer"]
    await compose(trainer, units=["Trường THPT A"])
    await trainer.press("Cancel")
    assert "nothing was sent" in trainer.last_text()
    async with offline.storage.sessionmaker() as session:
        assert (await session.exec(select(Delivery))).all() == []
    assert emulator.violations == []


async def test_blocked_members_are_reported_and_marked_unreachable(
    offline: OfflineBot, emulator: Emulator, school: dict[str, ChatDriver]
) -> None:
    emulator.block(MINH)
    trainer = school["trainer"]
    await compose(trainer, units=["Trường THPT A"])
    await trainer.press("Preview")
    await trainer.press("✅ Send")
    report = await wait_text(emulator, TRAINER, "Report of broadcast")
    assert "Delivered: 1 of 2" in (report.text or "")
    assert "Blocked the bot: 1" in (report.text or "")
    await emulator.wait_until(lambda: emulator.messages(TRAINER)[-1].document is not None, 5)
    document = emulator.messages(TRAINER)[-1]
    rows = list(csv.reader(io.StringIO((document.document or b"").decode("utf-8-sig"))))
    assert rows[0] == ["telegram_id", "name", "username", "status", "error"]
    assert [(r[0], r[1], r[3]) for r in rows[1:]] == [(str(MINH), "Minh", "blocked")]
    async with offline.storage.sessionmaker() as session:
        minh = await session.get(User, MINH)
        sends = (await session.exec(select(Delivery).where(col(Delivery.chat_id) == MINH))).all()
    assert minh is not None and minh.unreachable_at is not None
    assert [d.status for d in sends] == ["blocked"] and sends[0].attempts == 1
    assert emulator.violations == []


async def test_a_photo_with_a_caption_goes_out_with_the_same_file(
    offline: OfflineBot, emulator: Emulator, school: dict[str, ChatDriver]
) -> None:
    trainer = school["trainer"]
    await trainer.send("/phatbai")
    await trainer.press("Trường THPT A")
    await trainer.press("Next")
    file_id = await send_photo(offline, trainer, "Sơ đồ thoát hiểm")
    await trainer.press("Silent")
    replies = await trainer.press("Preview")
    assert replies[-2].caption == "Sơ đồ thoát hiểm" and replies[-2].method == "sendPhoto"
    await trainer.press("✅ Send")
    got = await wait_text(emulator, LAN, "Sơ đồ thoát hiểm")
    assert got.method == "sendPhoto" and got.payload["photo"]
    sent = [c for c in emulator.calls if c.method == "sendPhoto" and c.params.get("chat_id") == LAN]
    assert sent[-1].params["photo"] == file_id
    assert sent[-1].params.get("disable_notification") is True
    assert emulator.violations == []


async def test_learners_cannot_broadcast(
    offline: OfflineBot, emulator: Emulator, school: dict[str, ChatDriver]
) -> None:
    replies = await school["lan"].send("/phatbai")
    refusal = offline.dispatcher["i18n"].gettext("Only trainers can send broadcasts.", locale="vi")
    assert [r.text for r in replies] == [refusal]
    stranger = offline.chat(820001)
    await consent(stranger)
    assert [r.text for r in await stranger.send("/phatbai")] == [refusal]
    assert emulator.violations == []


def _png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00" + b"\xff\x00\x00" * 2 + b"\x00" + b"\x00\xff\x00" * 2)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


async def send_photo(offline: OfflineBot, chat: ChatDriver, caption: str) -> str:
    """The person sends a photo with a caption (the emulator's actors only write text)."""
    state = offline.emulator.state
    bot = state.bot(None)
    sizes = photo_sizes(state, _png(), "so-do.png", "image/png", None)
    user = state.users[chat.user_id]
    message = {
        "message_id": bot.take_message_id(chat.chat_id),
        "from": user.as_user(),
        "chat": state.chats[chat.chat_id].as_chat(),
        "date": int(time.time()),
        "photo": sizes,
        "caption": caption,
    }
    bot.user_messages[(chat.chat_id, message["message_id"])] = message
    state.queue_update(bot, "message", message)
    await chat.tracker.queued(chat.timeout)
    return str(sizes[-1]["file_id"])
