"""The outbox sender runs in one process only.

Every replica queues deliveries in the shared outbox, but the rate limits are per bot token,
not per process: two senders would each pace themselves at `BROADCAST_RATE` and together send
twice as fast as Telegram allows. The process holding the sender lock sends; the others stand
by and take over when it is gone.
"""

from __future__ import annotations

import logging

from bot.background import PeriodicTask
from bot.delivery.sender import Sender
from bot.leader import LeaderLock

log = logging.getLogger(__name__)

STANDBY_INTERVAL = 5.0


class SenderLeadership(PeriodicTask):
    """Starts the sender while this process holds the lock, stops it when the lock is lost."""

    task_name = "sender-leadership"

    def __init__(self, sender: Sender, lock: LeaderLock, interval: float = STANDBY_INTERVAL):
        super().__init__()
        self.sender = sender
        self.lock = lock
        self.interval = interval

    async def tick(self) -> bool:
        """One check; True while this process sends."""
        if not self.sender.running:
            if await self.lock.acquire():
                log.info("Sender %s: this process sends the outbox", self.sender.name)
                self.sender.start()
        elif not await self.lock.held():
            log.warning("Sender %s: lock lost; standing by", self.sender.name)
            await self.sender.stop()
        return self.sender.running

    async def stop(self) -> None:
        await super().stop()
        await self.sender.stop()
        await self.lock.dispose()
