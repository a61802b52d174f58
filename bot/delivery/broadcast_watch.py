"""Live status of broadcasts: every few seconds the trainer's status message is edited with
the counts and an ETA; at the end it gets the final counts, a report and, when somebody was
missed, a CSV of them.

A broadcast is finished by a conditional UPDATE (`broadcasts.finish_if_done`), so with
several processes watching the report still goes out once. Edits go through the sender's
limiter, so they count against the same pace as the broadcast itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import datetime

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest
from aiogram.types import BufferedInputFile, InlineKeyboardMarkup
from aiogram.utils.i18n import I18n
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.background import PeriodicTask
from bot.delivery.limiter import Limiter
from bot.services import broadcasts
from bot.services.broadcasts import Progress
from bot.settings import Settings
from bot.storage.clock import utcnow
from bot.storage.models import Unit, User
from bot.telegram import broadcast_views as views

log = logging.getLogger(__name__)


class BroadcastWatch(PeriodicTask):
    task_name = "broadcast-watch"

    def __init__(
        self,
        bot: Bot,
        sessionmaker: async_sessionmaker[AsyncSession],
        i18n: I18n,
        settings: Settings,
        *,
        limiter: Limiter | None = None,
        interval: float = 3.0,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.bot = bot
        self.sessionmaker = sessionmaker
        self.i18n = i18n
        self.settings = settings
        self.limiter = limiter
        self.interval = interval
        self.clock = clock
        self.rate = (
            settings.broadcast_paid_rate if settings.broadcast_paid else (settings.broadcast_rate)
        )
        self._shown: dict[int, str] = {}
        super().__init__()

    async def tick(self) -> None:
        async with self.sessionmaker() as session:
            open_ids = await broadcasts.open_ids(session)
        for broadcast_id in open_ids:
            try:
                await self._follow(broadcast_id)
            except asyncio.CancelledError:
                raise
            except Exception:  # one trainer's chat must not stop the others' reports
                log.exception("Broadcast %s: status update failed", broadcast_id)

    async def _follow(self, broadcast_id: int) -> None:
        async with self.sessionmaker() as session:
            found = await broadcasts.progress(session, broadcast_id)
            if found is None:
                return
            finished = not found.unsettled and await broadcasts.finish_if_done(
                session, broadcast_id
            )
            if finished:
                found = await broadcasts.progress(session, broadcast_id) or found
                missed = await broadcasts.undelivered(session, broadcast_id)
            names = await self._unit_names(session, found.broadcast.unit_ids)
            language = await self._language(session, found.broadcast.created_by)
        chat_id = found.broadcast.status_chat_id
        if chat_id is None:
            return
        locale = language if language in self.i18n.available_locales else None
        with self.i18n.context(), self.i18n.use_locale(locale or self.i18n.default_locale):
            if finished:
                self._shown.pop(broadcast_id, None)
                await self._edit(found, views.final_view(found, names), None)
                await self._report(chat_id, found, missed)
                return
            text, keyboard = views.status_view(
                found, names, rate=self.rate, now=self.clock(), zone=self.settings.timezone
            )
            if self._shown.get(broadcast_id) != text:
                await self._edit(found, text, keyboard)
                self._shown[broadcast_id] = text

    async def _edit(
        self, found: Progress, text: str, keyboard: InlineKeyboardMarkup | None
    ) -> None:
        broadcast = found.broadcast
        if broadcast.status_chat_id is None or broadcast.status_message_id is None:
            return
        try:
            async with self._slot(broadcast.status_chat_id):
                await self.bot.edit_message_text(
                    text=text,
                    chat_id=broadcast.status_chat_id,
                    message_id=broadcast.status_message_id,
                    reply_markup=keyboard,
                )
        except TelegramBadRequest as exc:
            if "not modified" not in exc.message:
                log.info("Broadcast %s: status message not edited: %s", broadcast.id, exc)
        except TelegramAPIError as exc:
            log.info("Broadcast %s: status message not edited: %s", broadcast.id, exc)

    async def _report(
        self, chat_id: int, found: Progress, missed: list[broadcasts.Undelivered]
    ) -> None:
        reasons = broadcasts.reasons(missed).most_common()
        try:
            async with self._slot(chat_id):
                await self.bot.send_message(chat_id, views.report_text(found, reasons))
            if missed:
                name = f"broadcast-{found.broadcast.id}-undelivered.csv"
                async with self._slot(chat_id):
                    await self.bot.send_document(
                        chat_id, BufferedInputFile(broadcasts.undelivered_csv(missed), name)
                    )
        except TelegramAPIError as exc:
            log.warning("Broadcast %s: report not sent: %s", found.broadcast.id, exc)

    def _slot(self, chat_id: int) -> contextlib.AbstractAsyncContextManager[None]:
        if self.limiter is None:
            return contextlib.nullcontext()
        return self.limiter.slot(chat_id)

    @staticmethod
    async def _unit_names(session: AsyncSession, unit_ids: list[int]) -> list[str]:
        rows = (await session.exec(select(Unit).where(col(Unit.id).in_(unit_ids)))).all()
        by_id = {unit.id: unit.name for unit in rows}
        return [by_id[u] for u in unit_ids if u in by_id]

    @staticmethod
    async def _language(session: AsyncSession, user_id: int | None) -> str | None:
        user = await session.get(User, user_id) if user_id is not None else None
        return user.language if user is not None else None
