"""Leader election: exactly one process runs the scheduler, and one the outbox sender; the
others stand by.

PostgreSQL: `pg_try_advisory_lock` held on a dedicated connection outside the pool (the
server releases it when that connection or the process dies). SQLite: an exclusive `flock` on
a file beside the database (the kernel releases it when the process dies). An in-memory
database lives in one process, which then leads alone. Standby processes simply try again.

`LeadingTask` is the loop both roles share: try the lock, lead, check the lock, step down.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
from pathlib import Path
from typing import Protocol

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from bot.background import PeriodicTask

log = logging.getLogger(__name__)

LOCK_KEY = int.from_bytes(b"cg-sched", "big") & 0x7FFF_FFFF_FFFF_FFFF
SENDER_LOCK_KEY = int.from_bytes(b"cg-sendr", "big") & 0x7FFF_FFFF_FFFF_FFFF


class LeaderLock(Protocol):
    async def acquire(self) -> bool:
        """Try once, without waiting; True when this process now leads."""

    async def held(self) -> bool:
        """Still ours? False when the lock was lost (the connection died)."""

    async def release(self) -> None: ...

    async def dispose(self) -> None:
        """Release and free what the lock holds (its connection engine)."""


class PostgresLeaderLock:
    """A session-level advisory lock on a connection of its own, outside the pool."""

    def __init__(self, url: str, key: int = LOCK_KEY) -> None:
        self.engine = create_async_engine(url, poolclass=NullPool)
        self.key = key
        self._connection: AsyncConnection | None = None

    async def acquire(self) -> bool:
        connection = await self.engine.connect()
        try:
            # Autocommit: the connection idles for hours and must not sit in a transaction.
            connection = await connection.execution_options(isolation_level="AUTOCOMMIT")
            got = await connection.scalar(
                text("SELECT pg_try_advisory_lock(:key)"), {"key": self.key}
            )
        except BaseException:
            await connection.close()
            raise
        if not got:
            await connection.close()
            return False
        self._connection = connection
        return True

    async def held(self) -> bool:
        if self._connection is None:
            return False
        try:
            await self._connection.execute(text("SELECT 1"))
        except Exception:
            await self._drop()
            return False
        return True

    async def release(self) -> None:
        if self._connection is not None:
            with contextlib.suppress(Exception):
                await self._connection.execute(
                    text("SELECT pg_advisory_unlock(:key)"), {"key": self.key}
                )
            await self._drop()

    async def _drop(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            with contextlib.suppress(Exception):
                await connection.close()

    async def dispose(self) -> None:
        await self.release()
        await self.engine.dispose()


class FileLeaderLock:
    """An exclusive `flock` on a file; the kernel drops it when the process dies.

    `flock` (not `lockf`) locks belong to the open file, so two schedulers in one process
    exclude each other as well.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    async def acquire(self) -> bool:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd
        return True

    async def held(self) -> bool:
        return self._fd is not None

    async def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            with contextlib.suppress(OSError):
                fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    async def dispose(self) -> None:
        await self.release()


class SoloLock:
    """An in-memory database lives in one process: that process leads."""

    async def acquire(self) -> bool:
        return True

    async def held(self) -> bool:
        return True

    async def release(self) -> None:
        return None

    async def dispose(self) -> None:
        return None


def leader_lock_for(
    engine: AsyncEngine, *, role: str = "scheduler", key: int = LOCK_KEY
) -> PostgresLeaderLock | FileLeaderLock | SoloLock:
    """The lock for one role; `key` (PostgreSQL) and `role` (the SQLite lock file) tell roles
    apart, so one process may lead one role and stand by for another."""
    url = engine.url
    if url.get_backend_name() == "postgresql":
        return PostgresLeaderLock(url.render_as_string(hide_password=False), key)
    database = url.database
    if not database or database == ":memory:":
        return SoloLock()
    return FileLeaderLock(Path(f"{database}.{role}.lock"))


class LeadingTask(PeriodicTask):
    """Work that one process among the replicas does: each round, a standby process tries the
    lock and `lead()`s once it has it; the leader checks it still holds the lock and runs
    `lead_round()`, or `step_down()`s when it was lost. `stop()` steps down and frees the lock.
    """

    def __init__(self, lock: LeaderLock, interval: float) -> None:
        super().__init__()
        self.lock = lock
        self.interval = interval
        self.leading = False

    async def lead(self) -> None:
        """This process has just won the lock."""

    async def lead_round(self) -> None:
        """A round while this process leads (after the first)."""

    async def step_down(self) -> None:
        """Undo `lead()`: the lock was lost, or the process stops."""

    async def tick(self) -> bool:
        """One round; True while this process leads."""
        if not self.leading:
            if await self.lock.acquire():
                log.info("%s: this process leads", self.task_name)
                self.leading = True
                await self.lead()
        elif not await self.lock.held():
            log.warning("%s: lock lost; standing by", self.task_name)
            await self._resign()
        else:
            await self.lead_round()
        return self.leading

    async def stop(self) -> None:
        await super().stop()
        await self._resign()
        await self.lock.dispose()

    async def _resign(self) -> None:
        if self.leading:
            self.leading = False
            await self.step_down()
        await self.lock.release()
