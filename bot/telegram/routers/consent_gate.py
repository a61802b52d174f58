"""Stops everything that would log participation until the user has consented, and tells a
minor where their guardian step stands."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.types import CallbackQuery, Message
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.settings import Settings
from bot.storage.models import User
from bot.telegram import texts
from bot.telegram.filters import NeedsConsent
from bot.telegram.routers.start import show_gate

router = Router(name="consent_gate")


@router.message(NeedsConsent(), F.chat.type == "private")
async def ask_consent(
    message: Message, user: User, session: AsyncSession, settings: Settings, bot: Bot
) -> None:
    await show_gate(message, user, session, settings, bot)


@router.callback_query(NeedsConsent())
async def refuse_button(query: CallbackQuery) -> None:
    await query.answer(texts.consent_required(), show_alert=True)
