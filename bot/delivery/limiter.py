"""Outgoing rate limits: one global pace, one message a second per private chat, 20 a minute
per group. Waiters sleep until their slot; nothing polls.

Slots are reserved in order (first come, first served) and never bunch up: a slot nobody used
is not saved for later, so after a quiet spell the pace does not burst above the rate. Telegram
counts a send when it arrives, not when it left here, and arrivals jitter by a few
milliseconds; `headroom` keeps the global pace that much below the rate so the jitter does not
push a one-second window over it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

PRIVATE_INTERVAL = 1.0  # seconds between two messages to one private chat
GROUP_INTERVAL = 3.0  # 20 messages a minute
DEFAULT_HEADROOM = 0.02
_PRUNE_EVERY = 1024


def is_group(chat_id: int) -> bool:
    """Groups, supergroups and channels have negative ids; people have positive ones."""
    return chat_id < 0


class Limiter:
    """Paces sends globally and per chat; `pause` stops everyone after a 429."""

    def __init__(
        self,
        rate: float,
        *,
        private_interval: float = PRIVATE_INTERVAL,
        group_interval: float = GROUP_INTERVAL,
        headroom: float = DEFAULT_HEADROOM,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = rate
        self.interval = 1.0 / (rate * (1.0 - headroom))
        self.private_interval = private_interval
        self.group_interval = group_interval
        self.clock = clock
        self._next_free = 0.0
        self._paused_until = 0.0
        self._generation = 0  # bumped by `pause`: slots reserved before it are void
        self._chats: dict[int, float] = {}
        self._acquired = 0

    @property
    def paused_for(self) -> float:
        return max(0.0, self._paused_until - self.clock())

    async def acquire(self, chat_id: int) -> None:
        """Return when a message to `chat_id` may go out now."""
        await self._wait_for_chat(chat_id)
        await self._wait_global()
        self._acquired += 1
        if self._acquired % _PRUNE_EVERY == 0:
            self._prune()

    async def _wait_for_chat(self, chat_id: int) -> None:
        now = self.clock()
        gap = self.group_interval if is_group(chat_id) else self.private_interval
        slot = max(now, self._chats.get(chat_id, 0.0))
        self._chats[chat_id] = slot + gap
        if slot > now:
            await asyncio.sleep(slot - now)

    async def _wait_global(self) -> None:
        while True:
            now = self.clock()
            if now < self._paused_until:
                await asyncio.sleep(self._paused_until - now)
                continue
            slot = max(now, self._next_free)
            self._next_free = slot + self.interval
            generation = self._generation
            if slot > now:
                await asyncio.sleep(slot - now)
            if generation == self._generation:
                return

    def pause(self, seconds: float) -> None:
        """Nothing goes out for `seconds` (Telegram said retry_after); waiters queue again."""
        until = self.clock() + seconds
        if until > self._paused_until:
            self._paused_until = until
            self._next_free = until
            self._generation += 1

    def hold_chat(self, chat_id: int, seconds: float) -> None:
        """The next message to `chat_id` waits at least `seconds`."""
        until = self.clock() + seconds
        self._chats[chat_id] = max(self._chats.get(chat_id, 0.0), until)

    def _prune(self) -> None:
        now = self.clock()
        for chat_id in [c for c, free in self._chats.items() if free <= now]:
            del self._chats[chat_id]
