"""Delivery of updates to a bot's webhook, with retries and replies that carry a method."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp

from bot.emulator.request import RawParams, from_mapping, read_multipart
from bot.emulator.state import BotState, State

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
Executor = Callable[[str, str, RawParams], Awaitable[Any]]


class WebhookSender:
    """One delivery loop per bot with a webhook; updates go out one at a time, in order.

    A non-2xx answer or a connection error is retried `retries` times with
    exponential backoff; then the update is dropped and the error is shown by
    getWebhookInfo, so one broken update does not stall the queue.
    """

    def __init__(
        self,
        state: State,
        execute: Executor,
        *,
        retries: int = 3,
        backoff: float = 0.1,
        timeout: float = 10.0,
    ) -> None:
        self.state = state
        self.execute = execute
        self.retries = retries
        self.backoff = backoff
        self.timeout = timeout
        self.session: aiohttp.ClientSession | None = None
        self.tasks: dict[int, asyncio.Task[None]] = {}
        self.delivered = 0

    def ensure(self, bot: BotState) -> None:
        task = self.tasks.get(id(bot))
        if bot.webhook is not None and (task is None or task.done()):
            self.tasks[id(bot)] = asyncio.get_running_loop().create_task(self._run(bot))
        bot.wake.fire()

    async def close(self) -> None:
        for task in self.tasks.values():
            task.cancel()
        for task in self.tasks.values():
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self.tasks.clear()
        if self.session is not None:
            await self.session.close()
            self.session = None

    async def _run(self, bot: BotState) -> None:
        while bot.webhook is not None and not self.state.stopping.is_set():
            if not bot.updates:
                wake = bot.wake.event
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(wake.wait(), timeout=1.0)
                continue
            update = bot.updates[0]
            await self._deliver(bot, update)
            if bot.updates and bot.updates[0] is update:
                bot.updates.popleft()
                self.state.notify()

    async def _deliver(self, bot: BotState, update: dict[str, Any]) -> bool:
        for attempt in range(self.retries + 1):
            webhook = bot.webhook
            if webhook is None:
                return False
            headers = {"Content-Type": "application/json"}
            if webhook.secret_token:
                headers[SECRET_HEADER] = webhook.secret_token
            try:
                if self.session is None:
                    self.session = aiohttp.ClientSession()
                timeout = aiohttp.ClientTimeout(total=self.timeout)
                async with self.session.post(
                    webhook.url, data=json.dumps(update), headers=headers, timeout=timeout
                ) as response:
                    if 200 <= response.status < 300:
                        self.delivered += 1
                        await self._reply(bot, response)
                        return True
                    error = f"Wrong response from the webhook: {response.status} {response.reason}"
            except (aiohttp.ClientError, TimeoutError) as exc:
                error = f"Connection failed: {type(exc).__name__}"
            webhook.last_error_date = int(time.time())
            webhook.last_error_message = error
            if attempt < self.retries:
                await asyncio.sleep(self.backoff * 2**attempt)
        return False

    async def _reply(self, bot: BotState, response: aiohttp.ClientResponse) -> None:
        """A webhook answer may itself be a Bot API call, which Telegram then performs."""
        if bot.token is None:
            return
        raw = RawParams()
        if response.content_type == "application/json":
            try:
                data = await response.json()
            except (ValueError, aiohttp.ContentTypeError):
                return
            if isinstance(data, dict):
                raw = from_mapping(data)
        elif response.content_type.startswith("multipart/"):
            await read_multipart(aiohttp.MultipartReader(response.headers, response.content), raw)
        method = raw.values.pop("method", None)
        if method:
            await self.execute(bot.token, method, raw)
