"""Event isolation: one person's updates in one chat are handled one after another.

Without it, two taps on the same button (or a message and a tap) run side by side and both
read the same wizard state. With Redis FSM storage the lock lives in Redis, on the storage's
own connection, so it holds across replicas; otherwise it is an in-process lock.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncGenerator, Hashable
from contextlib import asynccontextmanager

from aiogram.fsm.storage.base import BaseEventIsolation, BaseStorage, StorageKey
from aiogram.fsm.storage.memory import SimpleEventIsolation


class LocalEventIsolation(SimpleEventIsolation):
    """aiogram's in-process isolation, forgetting a person's lock once nobody holds or waits
    for it (the parent keeps one per person ever seen)."""

    def __init__(self) -> None:
        super().__init__()
        self._users: Counter[Hashable] = Counter()

    @asynccontextmanager
    async def lock(self, key: StorageKey) -> AsyncGenerator[None, None]:
        self._users[key] += 1
        try:
            async with self._locks[key]:
                yield
        finally:
            self._users[key] -= 1
            if not self._users[key]:
                del self._users[key]
                self._locks.pop(key, None)

    async def close(self) -> None:
        await super().close()
        self._users.clear()


def create_isolation(storage: BaseStorage) -> BaseEventIsolation:
    """Redis locks beside a Redis storage (same connection and key builder), else local ones."""
    from aiogram.fsm.storage.redis import RedisStorage

    if isinstance(storage, RedisStorage):
        return storage.create_isolation()
    return LocalEventIsolation()
