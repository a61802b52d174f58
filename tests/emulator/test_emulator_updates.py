"""Long polling with offsets and timeouts, and webhook delivery with its secret header."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.types import Message
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import web

from bot.emulator import Emulator

from .helpers import TOKEN, USER, CallApi


async def test_long_poll_returns_a_new_update_promptly(emu: Emulator, call: CallApi) -> None:
    loop = asyncio.get_running_loop()
    started = loop.time()
    poll = asyncio.create_task(call("getUpdates", timeout=5))
    await asyncio.sleep(0.1)
    emu.send_text(USER, "xin chào")
    status, body = await poll
    assert status == 200
    assert loop.time() - started < 1.0
    assert [u["message"]["text"] for u in body["result"]] == ["xin chào"]


async def test_offset_confirms_and_limit_caps(emu: Emulator, call: CallApi) -> None:
    for n in range(3):
        emu.send_text(USER, f"tin {n}")
    _, body = await call("getUpdates", limit=2)
    ids = [u["update_id"] for u in body["result"]]
    assert len(ids) == 2 and ids[1] == ids[0] + 1
    _, body = await call("getUpdates", offset=ids[1] + 1)
    assert [u["message"]["text"] for u in body["result"]] == ["tin 2"]
    assert emu.pending_updates() == 1
    _, body = await call("getUpdates", offset=body["result"][0]["update_id"] + 1, timeout=0)
    assert body["result"] == [] and emu.pending_updates() == 0


async def test_timeout_expires_with_an_empty_list(call: CallApi) -> None:
    status, body = await call("getUpdates", timeout=1)
    assert (status, body) == (200, {"ok": True, "result": []})


async def test_allowed_updates_filters_new_updates(emu: Emulator, call: CallApi) -> None:
    await call("getUpdates", allowed_updates=["callback_query"])
    emu.send_text(USER, "bị lọc")
    assert emu.pending_updates() == 0
    await call("getUpdates", allowed_updates=[])
    emu.send_text(USER, "qua")
    assert emu.pending_updates() == 1


async def test_second_poller_ends_the_first_with_409(emu: Emulator, call: CallApi) -> None:
    first = asyncio.create_task(call("getUpdates", timeout=5))
    await asyncio.sleep(0.05)
    second = asyncio.create_task(call("getUpdates", timeout=5))
    status, body = await first
    assert status == 409 and "terminated by other getUpdates request" in body["description"]
    emu.send_text(USER, "x")
    status, body = await second
    assert status == 200 and len(body["result"]) == 1
    assert emu.violations == []


@pytest.fixture
async def receiver() -> AsyncIterator[
    tuple[str, list[tuple[dict[str, Any], str | None]], list[int]]
]:
    """A webhook endpoint recording (update, secret header); answers the statuses queued."""
    received: list[tuple[dict[str, Any], str | None]] = []
    statuses: list[int] = []

    async def handle(request: web.Request) -> web.Response:
        received.append(
            (await request.json(), request.headers.get("X-Telegram-Bot-Api-Secret-Token"))
        )
        return web.Response(status=statuses.pop(0) if statuses else 200)

    app = web.Application()
    app.router.add_post("/hook", handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}/hook", received, statuses
    finally:
        await runner.cleanup()


async def test_webhook_delivery_with_secret_and_retries(
    emu: Emulator,
    call: CallApi,
    receiver: tuple[str, list[tuple[dict[str, Any], str | None]], list[int]],
) -> None:
    url, received, statuses = receiver
    emu.send_text(USER, "cũ")
    status, _ = await call(
        "setWebhook", url=url, secret_token="s3cr3t_-X", drop_pending_updates=True
    )
    assert status == 200
    status, body = await call("getUpdates")
    assert status == 409 and "webhook is active" in body["description"]
    statuses.extend([500, 502])
    emu.send_text(USER, "mới")
    await emu.wait_until(lambda: len(received) == 3, timeout=3)
    assert [update["message"]["text"] for update, _ in received] == ["mới"] * 3
    assert {secret for _, secret in received} == {"s3cr3t_-X"}
    await emu.wait_until(lambda: emu.pending_updates() == 0, timeout=1)
    _, info = await call("getWebhookInfo")
    assert info["result"]["url"] == url
    assert (
        "500" in info["result"]["last_error_message"]
        or "502" in info["result"]["last_error_message"]
    )
    assert (await call("deleteWebhook"))[0] == 200
    emu.send_text(USER, "poll again")
    _, body = await call("getUpdates")
    assert body["result"][0]["message"]["text"] == "poll again"
    assert emu.violations == []


async def test_webhook_reply_can_carry_a_method(emu: Emulator, call: CallApi) -> None:
    """aiogram answers a webhook with the handler's method as multipart form data."""
    dispatcher = Dispatcher()

    @dispatcher.message()
    async def echo(message: Message) -> Any:
        return message.answer(f"<b>Đã nhận:</b> {message.text}")

    bot = Bot(TOKEN, default=DefaultBotProperties(parse_mode="HTML"))
    app = web.Application()
    SimpleRequestHandler(dispatcher, bot, handle_in_background=False).register(app, path="/wh")
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        url = f"http://127.0.0.1:{runner.addresses[0][1]}/wh"
        await call("setWebhook", url=url)
        emu.send_text(USER, "báo cáo")
        sent = await emu.wait_for_messages(USER, 1, timeout=3)
        assert sent[0].text == "Đã nhận: báo cáo"
        assert sent[0].entities[0]["type"] == "bold"
    finally:
        await runner.cleanup()
        await bot.session.close()
    assert emu.violations == []
    assert json.loads(json.dumps(emu.stats()))["webhook_deliveries"] == 1


async def test_aiogram_dispatcher_polling_round_trip(emu: Emulator, bot: Bot) -> None:
    dispatcher = Dispatcher()

    @dispatcher.message()
    async def reply(message: Message) -> None:
        await message.answer(f"Bạn viết: {message.text}")

    polling = asyncio.create_task(
        dispatcher.start_polling(
            bot, handle_signals=False, close_bot_session=False, polling_timeout=1
        )
    )
    try:
        emu.send_text(USER, "/start")
        emu.send_text(USER, "xin chào")
        sent = await emu.wait_for_messages(USER, 2, timeout=5)
        assert [m.text for m in sent] == ["Bạn viết: /start", "Bạn viết: xin chào"]
        await emu.wait_until(lambda: emu.pending_updates() == 0, timeout=3)
    finally:
        await dispatcher.stop_polling()
        await polling
    assert emu.violations == []
