"""The limiter's rules on the real clock, with short intervals."""

from __future__ import annotations

import asyncio
import itertools
import time

import pytest

from bot.delivery.limiter import Limiter


async def test_the_pace_spreads_sends_evenly() -> None:
    limiter = Limiter(100, private_interval=0)
    started = time.monotonic()
    for chat in range(21):
        async with limiter.slot(chat):
            pass
    assert time.monotonic() - started >= 0.19
    await asyncio.sleep(0.2)
    # After a quiet spell the unused slots are gone: no burst, the pace starts again from now.
    now = time.monotonic()
    tickets = [limiter.reserve() for _ in range(5)]
    assert tickets[0].slot >= now
    gaps = [later.slot - earlier.slot for earlier, later in itertools.pairwise(tickets)]
    assert gaps == pytest.approx([0.01] * 4)
    for ticket in tickets:
        limiter.forget(ticket)


async def test_a_window_second_counts_from_the_answers() -> None:
    limiter = Limiter(5, private_interval=0)  # a window of 5 sends per second
    starts: list[float] = []
    answers: list[float] = []

    async def send(chat: int) -> None:
        async with limiter.slot(chat):
            starts.append(time.monotonic())
            await asyncio.sleep(0.15)  # a slow answer
        answers.append(time.monotonic())

    await asyncio.gather(*(send(chat) for chat in range(11)))
    starts.sort()
    answers.sort()
    for k in range(len(starts) - 5):
        assert starts[k + 5] >= answers[k] + 0.99


async def test_one_chat_waits_after_its_previous_answer() -> None:
    limiter = Limiter(1000, private_interval=0.2, group_interval=0.4)
    for chat, gap in ((7, 0.2), (-1007, 0.4)):
        async with limiter.slot(chat):
            await asyncio.sleep(0.05)
        answered = time.monotonic()
        async with limiter.slot(chat):
            assert time.monotonic() - answered >= gap - 0.005


async def test_a_chat_queued_behind_a_slow_send_waits_for_its_answer() -> None:
    limiter = Limiter(1000, private_interval=0.2)
    started: list[float] = []
    answered: list[float] = []

    async def send(answer_after: float) -> None:
        async with limiter.slot(7):
            started.append(time.monotonic())
            await asyncio.sleep(answer_after)
            answered.append(time.monotonic())

    await asyncio.gather(send(0.3), send(0.0), send(0.0))
    for previous, following in itertools.pairwise(range(3)):
        assert started[following] - answered[previous] >= 0.2 - 0.005


async def test_a_send_given_up_before_it_went_frees_its_chat() -> None:
    limiter = Limiter(1000, private_interval=0.2)
    limiter.pause(5)  # the first send waits in `begin`, holding chat 7

    async def send() -> None:
        async with limiter.slot(7):
            pass

    waiting = asyncio.create_task(send())
    await asyncio.sleep(0.05)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    await asyncio.wait_for(limiter.chat_turn(7), 0.1)


async def test_a_pause_voids_tickets_and_holds_everyone() -> None:
    limiter = Limiter(1000, private_interval=0)
    ticket = limiter.reserve()
    limiter.pause(0.2)
    assert not await limiter.wait_ready(ticket)
    assert await limiter.begin(ticket, 1) is None
    started = time.monotonic()
    async with limiter.slot(2):
        assert time.monotonic() - started >= 0.19
