"""Last resort: unknown commands and text get a helpful answer, never silence."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.types import CallbackQuery, Message

from bot.telegram import texts

router = Router(name="fallback")


@router.message(F.chat.type == "private", F.text.startswith("/"))
async def unknown_command(message: Message) -> None:
    await message.answer(texts.unknown_command())


@router.message(F.chat.type == "private")
async def unknown_text(message: Message) -> None:
    await message.answer(texts.unknown_text())


@router.callback_query()
async def stale_button(query: CallbackQuery) -> None:
    await query.answer(texts.stale_button(), show_alert=False)
