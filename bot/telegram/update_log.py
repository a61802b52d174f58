"""Each Telegram update is handled once, however often it is delivered.

`UpdateLog` is an outer middleware on `update`, inside the FSM middleware (which holds the
person's event-isolation lock): before anything else it claims the update's id in the shared
database, and drops the update when the claim is already there: Telegram redelivering a
webhook update that another replica is handling, or a replayed request. A handler that raises
gives its claim back, so a redelivery is handled again. Old claims are pruned from here, at most
once per `prune_every`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from aiogram import BaseMiddleware, Bot
from aiogram.dispatcher.event.bases import UNHANDLED
from aiogram.types import TelegramObject, Update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.storage import updates
from bot.storage.clock import utcnow

log = logging.getLogger(__name__)

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]
# Telegram keeps an update it could not deliver for 24 hours at most.
RETENTION = timedelta(days=1)
PRUNE_EVERY = timedelta(hours=1)


class UpdateLog(BaseMiddleware):
    """Claims each update's id before it is handled; drops an update claimed already."""

    def __init__(
        self,
        engine: AsyncEngine,
        *,
        retention: timedelta = RETENTION,
        prune_every: timedelta = PRUNE_EVERY,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.engine = engine
        self.retention = retention
        self.prune_every = prune_every.total_seconds()
        self.clock = clock
        self._next_prune = 0.0  # monotonic seconds: the first update prunes

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        bot: Bot | None = data.get("bot")
        if not isinstance(event, Update) or bot is None:
            return await handler(event, data)
        now = self.clock()
        key = {"bot_id": bot.id, "update_id": event.update_id}
        if not await updates.claim(self.engine, **key, now=now, stale_before=now - self.retention):
            log.info("Update %s was delivered again: dropped", event.update_id)
            return UNHANDLED
        try:
            result = await handler(event, data)
        except BaseException:
            await updates.release(self.engine, **key)
            raise
        await self._prune_if_due(now)
        return result

    async def _prune_if_due(self, now: datetime) -> None:
        moment = time.monotonic()
        if moment < self._next_prune:
            return
        self._next_prune = moment + self.prune_every
        try:
            pruned = await updates.prune(self.engine, before=now - self.retention)
        except SQLAlchemyError as exc:  # the update itself was handled: try again next time
            log.warning("Could not prune handled-update records: %s", type(exc).__name__)
            return
        if pruned:
            log.debug("Pruned %s handled-update records", pruned)
