"""Messages without a real person behind them: an anonymous group admin (sent as the group,
`from` is GroupAnonymousBot) or a channel posting in a group. Every other handler needs the
person's record, so these stop here: a command gets a polite refusal, anything else nothing."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.types import Message

from bot.telegram import texts
from bot.telegram.filters import NoRealUser

router = Router(name="no_user")


@router.message(NoRealUser(), F.text.startswith("/"))
async def refuse_command(message: Message, bot: Bot) -> None:
    command = (message.text or "").split(maxsplit=1)[0]
    _, _, addressee = command.partition("@")
    if addressee and addressee.lower() != ((await bot.me()).username or "").lower():
        return  # a command for another bot in the group
    await message.answer(texts.no_real_user())


@router.message(NoRealUser())
async def ignore(message: Message) -> None:
    """Plain talk of a channel or an anonymous admin: nothing to answer."""
