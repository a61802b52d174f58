"""Putting a quiz card on screen: edit the attempt's message in place, or send a fresh one
when it cannot be edited. Shared by the quiz router and the quiz timer."""

from __future__ import annotations

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import InlineKeyboardMarkup, LinkPreviewOptions

from bot.services.quiz_outcomes import Step
from bot.telegram import quiz_views as views

NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


async def bot_username(bot: Bot) -> str:
    me = await bot.me()
    return me.username or "canhgiac_bot"


async def put(
    bot: Bot,
    *,
    chat_id: int,
    message_id: int | None,
    text: str,
    keyboard: InlineKeyboardMarkup | None,
) -> int | None:
    """Show `text` in `message_id`; returns the id of a new message if one had to be sent."""
    if message_id is not None:
        try:
            await bot.edit_message_text(
                text=text,
                chat_id=chat_id,
                message_id=message_id,
                reply_markup=keyboard,
                link_preview_options=NO_PREVIEW,
            )
            return None
        except TelegramBadRequest as exc:
            if "message is not modified" in exc.message:
                return None
    sent = await bot.send_message(
        chat_id, text, reply_markup=keyboard, link_preview_options=NO_PREVIEW
    )
    return sent.message_id


def render_step(step: Step, username: str) -> views.Rendered:
    """The card after an answer or a timeout: the next question, or the final card."""
    if step.summary is not None:
        return views.final_card(step.feedback, step.summary, bot_username=username)
    assert step.next is not None
    return views.question_card(step.next, feedback=step.feedback, bot_username=username)


async def show_step(bot: Bot, step: Step, *, message_id: int | None = None) -> int | None:
    """Show the step in `message_id` (default: the attempt's card)."""
    text, keyboard = render_step(step, await bot_username(bot))
    target = message_id if message_id is not None else step.message_id
    return await put(bot, chat_id=step.chat_id, message_id=target, text=text, keyboard=keyboard)
