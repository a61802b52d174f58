"""Outgoing rate limits: one global pace, one message a second per private chat, 20 a minute
per group. Waiters sleep until their moment; nothing polls.

Two rules hold the global rate:
- a pace: slots `1/rate` apart, reserved first come, first served; a slot nobody used is
  not saved for later, so after a quiet spell the pace does not burst;
- a window: at most `rate` sends in any second, counted from when each answer came back.
  Telegram counts a send when it arrives, which is after it left and before its answer, so
  a send that left late (a busy machine, a slow network) can crowd the second after it; a
  window over answer times can never be crowded that way, whatever the jitter. A send in
  flight holds its place in the window until its answer.

A chat's next message waits `private_interval` (1 s) or `group_interval` (3 s) after the
previous answer from that chat: `chat_turn` holds the chat from the turn until `finish`, so a
message queued behind another learns its moment only once the answer to that one is back.

Use `async with limiter.slot(chat_id): send(...)`. The sender splits the steps to do its
bookkeeping just before its turn: `chat_turn`, `reserve`, `wait_ready(ticket, lead=…)`,
`begin`, `finish` (or `release_chat` when it decides not to send after all).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

PRIVATE_INTERVAL = 1.0
GROUP_INTERVAL = 3.0  # 20 messages a minute
WINDOW = 1.0  # seconds
_PRUNE_EVERY = 1024


def is_group(chat_id: int) -> bool:
    """Groups, supergroups and channels have negative ids; people have positive ones."""
    return chat_id < 0


@dataclass(frozen=True)
class Ticket:
    """A reserved moment (on the limiter's clock) for one send."""

    slot: float
    generation: int
    seq: int


class InFlight:
    """A send that has begun; `finish` it when its answer (or error) arrives."""

    __slots__ = ("answered_at", "chat_id")

    def __init__(self, chat_id: int) -> None:
        self.chat_id = chat_id
        self.answered_at: float | None = None


class Limiter:
    """Paces sends globally and per chat; `pause` stops everyone after a 429."""

    def __init__(
        self,
        rate: float,
        *,
        private_interval: float = PRIVATE_INTERVAL,
        group_interval: float = GROUP_INTERVAL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = rate
        self.interval = 1.0 / rate
        self.window_size = max(1, int(rate))
        self.private_interval = private_interval
        self.group_interval = group_interval
        self.clock = clock
        self._next_free = 0.0
        self._paused_until = 0.0
        self._generation = 0  # bumped by `pause`: tickets issued before it are void
        self._window: deque[InFlight] = deque()
        self._waiting: dict[int, Ticket] = {}  # reserved, not begun: by seq, in slot order
        self._seq = 0
        self._answered = asyncio.Event()
        self._chats: dict[int, float] = {}  # a chat's next message may go from then
        self._held: dict[int, asyncio.Event] = {}  # chats whose message is not answered yet
        self._turns = 0

    @property
    def paused_for(self) -> float:
        return max(0.0, self._paused_until - self.clock())

    @contextlib.asynccontextmanager
    async def slot(self, chat_id: int) -> AsyncIterator[None]:
        """Hold a send to `chat_id`: enter when it may go, leave when its answer came."""
        await self.chat_turn(chat_id)
        try:
            while True:
                flight = await self.begin(self.reserve(), chat_id)
                if flight is not None:
                    break
        except BaseException:
            self.release_chat(chat_id)
            raise
        try:
            yield
        finally:
            self.finish(flight)

    async def chat_turn(self, chat_id: int) -> None:
        """Wait until `chat_id` may get its next message, and hold the chat for it.

        The hold ends with the `finish` of that message's send (or `release_chat`); only
        then is the next message's wait known, since it counts from the answer.
        """
        while (held := self._held.get(chat_id)) is not None:
            await held.wait()
        self._held[chat_id] = asyncio.Event()
        try:
            now = self.clock()
            self._turns += 1
            if self._turns % _PRUNE_EVERY == 0:
                self._prune(now)
            delay = self._chats.get(chat_id, 0.0) - now
            if delay > 0:
                await asyncio.sleep(delay)
        except BaseException:
            self.release_chat(chat_id)
            raise

    def release_chat(self, chat_id: int) -> None:
        """The chat's next message may take its turn (the one holding it is done)."""
        held = self._held.pop(chat_id, None)
        if held is not None:
            held.set()

    def reserve(self) -> Ticket:
        """The next free slot of the pace (after any pause), taken."""
        slot = max(self.clock(), self._next_free, self._paused_until)
        self._next_free = slot + self.interval
        self._seq += 1
        ticket = Ticket(slot, self._generation, self._seq)
        self._waiting[ticket.seq] = ticket
        return ticket

    def forget(self, ticket: Ticket) -> None:
        """The ticket will not be used (its holder gave up before `begin`)."""
        self._waiting.pop(ticket.seq, None)

    def ready_at(self, ticket: Ticket) -> float | None:
        """When the ticket's send will probably find room: its slot, or later when the window
        is full; None while that depends on an answer still on its way. A hint: `begin`
        decides."""
        now = self.clock()
        self._expire(now)
        moment = max(now, ticket.slot)
        ahead = sum(1 for seq in self._waiting if seq < ticket.seq)
        needed = len(self._window) - self.window_size + ahead  # this entry must expire first
        if needed < 0:
            return moment
        if needed >= len(self._window):
            return None
        answered = self._window[needed].answered_at
        return None if answered is None else max(moment, answered + WINDOW)

    async def wait_ready(self, ticket: Ticket, *, lead: float = 0.0) -> bool:
        """Sleep until `lead` seconds before the send will probably go (see `ready_at`).

        False if a pause voided the ticket.
        """
        try:
            while ticket.generation == self._generation:
                ready = self.ready_at(ticket)
                if ready is None:
                    await self._next_answer(None)
                    continue
                delay = ready - lead - self.clock()
                if delay <= 0:
                    return True
                await asyncio.sleep(delay)
        except BaseException:
            self.forget(ticket)
            raise
        self.forget(ticket)
        return False

    async def begin(self, ticket: Ticket, chat_id: int = 0) -> InFlight | None:
        """Wait for the slot and for room in the window, and take it; None if a pause voided
        the ticket."""
        try:
            delay = ticket.slot - self.clock()
            if delay > 0:
                await asyncio.sleep(delay)
            while ticket.generation == self._generation:
                now = self.clock()
                self._expire(now)
                if len(self._window) < self.window_size:
                    flight = InFlight(chat_id)
                    self._window.append(flight)
                    return flight
                oldest = self._window[0].answered_at
                await self._next_answer(None if oldest is None else oldest + WINDOW - now)
            return None
        finally:
            self.forget(ticket)

    async def _next_answer(self, within: float | None) -> None:
        answered = self._answered
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(answered.wait(), within)

    def finish(self, flight: InFlight) -> None:
        """The answer to a send came back (or it failed): start counting its second."""
        now = self.clock()
        flight.answered_at = now
        if flight.chat_id:
            busy_until = now + self._gap(flight.chat_id)
            self._chats[flight.chat_id] = max(self._chats.get(flight.chat_id, 0.0), busy_until)
            self.release_chat(flight.chat_id)
        answered, self._answered = self._answered, asyncio.Event()
        answered.set()

    def pause(self, seconds: float) -> None:
        """Nothing goes out for `seconds` (Telegram said retry_after); tickets are void."""
        until = self.clock() + seconds
        if until > self._paused_until:
            self._paused_until = until
            self._next_free = until
            self._generation += 1
            self._waiting.clear()

    def hold_chat(self, chat_id: int, seconds: float) -> None:
        """The next message to `chat_id` waits at least `seconds`."""
        until = self.clock() + seconds
        self._chats[chat_id] = max(self._chats.get(chat_id, 0.0), until)

    def _gap(self, chat_id: int) -> float:
        return self.group_interval if is_group(chat_id) else self.private_interval

    def _expire(self, now: float) -> None:
        window = self._window
        while (
            window and window[0].answered_at is not None and window[0].answered_at + WINDOW <= now
        ):
            window.popleft()

    def _prune(self, now: float) -> None:
        for chat_id in [c for c, free in self._chats.items() if free <= now]:
            del self._chats[chat_id]
