"""`/trogiup` (`/help`): what the user's role can do; their units only in the private chat."""

from __future__ import annotations

from aiogram import Router
from aiogram.types import Message

from bot.services.access import Access
from bot.storage.models import User
from bot.telegram import texts
from bot.telegram.commands import HELP

router = Router(name="help")


@router.message(HELP.filter())
async def show_help(message: Message, user: User, access: Access | None = None) -> None:
    private = message.chat.type == "private"
    await message.answer(texts.help_text(access, user.language, private=private))
