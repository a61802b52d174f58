"""Robustness: thousands of random and hostile updates, through the real bot and the emulator.

Passes when no handler raised (the error handler logged nothing), the emulator recorded no
violation of the Bot API (checked by the `emulator` fixture), and the bot still answers.

`FUZZ_UPDATES` sets how many updates a run sends per database (default 600, enough for every
run of the suite; `FUZZ_UPDATES=10000 python -m pytest tests/e2e/test_fuzz.py` for a long run).
"""

from __future__ import annotations

import asyncio
import logging
import math
import os
from collections.abc import Coroutine
from typing import Any, TypeVar

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.offline import OfflineBot
from tests.e2e.fuzz_cast import GROUP, Act, Cast, Screen, action, assemble, choice
from tests.e2e.helpers import World

UPDATES = int(os.environ.get("FUZZ_UPDATES", "600"))
PER_EXAMPLE = 40
ERROR_LOGGERS = ("bot.telegram.routers.errors", "aiogram.event", "aiogram.dispatcher")
T = TypeVar("T")


def _queued(offline: OfflineBot) -> int:
    return offline.emulator.state.bot().next_update_id


class Stage:
    """Runs Hypothesis in a worker thread; everything touching the bot runs on the test's loop."""

    def __init__(self, offline: OfflineBot, cast: Cast, loop: asyncio.AbstractEventLoop) -> None:
        self.offline = offline
        self.cast = cast
        self.loop = loop
        self.sent = 0

    def on_loop(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout=120)

    async def screen(self) -> Screen:
        chats = [p.user_id for p in self.cast.people] + [GROUP]
        return Screen.of(self.offline.emulator, chats)

    async def fire(self, acts: list[Act]) -> int:
        """Every action of a batch at once, then wait until the bot has handled them all."""
        before = _queued(self.offline)
        for act in acts:
            act(self.offline.emulator)
        queued = _queued(self.offline) - before
        self.offline.tracker.expected += queued
        await self.offline.tracker.wait_for(self.offline.tracker.expected, within=60)
        self.sent += queued
        return queued

    def play(self, data: st.DataObject) -> None:
        """One example: batches of one to six actions drawn from what is on screen, until they
        have made `PER_EXAMPLE` updates (some make none: a channel post the bot did not ask for)."""
        done = acted = 0
        while done < PER_EXAMPLE and acted < 3 * PER_EXAMPLE:
            screen = self.on_loop(self.screen())
            size = data.draw(st.integers(min_value=1, max_value=6), label="batch")
            choices = [data.draw(choice(self.cast.commands)) for _ in range(size)]
            acts = [action(screen, self.cast, c) for c in choices]
            done += self.on_loop(self.fire(acts))
            acted += size


@pytest.mark.slow
async def test_random_updates_never_crash_the_bot(
    offline: OfflineBot, world: World, caplog: pytest.LogCaptureFixture
) -> None:
    cast = await assemble(offline, world.unit)
    caplog.set_level(logging.ERROR)
    stage = Stage(offline, cast, asyncio.get_running_loop())

    @settings(
        max_examples=math.ceil(UPDATES / PER_EXAMPLE),
        deadline=None,
        derandomize=os.environ.get("CI") == "true",
        suppress_health_check=list(HealthCheck),
        database=None,
    )
    @given(data=st.data())
    def run(data: st.DataObject) -> None:
        stage.play(data)

    await asyncio.to_thread(run)

    failures = [r for r in caplog.records if r.name.startswith(ERROR_LOGGERS)]
    assert failures == [], [r.getMessage() for r in failures][:10]
    assert stage.sent >= UPDATES, stage.sent

    # Still answering: a learner asks for help and gets it.
    learner = offline.chat(5103, first_name="Lan")
    offline.emulator.unblock(5103)
    replies = await learner.send("/trogiup")
    assert replies and replies[-1].text
