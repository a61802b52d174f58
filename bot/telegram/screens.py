"""Showing a screen in place: edit the message, or send a fresh one when it cannot be edited."""

from __future__ import annotations

from aiogram.exceptions import TelegramBadRequest
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message


async def replace_screen(
    message: Message, text: str, keyboard: InlineKeyboardMarkup | None
) -> None:
    """An unchanged screen is left alone; a message too old to edit gets a new copy below."""
    try:
        await message.edit_text(text, reply_markup=keyboard)
    except TelegramBadRequest as exc:
        if "message is not modified" not in exc.message:
            await message.answer(text, reply_markup=keyboard)


async def replace_query_screen(
    query: CallbackQuery, text: str, keyboard: InlineKeyboardMarkup | None
) -> None:
    if isinstance(query.message, Message):
        await replace_screen(query.message, text, keyboard)
