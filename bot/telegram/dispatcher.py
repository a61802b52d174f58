"""The one factory that builds the Bot and the Dispatcher: `run`, the sandbox and tests share it."""

from __future__ import annotations

from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.fsm.storage.base import BaseEventIsolation, BaseStorage
from aiogram.fsm.storage.memory import MemoryStorage
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.scheduler import attach_scheduler
from bot.services.bank_store import BankStore
from bot.services.content_store import ContentStore
from bot.settings import OFFICIAL_API_BASE, Settings
from bot.telegram.i18n import CatalogI18n, create_i18n
from bot.telegram.isolation import create_isolation
from bot.telegram.middlewares import (
    AccessMiddleware,
    DatabaseMiddleware,
    UserLocaleMiddleware,
    UserMiddleware,
)
from bot.telegram.response_types import keep_response_types
from bot.telegram.routers import get_routers
from bot.telegram.update_log import UpdateLog


def create_bot(settings: Settings, *, token: str | None = None) -> Bot:
    """A Bot talking to Telegram or to any Bot API-compatible server (`TELEGRAM_API_BASE`)."""
    keep_response_types()
    session = None
    if settings.telegram_api_base.rstrip("/") != OFFICIAL_API_BASE:
        session = AiohttpSession(api=TelegramAPIServer.from_base(settings.telegram_api_base))
    return Bot(
        token=token or settings.token(),
        session=session,
        default=DefaultBotProperties(parse_mode=ParseMode.HTML),
    )


def create_storage(settings: Settings) -> BaseStorage:
    if settings.redis_url:
        from aiogram.fsm.storage.redis import RedisStorage

        return RedisStorage.from_url(settings.redis_url)
    return MemoryStorage()


def create_dispatcher(
    settings: Settings,
    *,
    sessionmaker: async_sessionmaker[AsyncSession],
    storage: BaseStorage | None = None,
    events_isolation: BaseEventIsolation | None = None,
    i18n: CatalogI18n | None = None,
    content: ContentStore | None = None,
    banks: BankStore | None = None,
    **services: Any,
) -> Dispatcher:
    """Wire middlewares and routers. `services` become handler keyword arguments.

    One person's updates are handled one at a time (per chat), across replicas when the FSM
    storage is Redis; each update is handled once (`UpdateLog`), whatever the deliveries.
    """
    i18n = i18n or create_i18n(settings.default_language)
    storage = storage or create_storage(settings)
    dispatcher = Dispatcher(
        storage=storage,
        events_isolation=events_isolation or create_isolation(storage),
        settings=settings,
        sessionmaker=sessionmaker,
        i18n=i18n,
        content=content or ContentStore(settings.content_dir),
        banks=banks or BankStore(settings.quizzes_dir),
        **services,
    )
    # After the FSM middleware, which takes the person's lock: a duplicate waits, then is dropped.
    dispatcher.update.outer_middleware(UpdateLog(sessionmaker.kw["bind"]))
    dispatcher.update.outer_middleware(DatabaseMiddleware(sessionmaker))
    dispatcher.update.outer_middleware(UserMiddleware(settings))
    dispatcher.update.outer_middleware(UserLocaleMiddleware(i18n))
    roles = AccessMiddleware(settings)
    for name, observer in dispatcher.observers.items():
        if name not in ("update", "error"):
            observer.middleware(roles)
    dispatcher.include_routers(*get_routers())
    attach_scheduler(dispatcher)
    return dispatcher
