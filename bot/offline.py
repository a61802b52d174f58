"""The real bot wired to the local Bot API emulator in one process: the sandbox and tests use it."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from typing import Any

from aiogram import Bot, Dispatcher
from pydantic import SecretStr

from bot.chat_driver import ChatDriver, UpdateTracker
from bot.emulator import Emulator
from bot.runtime import Storage, open_storage
from bot.settings import Settings
from bot.telegram.commands import publish_commands
from bot.telegram.dispatcher import create_bot, create_dispatcher

OFFLINE_TOKEN = "100000001:offline-sandbox-token-0000000000"


@dataclass
class OfflineBot:
    emulator: Emulator
    settings: Settings
    storage: Storage
    bot: Bot
    dispatcher: Dispatcher
    tracker: UpdateTracker
    polling: asyncio.Task[None] | None = None
    owns_emulator: bool = True
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    async def start(
        cls,
        settings: Settings,
        *,
        emulator: Emulator | None = None,
        token: str = OFFLINE_TOKEN,
        **services: Any,
    ) -> OfflineBot:
        owns = emulator is None
        if emulator is None:
            emulator = Emulator(bot_username="canhgiac_sandbox_bot")
            await emulator.start()
        settings = settings.model_copy(
            update={"bot_token": SecretStr(token), "telegram_api_base": emulator.base_url}
        )
        storage = await open_storage(settings)
        bot = create_bot(settings)
        dispatcher = create_dispatcher(settings, sessionmaker=storage.sessionmaker, **services)
        tracker = UpdateTracker()
        dispatcher.update.outer_middleware(tracker)
        dispatcher.errors.outer_middleware(tracker)
        await publish_commands(bot, dispatcher["i18n"])
        offline = cls(emulator, settings, storage, bot, dispatcher, tracker, owns_emulator=owns)
        offline.polling = asyncio.create_task(
            dispatcher.start_polling(
                bot, handle_signals=False, close_bot_session=False, polling_timeout=1
            )
        )
        return offline

    def chat(self, user_id: int, **kwargs: Any) -> ChatDriver:
        return ChatDriver(self.emulator, self.tracker, user_id=user_id, **kwargs)

    async def stop(self) -> None:
        if self.polling is not None:
            with contextlib.suppress(RuntimeError):
                await self.dispatcher.stop_polling()
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(self.polling, timeout=5)
        await self.bot.session.close()
        await self.storage.engine.dispose()
        if self.owns_emulator:
            await self.emulator.stop()
