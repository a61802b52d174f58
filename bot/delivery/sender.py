"""The sender: claims due outbox rows, sends them through the limiter, records each outcome.

One feeder task leases rows in small batches (about two seconds of sending) into a queue;
`concurrency` workers take them one by one:

    limiter slot ─▶ row `sending` (committed) ─▶ HTTP call ─▶ row `sent`/… (committed)

What an answer means:
- 429: nobody sends for `retry_after` plus a margin; the same row is sent again after it.
- 403 (blocked, deactivated, kicked) or "chat not found": `blocked`, the person is marked
  unreachable, never retried.
- 5xx, or a connection that never opened: retried with jittered exponential backoff, then
  `failed` after `max_attempts`.
- A timeout, a connection lost after the request went out, or an answer that cannot be read:
  `uncertain` — Telegram may have delivered it and has no idempotency key, so it is never sent
  again automatically.
- Any other 4xx: `failed` at once (the same request would fail again).

What is stored as the reason (and shown to the trainer) is a short phrase from `describe`, never
an exception's own text: aiohttp's errors quote the request URL, which holds the bot token.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import secrets
import socket
from collections import OrderedDict
from dataclasses import dataclass
from datetime import timedelta
from enum import Enum
from typing import Any

from aiogram import Bot
from aiogram.exceptions import (
    ClientDecodeError,
    TelegramAPIError,
    TelegramBadRequest,
    TelegramEntityTooLarge,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiohttp import ClientConnectorError, ClientResponseError, ServerDisconnectedError
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.delivery import outbox, render
from bot.delivery.limiter import InFlight, Limiter
from bot.delivery.outbox import Claimed
from bot.delivery.render import Payload
from bot.redact import redact
from bot.settings import Settings
from bot.storage.clock import utcnow
from bot.storage.models_delivery import DeliveryStatus

log = logging.getLogger(__name__)

RETRY_MARGIN = 0.5  # seconds added to Telegram's retry_after
UNAUTHORIZED_PAUSE = 60.0
MAX_RATE_LIMITED = 20  # 429s for one row before it goes back to the outbox
PREPARE_LEAD = 0.1  # seconds before its turn a row is marked `sending`
UNREACHABLE_MARKERS = ("chat not found", "user not found", "peer_id_invalid", "chat_id is empty")
_CONTENT_CACHE = 256


class Verdict(Enum):
    RATE_LIMITED = "rate_limited"
    BLOCKED = "blocked"
    RETRY = "retry"
    UNCERTAIN = "uncertain"
    FAILED = "failed"
    UNAUTHORIZED = "unauthorized"


def judge(error: BaseException) -> Verdict:
    """What a failed send means for its row."""
    if isinstance(error, TelegramRetryAfter):
        return Verdict.RATE_LIMITED
    if isinstance(error, TelegramForbiddenError):
        return Verdict.BLOCKED
    if isinstance(error, TelegramUnauthorizedError):
        return Verdict.UNAUTHORIZED
    if isinstance(error, TelegramBadRequest):
        text = error.message.lower()
        return Verdict.BLOCKED if any(m in text for m in UNREACHABLE_MARKERS) else Verdict.FAILED
    if isinstance(error, TelegramServerError):
        return Verdict.RETRY
    if isinstance(error, TelegramEntityTooLarge):
        return Verdict.FAILED
    if isinstance(error, TelegramNetworkError):
        # Only a connection that never opened proves the request did not reach Telegram.
        return (
            Verdict.RETRY
            if isinstance(error.__cause__, ClientConnectorError)
            else (Verdict.UNCERTAIN)
        )
    if isinstance(error, ClientDecodeError):
        return Verdict.UNCERTAIN  # the request went out; what came back is not an answer
    return Verdict.FAILED


def describe(error: BaseException) -> str:
    """A short reason to store and show ("timeout", "blocked: …", "bad request: …")."""
    if isinstance(error, TelegramRetryAfter):
        return f"rate limited: retry after {error.retry_after} s"
    if isinstance(error, TelegramForbiddenError):
        return f"blocked: {_telegram_says(error)}"
    if isinstance(error, TelegramUnauthorizedError):
        return "unauthorized: Telegram refused the token"
    if isinstance(error, TelegramBadRequest):
        return f"bad request: {_telegram_says(error)}"
    if isinstance(error, TelegramEntityTooLarge):
        return "too large"
    if isinstance(error, TelegramNetworkError):
        return _network_reason(error)
    if isinstance(error, TelegramServerError):
        return f"server error: {_telegram_says(error)}"
    if isinstance(error, TelegramAPIError):
        return f"refused: {_telegram_says(error)}"
    if isinstance(error, ClientDecodeError):
        return "unreadable answer"
    if isinstance(error, ValueError):
        return "invalid message"
    return type(error).__name__


def _telegram_says(error: TelegramAPIError) -> str:
    """Telegram's description without its "Bad Request: "-style prefix, made safe to show."""
    text = error.message.split(": ", 1)[-1] if ": " in error.message else error.message
    return redact(" ".join(text.split()))[:80] or "no description"


def _network_reason(error: TelegramNetworkError) -> str:
    cause = error.__cause__
    if isinstance(cause, TimeoutError) or error.message == "Request timeout error":
        return "timeout"
    if isinstance(cause, ClientConnectorError):
        return "no connection"
    if isinstance(cause, ServerDisconnectedError):
        return "connection lost"
    if isinstance(cause, ClientResponseError):
        return "malformed answer"
    return "network error"


@dataclass
class SenderStats:
    sent: int = 0
    failed: int = 0
    blocked: int = 0
    uncertain: int = 0
    retried: int = 0
    rate_limited: int = 0
    skipped: int = 0  # cancelled, or taken over by another sender before the send
    recovered: int = 0  # rows of dead senders turned uncertain


@dataclass
class _Content:
    payload: Payload
    ledger_kind: str | None


@dataclass
class SenderOptions:
    concurrency: int = 8
    paid: bool = False
    claim_lease: float = 20.0  # a leased, not yet started row goes back after this
    send_lease: float = 45.0  # a `sending` row older than this belonged to a dead sender
    send_timeout: int = 15
    max_attempts: int = 5
    backoff: float = 2.0
    max_backoff: float = 300.0
    poll_interval: float = 1.0
    batch_seconds: float = 2.0
    source: tuple[str, int] | None = None  # send only this (kind, id); None: everything

    def __post_init__(self) -> None:
        if self.send_lease <= 2 * self.send_timeout:
            raise ValueError("send_lease must exceed twice send_timeout")


class Sender:
    """Delivers the outbox: `start()`, `wake()` when rows were added, `stop()`."""

    def __init__(
        self,
        bot: Bot,
        sessionmaker: async_sessionmaker[AsyncSession],
        *,
        limiter: Limiter,
        options: SenderOptions | None = None,
        name: str | None = None,
    ) -> None:
        self.bot = bot
        self.sessionmaker = sessionmaker
        self.limiter = limiter
        self.options = options or SenderOptions()
        host = socket.gethostname()[:40]
        self.name = name or f"{host}:{os.getpid()}:{secrets.token_hex(3)}"
        self.stats = SenderStats()
        size = max(self.options.concurrency * 2, int(limiter.rate * self.options.batch_seconds))
        self._capacity = min(size, 1000)
        self._queue: asyncio.Queue[Claimed | None] = asyncio.Queue()
        self._held: set[int] = set()
        self._contents: OrderedDict[int, _Content] = OrderedDict()
        self._need_rows = asyncio.Event()
        self._stopping = False
        self._feeder: asyncio.Task[None] | None = None
        self._workers: list[asyncio.Task[None]] = []

    @classmethod
    def from_settings(
        cls,
        bot: Bot,
        sessionmaker: async_sessionmaker[AsyncSession],
        settings: Settings,
        **options: Any,
    ) -> Sender:
        """A sender paced by `BROADCAST_RATE` (or the paid rate when `BROADCAST_PAID` is on)."""
        paid = settings.broadcast_paid
        rate = settings.broadcast_paid_rate if paid else settings.broadcast_rate
        options.setdefault("concurrency", settings.broadcast_concurrency)
        opts = SenderOptions(paid=paid, **options)
        return cls(bot, sessionmaker, limiter=Limiter(rate), options=opts)

    @property
    def running(self) -> bool:
        return self._feeder is not None

    def start(self) -> None:
        if self._feeder is not None:
            return
        self._stopping = False
        self._feeder = asyncio.create_task(self._feed(), name=f"sender-feed-{self.name}")
        self._workers = [
            asyncio.create_task(self._work(), name=f"sender-{i}")
            for i in range(self.options.concurrency)
        ]

    def wake(self) -> None:
        """New rows are due: claim now rather than at the next poll."""
        self._need_rows.set()

    async def stop(self, grace: float = 20.0) -> None:
        """Finish the sends in flight, give back the rows not started, stop the tasks."""
        if self._feeder is None:
            return
        self._stopping = True
        feeder, self._feeder = self._feeder, None
        feeder.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await feeder
        while not self._queue.empty():
            self._queue.get_nowait()
        for _ in self._workers:
            self._queue.put_nowait(None)
        _, late = await asyncio.wait(self._workers, timeout=grace)
        for task in late:
            task.cancel()
        await asyncio.gather(*self._workers, return_exceptions=True)
        self._workers = []
        await self._release(list(self._held))
        self._held.clear()
        self._queue = asyncio.Queue()

    # The feeder

    async def _feed(self) -> None:
        loop = asyncio.get_running_loop()
        last_recovery = float("-inf")
        while True:
            try:
                if loop.time() - last_recovery >= self.options.send_lease / 4:
                    await self._recover()
                    last_recovery = loop.time()
                if self.limiter.paused_for > self.options.claim_lease / 2:
                    await self._release_queued()
                else:
                    room = self._capacity - self._queue.qsize()
                    if room * 2 >= self._capacity and await self._claim(room) == room:
                        continue  # a full batch: more may be due
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("Sender %s: claiming failed", self.name)
            self._need_rows.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._need_rows.wait(), self.options.poll_interval)

    async def _claim(self, limit: int) -> int:
        async with self.sessionmaker() as session:
            rows = await outbox.claim(
                session,
                sender_id=self.name,
                limit=limit,
                lease=self.options.claim_lease,
                source=self.options.source,
            )
            await session.commit()
        for row in rows:
            self._held.add(row.id)
            self._queue.put_nowait(row)
        return len(rows)

    async def _recover(self) -> None:
        async with self.sessionmaker() as session:
            found = await outbox.recover(session, lease=self.options.send_lease)
            await session.commit()
        if found:
            self.stats.recovered += found
            log.warning("Sender %s: %d interrupted send(s) marked uncertain", self.name, found)

    async def _release_queued(self) -> None:
        rows: list[int] = []
        while not self._queue.empty():
            row = self._queue.get_nowait()
            if row is not None:
                rows.append(row.id)
                self._held.discard(row.id)
        await self._release(rows)

    async def _release(self, ids: list[int]) -> None:
        if not ids:
            return
        async with self.sessionmaker() as session:
            await outbox.release(session, ids, sender_id=self.name)
            await session.commit()

    # The workers

    async def _work(self) -> None:
        while True:
            row = await self._queue.get()
            if row is None:
                return
            if self._queue.qsize() * 2 < self._capacity:
                self._need_rows.set()
            try:
                await self._deliver(row)
            except Exception:
                log.exception("Sender %s: delivery %s failed unexpectedly", self.name, row.id)
            # Cancelled (a stop past its grace) keeps the row held: `stop` gives it back.
            self._held.discard(row.id)

    async def _content(self, content_id: int) -> _Content | None:
        cached = self._contents.get(content_id)
        if cached is not None:
            self._contents.move_to_end(content_id)
            return cached
        async with self.sessionmaker() as session:
            row = await outbox.load_content(session, content_id)
        if row is None:
            return None
        content = _Content(Payload.from_json(row.payload), row.ledger_kind)
        self._contents[content_id] = content
        if len(self._contents) > _CONTENT_CACHE:
            self._contents.popitem(last=False)
        return content

    async def _deliver(self, row: Claimed) -> None:
        content = await self._content(row.content_id)
        for _ in range(MAX_RATE_LIMITED):
            flight = await self._take_slot(row)
            if flight is None:
                return
            if content is None:
                self.limiter.finish(flight)
                await self._final(row, DeliveryStatus.FAILED, "its content is gone")
                return
            try:
                message = await render.send(
                    self.bot,
                    row.chat_id,
                    content.payload,
                    paid=self.options.paid,
                    request_timeout=self.options.send_timeout,
                )
            except BaseException as error:
                self.limiter.finish(flight)
                if isinstance(error, TelegramRetryAfter):
                    self._rate_limited(row, error.retry_after)
                    await self._back_to_pending(row, describe(error))
                    continue
                if isinstance(error, TelegramAPIError | ClientDecodeError | ValueError):
                    await self._failed_send(row, error)
                    return
                raise
            self.limiter.finish(flight)
            async with self.sessionmaker() as session:
                await outbox.mark_sent(
                    session,
                    row,
                    sender_id=self.name,
                    message_id=message.message_id,
                    ledger_kind=content.ledger_kind,
                )
                await session.commit()
            self.stats.sent += 1
            return
        await self._retry(row, "rate limited again and again")

    async def _take_slot(self, row: Claimed) -> InFlight | None:
        """Wait for the row's moment, marking it `sending` just before; None: do not send
        (stopping, cancelled, or taken over by another sender).

        The chat stays held from its turn until the send's `finish`, so the next message to
        the same chat waits for this one's answer.
        """
        await self.limiter.chat_turn(row.chat_id)
        flight: InFlight | None = None
        try:
            flight = await self._prepare_and_begin(row)
        finally:
            if flight is None:
                self.limiter.release_chat(row.chat_id)
        return flight

    async def _prepare_and_begin(self, row: Claimed) -> InFlight | None:
        """The commit happens in the last `PREPARE_LEAD` seconds before the slot, so it does
        not delay the send and rows are not left `sending` long before they go."""
        prepared = False
        while True:
            ticket = self.limiter.reserve()
            if await self.limiter.wait_ready(ticket, lead=PREPARE_LEAD):
                if self._stopping:
                    self.limiter.forget(ticket)
                    if prepared:
                        await self._back_to_pending(row, "the sender stopped")
                    return None
                if not prepared:
                    try:
                        async with self.sessionmaker() as session:
                            started = await outbox.start_sending(session, row, sender_id=self.name)
                            await session.commit()
                    except BaseException:
                        self.limiter.forget(ticket)
                        raise
                    if not started:
                        self.limiter.forget(ticket)
                        self.stats.skipped += 1
                        return None
                    prepared = True
                flight = await self.limiter.begin(ticket, row.chat_id)
                if flight is not None:
                    return flight
            if prepared and self.limiter.paused_for > PREPARE_LEAD:
                await self._back_to_pending(row, "paused after a 429")
                prepared = False

    def _rate_limited(self, row: Claimed, retry_after: float) -> None:
        self.stats.rate_limited += 1
        wait = retry_after + RETRY_MARGIN
        self.limiter.pause(wait)
        self.limiter.hold_chat(row.chat_id, wait)
        log.info("Sender %s: 429, pausing %.1f s", self.name, wait)

    async def _back_to_pending(self, row: Claimed, error: str) -> None:
        async with self.sessionmaker() as session:
            await outbox.back_to_pending(session, row, sender_id=self.name, error=error)
            await session.commit()

    async def _failed_send(self, row: Claimed, error: BaseException) -> None:
        verdict = judge(error)
        reason = describe(error)
        if verdict is Verdict.BLOCKED:
            await self._final(row, DeliveryStatus.BLOCKED, reason)
        elif verdict is Verdict.UNCERTAIN:
            await self._final(row, DeliveryStatus.UNCERTAIN, reason)
        elif verdict is Verdict.UNAUTHORIZED:
            log.error("Sender %s: Telegram refused the token; pausing", self.name)
            self.limiter.pause(UNAUTHORIZED_PAUSE)
            await self._back_to_pending(row, reason)
        elif verdict is Verdict.RETRY:
            await self._retry(row, reason)
        else:
            await self._final(row, DeliveryStatus.FAILED, reason)

    async def _retry(self, row: Claimed, reason: str) -> None:
        attempts = row.attempts + 1
        if attempts >= self.options.max_attempts:
            await self._final(row, DeliveryStatus.FAILED, reason)
            return
        delay = min(self.options.max_backoff, self.options.backoff * 2 ** (attempts - 1))
        at = utcnow() + timedelta(seconds=random.uniform(delay / 2, delay))
        async with self.sessionmaker() as session:
            await outbox.retry_later(session, row, sender_id=self.name, at=at, error=reason)
            await session.commit()
        self.stats.retried += 1

    async def _final(self, row: Claimed, status: DeliveryStatus, reason: str) -> None:
        async with self.sessionmaker() as session:
            await outbox.mark_final(session, row, sender_id=self.name, status=status, error=reason)
            await session.commit()
        if status is DeliveryStatus.BLOCKED:
            self.stats.blocked += 1
        elif status is DeliveryStatus.UNCERTAIN:
            self.stats.uncertain += 1
        else:
            self.stats.failed += 1
