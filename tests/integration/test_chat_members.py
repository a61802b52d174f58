"""Group membership asked of the Bot API (the emulator here) and remembered for a while."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer

from bot.emulator import Emulator
from bot.telegram.chat_members import ChatMembers

TOKEN = "123456789:AAbbCCddEEffGGhhIIjjKKllMMnnOOppQQ"
GROUP = -1008800000001
MEMBER, OUTSIDER, UNKNOWN = 1, 2, 3


@pytest.fixture
async def bot() -> AsyncIterator[tuple[Emulator, Bot]]:
    emulator = Emulator(check_results=True)
    await emulator.start()
    emulator.add_group(GROUP, "Lớp 10A1")
    emulator.add_member(GROUP, MEMBER)
    emulator.add_user(OUTSIDER, "Tuấn")
    session = AiohttpSession(api=TelegramAPIServer.from_base(emulator.base_url))
    telegram_bot = Bot(TOKEN, session=session)
    try:
        yield emulator, telegram_bot
    finally:
        await session.close()
        await emulator.stop()
    assert emulator.violations == []


async def test_members_outsiders_and_unknown_people(bot: tuple[Emulator, Bot]) -> None:
    emulator, telegram_bot = bot
    now = [0.0]
    members = ChatMembers(telegram_bot, ttl=60, clock=lambda: now[0])
    assert await members.is_member(GROUP, MEMBER)
    assert not await members.is_member(GROUP, OUTSIDER)
    assert not await members.is_member(GROUP, UNKNOWN)  # Telegram answers 400: not a member
    asked = len([c for c in emulator.calls if c.method == "getChatMember"])

    emulator.state.chats[GROUP].members.discard(MEMBER)  # leaves the group
    assert await members.is_member(GROUP, MEMBER)  # remembered for the ttl
    assert len([c for c in emulator.calls if c.method == "getChatMember"]) == asked
    now[0] = 61
    assert not await members.is_member(GROUP, MEMBER)


async def test_the_cache_stays_small(bot: tuple[Emulator, Bot]) -> None:
    _, telegram_bot = bot
    members = ChatMembers(telegram_bot, size=1)
    assert await members.is_member(GROUP, MEMBER)
    assert not await members.is_member(GROUP, OUTSIDER)
    assert len(members._known) == 1
