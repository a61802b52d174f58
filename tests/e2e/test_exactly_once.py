"""Exactly once, end to end through the Bot API emulator, on SQLite and PostgreSQL: a double or
triple tap of "✅ Send", three taps of the reminder wizard's Create, `/start CODE` sent three
times at once, an update delivered again by a webhook while it is being handled, two first
messages of a new person at once, and an update whose handler failed. Taps and messages are
fired together, before the bot has answered any of them."""

from __future__ import annotations

import asyncio
import copy
import os
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from aiogram import BaseMiddleware, Bot, Dispatcher
from aiogram.fsm.storage.base import DefaultKeyBuilder
from aiogram.fsm.storage.redis import RedisEventIsolation, RedisStorage
from pydantic import SecretStr
from sqlalchemy import func
from sqlmodel import col, select

from bot.chat_driver import ChatDriver, plain_text
from bot.emulator import Emulator, SentMessage
from bot.offline import OFFLINE_TOKEN, OfflineBot
from bot.runtime import open_storage
from bot.settings import Settings
from bot.storage.models import InviteCode, Membership, Role, User
from bot.storage.models_delivery import Broadcast, Delivery
from bot.storage.models_reminders import Reminder
from bot.storage.models_updates import ProcessedUpdate
from bot.telegram.dispatcher import create_bot, create_dispatcher
from tests.e2e.helpers import World, add_invite, consent, join

REDIS_URL = os.environ.get("TEST_REDIS_URL")

TRAINER, LAN, MINH, NEWCOMER = 820001, 820002, 820003, 820004
GROUP = -1008200
TEXT = "Sáng thứ Hai diễn tập phòng cháy chữa cháy lúc 7 giờ 30 tại sân trường."


@pytest.fixture
async def offline(settings: Settings, emulator: Emulator) -> AsyncIterator[OfflineBot]:
    bot = await OfflineBot.start(settings, emulator=emulator, broadcast_watch_interval=0.2)
    yield bot
    await bot.stop()


@pytest.fixture
async def trainer(offline: OfflineBot, world: World) -> ChatDriver:
    """A trainer of the school, whose learners are Lan (school) and Minh (class 10A1)."""
    async with offline.storage.sessionmaker() as session:
        await add_invite(session, "GV-A", world.unit, Role.TRAINER)
    chat = offline.chat(TRAINER, first_name="Thầy Nam", language_code="en")
    await join(chat, "GV-A")
    await join(offline.chat(LAN, first_name="Lan"), "HS-A")
    await join(offline.chat(MINH, first_name="Minh"), "HS-10A1")
    return chat


async def to_confirm(trainer: ChatDriver) -> SentMessage:
    """A text broadcast to the school, previewed: the message with "✅ Send"."""
    await trainer.send("/phatbai")
    await trainer.press("Trường THPT A")
    await trainer.press("Next")
    await trainer.send(TEXT)
    await trainer.press("Preview")
    confirm = trainer.last_with_buttons()
    assert confirm is not None and "✅ Send" in str(confirm.buttons())
    return confirm


def received(emulator: Emulator, chat_id: int) -> int:
    return sum(TEXT in plain_text(m) for m in emulator.messages(chat_id))


async def sent_out(offline: OfflineBot) -> None:
    """Wait until the sender has delivered everything queued."""

    async def settled() -> bool:
        async with offline.storage.sessionmaker() as session:
            waiting = select(func.count()).where(col(Delivery.status).in_(("pending", "sending")))
            return int((await session.exec(waiting)).one()) == 0

    for _ in range(200):
        if await settled():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the outbox did not drain")


async def broadcasts_made(offline: OfflineBot) -> int:
    async with offline.storage.sessionmaker() as session:
        return int((await session.exec(select(func.count()).select_from(Broadcast))).one())


def answer_text(emulator: Emulator, query_id: str) -> str:
    return str(emulator.callback_answers.get(query_id, {}).get("text") or "")


@pytest.mark.parametrize("taps", [2, 3])
async def test_send_tapped_several_times_at_once_broadcasts_once(
    offline: OfflineBot, emulator: Emulator, trainer: ChatDriver, taps: int
) -> None:
    await to_confirm(trainer)
    queries = await trainer.press_together("✅ Send", taps)
    await sent_out(offline)
    assert await broadcasts_made(offline) == 1
    assert (received(emulator, LAN), received(emulator, MINH)) == (1, 1)
    answers = [answer_text(emulator, q) for q in queries]
    assert sum("Already sent" in a for a in answers) == taps - 1, answers
    # One status message, for the one broadcast.
    statuses = [m for m in emulator.messages(TRAINER) if "Cancel the rest" in str(m.buttons())]
    assert len(statuses) == 1


async def test_create_tapped_three_times_at_once_makes_one_reminder(
    offline: OfflineBot, emulator: Emulator, trainer: ChatDriver
) -> None:
    await trainer.send("/nhacnho")
    for prefix in ("rm1:new", "rm1:pick:0", "rm1:aud:0:everyone"):
        await press(trainer, prefix)
    await trainer.send("Các em nhớ đọc Chỉ thị 07 trước thứ Sáu")
    for prefix in ("rm1:link:0:text", "rm1:kind:0:daily"):
        await press(trainer, prefix)
    confirm = (await trainer.send("08:00"))[-1]
    queries = await trainer.press_data_together(confirm, data_of(confirm, "rm1:ok"), 3)
    async with offline.storage.sessionmaker() as session:
        made = (await session.exec(select(Reminder))).all()
    assert len(made) == 1
    answers = [answer_text(emulator, q) for q in queries]
    assert sum("Already created" in a for a in answers) == 2, answers
    assert sum("#" in plain_text(m) and "08:00" in plain_text(m) for m in trainer.changes()) <= 1


def data_of(message: SentMessage, prefix: str) -> str:
    for row in message.buttons():
        for _text, data in row:
            if data and data.startswith(prefix):
                return data
    raise LookupError(f"no button {prefix!r}")


async def press(chat: ChatDriver, prefix: str) -> None:
    target = chat.last_with_buttons()
    assert target is not None
    await chat.press_data(target, data_of(target, prefix))


async def test_a_code_sent_three_times_at_once_enrolls_once(
    offline: OfflineBot, world: World
) -> None:
    async with offline.storage.sessionmaker() as session:
        await add_invite(session, "HAI-LUOT", world.unit, uses_left=2)
    lan = offline.chat(LAN)
    await consent(lan)
    replies = await lan.send_together("/start HAI-LUOT", 3)
    assert len(replies) == 3, [plain_text(m) for m in replies]
    async with offline.storage.sessionmaker() as session:
        active = (
            await session.exec(
                select(Membership).where(Membership.user_id == LAN, col(Membership.until).is_(None))
            )
        ).all()
        invite = (await session.exec(select(InviteCode).where(InviteCode.code == "HAI-LUOT"))).one()
    assert [(m.unit_id, m.role) for m in active] == [(world.unit.id, "learner")]
    assert invite.uses_left == 1


async def test_an_update_delivered_again_while_handled_is_handled_once(
    offline: OfflineBot, emulator: Emulator, trainer: ChatDriver
) -> None:
    """Telegram posts a webhook update again when the answer is slow: the copies arrive while
    the first is being handled (here: one polled, two fed as the webhook handler does)."""
    confirm = await to_confirm(trainer)
    send = data_of(confirm, "bc1:send")
    query = emulator.press_button(TRAINER, TRAINER, confirm.message_id, send)
    [raw] = [copy.deepcopy(u) for u in emulator.updates() if _query_id(u) == query]
    dispatcher, bot = offline.dispatcher, offline.bot
    await asyncio.gather(
        dispatcher.feed_webhook_update(bot, raw),
        dispatcher.feed_webhook_update(bot, raw),
        offline.tracker.queued(),
    )
    await sent_out(offline)
    assert await broadcasts_made(offline) == 1
    assert (received(emulator, LAN), received(emulator, MINH)) == (1, 1)
    assert len(answers_to(emulator, query)) == 1, [
        c.description for c in answers_to(emulator, query)
    ]
    # Delivered once more later (a replay): still nothing.
    await dispatcher.feed_raw_update(bot, raw)
    assert await broadcasts_made(offline) == 1
    assert len(answers_to(emulator, query)) == 1


def answers_to(emulator: Emulator, query: str) -> list[Any]:
    return [
        call
        for call in emulator.calls
        if call.method == "answerCallbackQuery" and call.params.get("callback_query_id") == query
    ]


def _query_id(update: dict[str, Any]) -> str | None:
    return (update.get("callback_query") or {}).get("id")


async def test_a_message_posted_twice_at_once_is_answered_once(
    offline: OfflineBot, emulator: Emulator, world: World
) -> None:
    lan = offline.chat(LAN)
    await join(lan, "HS-A")
    raw = text_update(emulator, LAN, "/trogiup")
    before = len(emulator.messages(LAN))
    await asyncio.gather(
        *(offline.dispatcher.feed_webhook_update(offline.bot, raw) for _ in "ab"),
        offline.tracker.queued(),  # the poller's copy: one of the three is handled
    )
    assert len(emulator.messages(LAN)) == before + 1
    await offline.dispatcher.feed_webhook_update(offline.bot, raw)
    assert len(emulator.messages(LAN)) == before + 1


def text_update(emulator: Emulator, user_id: int, text: str) -> dict[str, Any]:
    """The update Telegram would post for `text`, taken from the emulator before it is polled
    (the poller then handles it too: one more delivery of the same update)."""
    emulator.send_text(user_id, text)
    return copy.deepcopy(emulator.updates()[-1])


async def test_two_first_messages_of_a_new_person_at_once(
    offline: OfflineBot, emulator: Emulator
) -> None:
    """A newcomer writes in a group and in private at the same moment: two chats, so event
    isolation does not order them, and both updates create the person."""
    emulator.add_group(GROUP, "Lớp 10A1")
    emulator.add_user(NEWCOMER, first_name="Tú")
    emulator.add_member(GROUP, NEWCOMER)
    emulator.send_text(NEWCOMER, "/start")
    emulator.send_text(NEWCOMER, "Chào cả lớp", chat_id=GROUP)
    await offline.tracker.queued(count=2)
    async with offline.storage.sessionmaker() as session:
        people = (await session.exec(select(User).where(User.id == NEWCOMER))).all()
    assert len(people) == 1
    said = [plain_text(m) for m in emulator.messages(NEWCOMER)]
    assert said and not any("Xin lỗi" in s for s in said), said


async def test_an_update_whose_handler_failed_is_not_remembered(
    offline: OfflineBot, emulator: Emulator, world: World
) -> None:
    lan = offline.chat(LAN)
    await join(lan, "HS-A")
    before = len(emulator.messages(LAN))
    emulator.fail_next(1, status=500, chat_id=LAN, methods={"sendMessage"})
    raw = text_update(emulator, LAN, "/trogiup")
    await offline.tracker.queued()
    update_id = raw["update_id"]
    # The claim is given back once the failure has passed the tracker on its way out.
    for _ in range(100):
        if not await claimed(offline, update_id):
            break
        await asyncio.sleep(0.02)
    assert not await claimed(offline, update_id)
    # Telegram delivers it again (the webhook answered with an error): now it is handled.
    await asyncio.gather(
        offline.dispatcher.feed_webhook_update(offline.bot, raw), offline.tracker.queued()
    )
    redelivered = plain_text(emulator.messages(LAN)[-1])
    assert await claimed(offline, update_id)
    [fresh] = await lan.send("/trogiup")
    assert redelivered == plain_text(fresh)
    assert len(emulator.messages(LAN)) == before + 3  # "sorry", the help, the help again


async def claimed(offline: OfflineBot, update_id: int) -> bool:
    async with offline.storage.sessionmaker() as session:
        statement = select(ProcessedUpdate).where(ProcessedUpdate.update_id == update_id)
        return (await session.exec(statement)).first() is not None


# Two replicas sharing Redis (FSM storage and event isolation) and one database


@dataclass
class Replica:
    bot: Bot
    dispatcher: Dispatcher
    storage: RedisStorage
    spans: list[tuple[float, float]]


class Span(BaseMiddleware):
    """Records when the replica started and finished handling each update (inside the lock)."""

    def __init__(self, spans: list[tuple[float, float]]) -> None:
        self.spans = spans

    async def __call__(self, handler: Any, event: Any, data: dict[str, Any]) -> Any:
        started = time.monotonic()
        try:
            return await handler(event, data)
        finally:
            self.spans.append((started, time.monotonic()))


@pytest.fixture
async def replicas(settings: Settings, emulator: Emulator) -> AsyncIterator[list[Replica]]:
    if REDIS_URL is None:
        pytest.skip("TEST_REDIS_URL is not set")
    prefix = f"cg-test-{uuid.uuid4().hex[:12]}"
    settings = settings.model_copy(
        update={
            "bot_token": SecretStr(OFFLINE_TOKEN),
            "telegram_api_base": emulator.base_url,
            "redis_url": REDIS_URL,
        }
    )
    storage = await open_storage(settings)
    made: list[Replica] = []
    for _ in range(2):
        fsm = RedisStorage.from_url(REDIS_URL, key_builder=DefaultKeyBuilder(prefix=prefix))
        dispatcher = create_dispatcher(settings, sessionmaker=storage.sessionmaker, storage=fsm)
        assert isinstance(dispatcher.fsm.events_isolation, RedisEventIsolation)
        spans: list[tuple[float, float]] = []
        dispatcher.update.outer_middleware(Span(spans))
        made.append(Replica(create_bot(settings), dispatcher, fsm, spans))
    try:
        yield made
    finally:
        redis = made[0].storage.redis
        async for key in redis.scan_iter(match=f"{prefix}:*"):
            await redis.delete(key)
        for replica in made:
            await replica.storage.close()
            await replica.bot.session.close()
        await storage.engine.dispose()


async def test_two_replicas_handle_a_duplicated_update_once(
    replicas: list[Replica], emulator: Emulator
) -> None:
    emulator.add_user(NEWCOMER, first_name="Tú")
    emulator.send_text(NEWCOMER, "/start")
    raw = copy.deepcopy(emulator.updates()[-1])
    await asyncio.gather(*(r.dispatcher.feed_raw_update(r.bot, raw) for r in replicas))
    # Welcome and the data notice, once.
    assert len(emulator.messages(NEWCOMER)) == 2
    assert sum(len(r.spans) for r in replicas) == 1


async def test_two_replicas_take_one_persons_updates_in_turn(
    replicas: list[Replica], emulator: Emulator
) -> None:
    emulator.add_user(NEWCOMER, first_name="Tú")
    emulator.set_latency(80)  # each answer takes a while: without the lock the two overlap
    raws = []
    for text in ("/start", "/trogiup"):
        emulator.send_text(NEWCOMER, text)
        raws.append(copy.deepcopy(emulator.updates()[-1]))
    await asyncio.gather(
        *(r.dispatcher.feed_raw_update(r.bot, raw) for r, raw in zip(replicas, raws, strict=True))
    )
    [first], [second] = (r.spans for r in replicas)
    earlier, later = sorted([first, second])
    assert earlier[1] <= later[0], "one person's updates ran side by side on two replicas"


async def test_a_bot_restarted_on_its_database_beside_a_new_server_still_answers(
    settings: Settings,
) -> None:
    """The sandbox keeps a database across runs when DATABASE_URL is set: the second run's
    updates are new ones, not the first run's delivered again."""
    for _run in range(2):
        emulator = Emulator(bot_username="canhgiac_test_bot", check_results=True)
        await emulator.start()
        offline = await OfflineBot.start(settings, emulator=emulator)
        try:
            replies = await offline.chat(LAN, first_name="Lan", timeout=5).send("/start")
            assert replies, "the restarted bot did not answer"
        finally:
            await offline.stop()
            await emulator.stop()
        assert emulator.violations == []
