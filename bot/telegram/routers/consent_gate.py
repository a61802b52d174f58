"""Stops everything that would log participation until the user has consented."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.types import CallbackQuery, Message

from bot.telegram import texts
from bot.telegram.filters import NeedsConsent
from bot.telegram.keyboards import consent_keyboard

router = Router(name="consent_gate")


@router.message(NeedsConsent(), F.chat.type == "private")
async def ask_consent(message: Message) -> None:
    await message.answer(texts.consent_notice(), reply_markup=consent_keyboard())


@router.callback_query(NeedsConsent())
async def refuse_button(query: CallbackQuery) -> None:
    await query.answer(texts.consent_required(), show_alert=True)
