"""Fixtures for the emulator tests: a running emulator, an HTTP client and an aiogram bot."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer

from bot.emulator import Emulator

from .helpers import TOKEN, USER, CallApi


@pytest.fixture
async def emu() -> AsyncIterator[Emulator]:
    emulator = Emulator(check_results=True)
    await emulator.start()
    emulator.add_user(USER, "An", username="an_nguyen")
    try:
        yield emulator
    finally:
        await emulator.stop()


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
def call(emu: Emulator, http: aiohttp.ClientSession) -> CallApi:
    """POST a Bot API call as JSON (or as form data with form=True); returns (status, body)."""

    async def run(
        method: str, token: str = TOKEN, form: bool = False, **params: Any
    ) -> tuple[int, dict[str, Any]]:
        url = f"{emu.base_url}/bot{token}/{method}"
        kwargs: dict[str, Any] = {"data": params} if form else {"json": params}
        async with http.post(url, **kwargs) as response:
            return response.status, await response.json()

    return run


@pytest.fixture
async def bot(emu: Emulator) -> AsyncIterator[Bot]:
    session = AiohttpSession(api=TelegramAPIServer.from_base(emu.base_url))
    telegram_bot = Bot(TOKEN, session=session, default=DefaultBotProperties(parse_mode="HTML"))
    try:
        yield telegram_bot
    finally:
        await session.close()
