"""The last line of defence: a failing handler is logged and the person gets a polite answer."""

from __future__ import annotations

import logging
from typing import Any

from aiogram import Router
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest, TelegramForbiddenError
from aiogram.types import ErrorEvent, Update
from aiogram.utils.i18n import I18n

from bot.storage.models import User
from bot.telegram import texts

log = logging.getLogger(__name__)
router = Router(name="errors")
NOT_MODIFIED = "message is not modified"


@router.errors()
async def on_error(event: ErrorEvent, i18n: I18n, user: User | None = None, **_: Any) -> bool:
    update = event.update
    if isinstance(event.exception, TelegramForbiddenError):
        # The person blocked the bot (or left the group) while their update was handled: there
        # is nobody to answer, and nothing is broken.
        log.info("Update %s: the chat no longer accepts messages from the bot", update.update_id)
        return True
    if isinstance(event.exception, TelegramBadRequest) and NOT_MODIFIED in event.exception.message:
        # A second tap on a button whose screen the first tap already changed: the screen
        # already shows what the handler wanted.
        log.info("Update %s: the screen was already up to date", update.update_id)
        return True
    # Only ids and the exception type: message texts may hold personal data.
    log.error(
        "Update %s failed: %s",
        update.update_id,
        type(event.exception).__name__,
        exc_info=event.exception,
    )
    locale = user.language if user is not None else i18n.default_locale
    # Errors are handled outside the locale middleware's context: enter it again.
    with i18n.context(), i18n.use_locale(locale):
        await _tell_user(update)
    return True


async def _tell_user(update: Update) -> None:
    try:
        if update.callback_query is not None:
            await update.callback_query.answer(texts.something_went_wrong(), show_alert=True)
        elif update.message is not None and update.message.chat.type == "private":
            await update.message.answer(texts.something_went_wrong())
    except TelegramAPIError:
        log.warning("Could not tell the user about the failure of update %s", update.update_id)
