"""Long-running tasks of the bot process (quiz timer, broadcast watch, scheduler): start, stop,
and a loop that survives a failing round."""

from __future__ import annotations

import asyncio
import contextlib
import logging

log = logging.getLogger(__name__)


class BackgroundTask:
    """Runs `run()` as one asyncio task; `stop()` cancels it and waits for it to end."""

    task_name = "background"

    def __init__(self) -> None:
        self._task: asyncio.Task[None] | None = None

    async def run(self) -> None:
        raise NotImplementedError

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self.run(), name=self.task_name)

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


class PeriodicTask(BackgroundTask):
    """Calls `tick()` every `interval` seconds; a failing tick is logged, the next one runs."""

    interval: float = 1.0

    async def tick(self) -> object:
        """One round; what it returns (e.g. how much it did) is for the caller's tests."""
        raise NotImplementedError

    async def run(self) -> None:
        while True:
            try:
                await self.tick()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("%s: a round failed", self.task_name)
            await asyncio.sleep(self.interval)
