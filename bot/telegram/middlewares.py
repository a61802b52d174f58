"""Middlewares that inject what handlers need: a database session, the user, the locale.

They only inject; business changes are committed by services.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.dispatcher.event.handler import HandlerObject
from aiogram.types import TelegramObject
from aiogram.types import User as TelegramUser
from aiogram.utils.i18n import I18nMiddleware
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.services.access import access_of
from bot.services.users import Profile, touch_user
from bot.settings import Settings

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


class DatabaseMiddleware(BaseMiddleware):
    """Opens one session per update and closes it afterwards."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self.sessionmaker = sessionmaker

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        async with self.sessionmaker() as session:
            data["session"] = session
            return await handler(event, data)


def profile_of(tg_user: TelegramUser) -> Profile:
    return Profile(
        user_id=tg_user.id,
        first_name=tg_user.first_name,
        last_name=tg_user.last_name,
        username=tg_user.username,
        language_code=tg_user.language_code,
    )


class UserMiddleware(BaseMiddleware):
    """Finds or creates the user behind the update."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        tg_user: TelegramUser | None = data.get("event_from_user")
        if tg_user is None or tg_user.is_bot:
            return await handler(event, data)
        session: AsyncSession = data["session"]
        profile = profile_of(tg_user)
        data["profile"] = profile
        data["user"] = await touch_user(
            session, profile, default_language=self.settings.default_language
        )
        return await handler(event, data)


class AccessMiddleware(BaseMiddleware):
    """Loads the user's roles, for the handlers that take `access` (or every keyword).

    An inner middleware: it runs once a handler's filters have passed, so a quiz tap, whose
    handler needs no roles, does not pay for the membership query. No filter reads roles.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        chosen: HandlerObject | None = data.get("handler")
        user: TelegramUser | None = data.get("event_from_user")
        wanted = chosen is None or chosen.varkw or "access" in chosen.params
        if wanted and user is not None and not user.is_bot and "access" not in data:
            data["access"] = await access_of(
                data["session"], user.id, admin_ids=self.settings.admin_ids
            )
        return await handler(event, data)


class UserLocaleMiddleware(I18nMiddleware):
    """The user's chosen language, else the default."""

    async def get_locale(self, event: TelegramObject, data: dict[str, Any]) -> str:
        user = data.get("user")
        if user is not None and user.language in self.i18n.available_locales:
            return str(user.language)
        return self.i18n.default_locale
