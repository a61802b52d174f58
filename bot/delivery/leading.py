"""The outbox sender runs in one process only.

Every replica queues deliveries in the shared outbox, but the rate limits are per bot token,
not per process: two senders would each pace themselves at `BROADCAST_RATE` and together send
twice as fast as Telegram allows. The process holding the sender lock sends; the others stand
by and take over when it is gone.
"""

from __future__ import annotations

from bot.delivery.sender import Sender
from bot.leader import LeaderLock, LeadingTask

STANDBY_INTERVAL = 5.0


class SenderLeadership(LeadingTask):
    """Starts the sender while this process holds the lock, stops it when the lock is lost."""

    task_name = "sender-leadership"

    def __init__(self, sender: Sender, lock: LeaderLock, interval: float = STANDBY_INTERVAL):
        super().__init__(lock, interval)
        self.sender = sender

    async def lead(self) -> None:
        self.sender.start()

    async def step_down(self) -> None:
        await self.sender.stop()
