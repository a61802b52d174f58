"""`/baihoc` (`/lessons`), `?start=doc-<id>` links, `/timkiem` (`/search`) and free-text search."""

from __future__ import annotations

from typing import Any

from aiogram import Bot, F, Router
from aiogram.filters import CommandObject
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _

from bot.domain.content_links import explainer_id_from_start
from bot.domain.search_words import is_greeting
from bot.services import lessons
from bot.services.content_store import ContentStore
from bot.services.lessons import ReadStatus
from bot.storage.models import User
from bot.telegram import lesson_views as views
from bot.telegram.callbacks import LessonCb
from bot.telegram.commands import CommandSpec, register
from bot.telegram.i18n import N_
from bot.telegram.routers import start
from bot.telegram.screens import replace_query_screen

LESSONS = CommandSpec(
    "baihoc", "lessons", N_("Short explainers of the Directive and the laws it cites")
)
SEARCH = CommandSpec("timkiem", "search", N_("Find an explainer: /timkiem and a few words"))
register(LESSONS, SEARCH)

router = Router(name="lessons")


async def _username(bot: Bot) -> str:
    me = await bot.me()
    return me.username or "canhgiac_bot"


@router.message(LESSONS.filter())
async def show_categories(message: Message) -> None:
    text, keyboard = views.categories_view()
    await message.answer(text, reply_markup=keyboard)


async def open_from_start(message: Message, payload: str, data: dict[str, Any]) -> bool:
    """Deep link `?start=doc-<id>`: open the explainer as a new message."""
    explainer_id = explainer_id_from_start(payload)
    if explainer_id is None:
        return False
    content: ContentStore = data["content"]
    user: User = data["user"]
    explainer = content.library.get(explainer_id, user.language)
    if explainer is None:
        await message.answer(_("This lesson no longer exists. Send /baihoc to see all lessons."))
        return True
    await lessons.open_lesson(data["session"], user, explainer)
    text, keyboard = views.page_view(
        content.library, explainer, 0, bot_username=await _username(data["bot"])
    )
    await message.answer(text, reply_markup=keyboard)
    return True


start.payload_handlers.append(("doc-", open_from_start))


@router.callback_query(LessonCb.filter())
async def lesson_button(
    query: CallbackQuery,
    callback_data: LessonCb,
    user: User,
    content: ContentStore,
    bot: Bot,
    **data: Any,
) -> None:
    library = content.library
    if callback_data.action == "cats":
        await _show(query, *views.categories_view())
        return
    if callback_data.action == "cat":
        await _show(
            query,
            *views.category_view(library, callback_data.ref, user.language, callback_data.page),
        )
        return
    explainer = library.get(callback_data.ref, user.language)
    if explainer is None:
        await query.answer(_("This lesson no longer exists."), show_alert=True)
        return
    if callback_data.action == "read":
        result = await lessons.mark_read(data["session"], user, explainer)
        await query.answer(
            _read_answer(result.status, result.wait_seconds),
            show_alert=result.status is not ReadStatus.LOGGED,
        )
        return
    if callback_data.action == "toc":
        await _show(query, *views.toc_view(explainer))
        return
    await lessons.open_lesson(data["session"], user, explainer)
    await _show(
        query,
        *views.page_view(library, explainer, callback_data.page, bot_username=await _username(bot)),
    )


def _read_answer(status: ReadStatus, wait_seconds: int) -> str:
    match status:
        case ReadStatus.LOGGED:
            return _("✅ Recorded. Thank you for reading!")
        case ReadStatus.ALREADY:
            return _("You have already marked this lesson as read.")
        case ReadStatus.NO_UNIT:
            return _("Join your unit first (open its invite link) so your reading is counted.")
        case _:
            return _("Take your time: please read for another {seconds} seconds.").format(
                seconds=wait_seconds
            )


async def _show(query: CallbackQuery, text: str, keyboard: InlineKeyboardMarkup) -> None:
    """Edit the message in place; a message too old to edit gets a fresh copy instead."""
    await query.answer()
    await replace_query_screen(query, text, keyboard)


@router.message(SEARCH.filter())
async def search_command(
    message: Message, command: CommandObject, user: User, content: ContentStore
) -> None:
    query = (command.args or "").strip()
    if not query:
        await message.answer(
            _("Write what you are looking for after the command, e.g. /timkiem lừa đảo")
        )
        return
    await _answer_search(message, query, user, content)


@router.message(F.chat.type == "private", F.text, ~F.text.startswith("/"))
async def free_text_search(message: Message, user: User, content: ContentStore) -> None:
    text = message.text or ""
    if is_greeting(text):
        await message.answer(views.greeting_reply())
        return
    await _answer_search(message, text, user, content)


async def _answer_search(message: Message, query: str, user: User, content: ContentStore) -> None:
    hits = content.library.search(query[:200], lang=user.language, limit=5)
    text, keyboard = views.search_view(query, hits)
    await message.answer(text, reply_markup=keyboard)
