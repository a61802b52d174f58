"""Filters shared by routers."""

from __future__ import annotations

from typing import Any

from aiogram.filters import Filter
from aiogram.types import TelegramObject

from bot.services.users import needs_consent
from bot.storage.models import User


class NeedsConsent(Filter):
    """True for a user who has not (or no longer) agreed to the consent notice."""

    async def __call__(self, event: TelegramObject, user: User | None = None, **_: Any) -> bool:
        return user is not None and needs_consent(user)


class NoRealUser(Filter):
    """True when no person's record came with the update: the sender is an anonymous group
    admin, a channel or a bot (the user middleware loads records for people only)."""

    async def __call__(self, event: TelegramObject, user: User | None = None, **_: Any) -> bool:
        return user is None
