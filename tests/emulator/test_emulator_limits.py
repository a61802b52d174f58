"""Rate limits answer 429 with an honest retry_after; injected faults and latency."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest
from aiogram import Bot
from aiogram.exceptions import (
    ClientDecodeError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)

from bot.emulator import Emulator, RateLimits
from bot.emulator.limits import RateLimiter

from .helpers import TOKEN, USER, CallApi

GROUP = -1001234567890


def test_private_chat_allows_a_burst_then_one_per_second() -> None:
    limiter = RateLimiter(RateLimits(global_per_second=None, private_per_second=1, private_burst=3))
    assert [limiter.acquire(1, USER, True, 100.0) for _ in range(3)] == [None, None, None]
    assert limiter.acquire(1, USER, True, 100.0) == 1
    assert limiter.acquire(1, USER, True, 100.4) == 1
    assert limiter.acquire(1, USER, True, 101.0) is None
    assert limiter.acquire(1, USER + 1, True, 101.0) is None


def test_group_window_gives_the_seconds_until_a_slot_frees() -> None:
    limiter = RateLimiter(RateLimits(global_per_second=None, group_per_minute=20))
    for second in range(20):
        assert limiter.acquire(1, GROUP, False, 1000.0 + second) is None
    assert limiter.acquire(1, GROUP, False, 1020.0) == 40
    assert limiter.acquire(1, GROUP, False, 1059.5) == 1
    assert limiter.acquire(1, GROUP, False, 1060.0) is None


def test_global_limit_spans_chats_and_bots_are_separate() -> None:
    limiter = RateLimiter(RateLimits(global_per_second=30, private_per_second=None))
    for chat in range(30):
        assert limiter.acquire(1, chat, True, 5.0) is None
    assert limiter.acquire(1, 99, True, 5.5) == 1
    assert limiter.acquire(2, 99, True, 5.5) is None
    assert limiter.acquire(1, 99, True, 6.0) is None


async def test_over_the_limit_is_429_with_retry_after(emu: Emulator, call: CallApi) -> None:
    emu.set_rate_limits(RateLimits(global_per_second=None, private_per_second=1, private_burst=2))
    statuses = [(await call("sendMessage", chat_id=USER, text=str(n)))[0] for n in range(2)]
    status, body = await call("sendMessage", chat_id=USER, text="quá nhanh")
    assert statuses == [200, 200]
    assert status == 429
    assert body == {
        "ok": False,
        "error_code": 429,
        "description": "Too Many Requests: retry after 1",
        "parameters": {"retry_after": 1},
    }
    assert emu.counters.too_many_requests == 1
    assert emu.counters.accepted_per_chat[USER] == 2
    assert len(emu.messages(USER)) == 2
    assert emu.violations == []
    emu.set_rate_limits(None)
    assert (await call("sendMessage", chat_id=USER, text="ok"))[0] == 200


async def test_aiogram_sees_retry_after_for_a_busy_group(emu: Emulator, bot: Bot) -> None:
    emu.add_group(GROUP, "Toàn công ty")
    emu.set_rate_limits(RateLimits(group_per_minute=20))
    for n in range(20):
        await bot.send_message(GROUP, f"Thông báo {n}")
    with pytest.raises(TelegramRetryAfter) as caught:
        await bot.send_message(GROUP, "một tin nữa")
    assert 55 <= caught.value.retry_after <= 60


async def test_fail_next_answers_server_errors_without_effect(emu: Emulator, call: CallApi) -> None:
    emu.fail_next(2, status=502)
    assert (await call("getUpdates"))[0] == 200
    status, body = await call("sendMessage", chat_id=USER, text="a")
    assert (status, body["description"]) == (502, "Bad Gateway")
    assert (await call("sendMessage", chat_id=USER, text="b"))[0] == 502
    assert (await call("sendMessage", chat_id=USER, text="c"))[0] == 200
    assert [m.text for m in emu.messages(USER)] == ["c"]
    assert emu.stats()["faults_injected"] == 2


async def test_fail_next_for_one_chat(emu: Emulator, bot: Bot) -> None:
    emu.add_user(2002, "Bình")
    emu.fail_next(1, status=500, chat_id=2002)
    await bot.send_message(USER, "không ảnh hưởng")
    with pytest.raises(TelegramServerError):
        await bot.send_message(2002, "lỗi")
    await bot.send_message(2002, "lần hai")
    assert [m.text for m in emu.messages(2002)] == ["lần hai"]


async def test_latency_delays_answers(emu: Emulator, call: CallApi) -> None:
    emu.set_latency(120)
    loop = asyncio.get_running_loop()
    started = loop.time()
    await call("getMe")
    assert loop.time() - started >= 0.11
    emu.set_latency(0)


async def test_lost_answer_after_delivery_makes_a_duplicate(
    emu: Emulator, http: aiohttp.ClientSession
) -> None:
    """A send whose answer never arrives, retried by the client, is delivered twice."""
    emu.hang_next(1, chat_id=USER, deliver=True)
    url = f"{emu.base_url}/bot{TOKEN}/sendMessage"
    payload = {"chat_id": USER, "text": "Nhắc nhở học bài"}
    with pytest.raises(asyncio.TimeoutError):
        async with http.post(url, json=payload, timeout=aiohttp.ClientTimeout(total=0.2)):
            pass
    async with http.post(url, json=payload) as response:
        assert response.status == 200
    assert emu.counters.accepted_per_chat[USER] == 2
    assert [m.text for m in emu.messages(USER)] == ["Nhắc nhở học bài"] * 2


async def test_hang_without_delivery_has_no_effect(emu: Emulator, call: CallApi) -> None:
    emu.hang_next(1, seconds=0.1)
    status, _ = await call("sendMessage", chat_id=USER, text="x")
    assert status == 504
    assert emu.messages(USER) == []


async def test_garbled_answers_reach_aiogram_as_client_errors(emu: Emulator, bot: Bot) -> None:
    emu.garble_next(1, "status", chat_id=USER)
    emu.garble_next(1, "json", chat_id=USER)
    emu.garble_next(1, "html", chat_id=USER)
    with pytest.raises(TelegramNetworkError) as unparsable:
        await bot.send_message(USER, "một")
    assert "ClientResponseError" in unparsable.value.message
    for _ in range(2):
        with pytest.raises(ClientDecodeError):
            await bot.send_message(USER, "hai")
    await bot.send_message(USER, "ba")
    assert [m.text for m in emu.messages(USER)] == ["ba"]
    assert emu.stats()["faults_injected"] == 3
    assert [c.description for c in emu.calls if c.status == 0] == [
        "garbled answer (status)",
        "garbled answer (json)",
        "garbled answer (html)",
    ]
    with pytest.raises(ValueError):
        emu.garble_next(1, "binary")
