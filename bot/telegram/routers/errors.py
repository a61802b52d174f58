"""The last line of defence: a failing handler is logged and the person gets a polite answer."""

from __future__ import annotations

import logging

from aiogram import Router
from aiogram.exceptions import TelegramAPIError
from aiogram.types import ErrorEvent

from bot.telegram import texts

log = logging.getLogger(__name__)
router = Router(name="errors")


@router.errors()
async def on_error(event: ErrorEvent) -> bool:
    update = event.update
    # Only ids and the exception type: message texts may hold personal data.
    log.error(
        "Update %s failed: %s", update.update_id, type(event.exception).__name__,
        exc_info=event.exception,
    )
    try:
        if update.callback_query is not None:
            await update.callback_query.answer(texts.something_went_wrong(), show_alert=True)
        elif update.message is not None and update.message.chat.type == "private":
            await update.message.answer(texts.something_went_wrong())
    except TelegramAPIError:
        log.warning("Could not tell the user about the failure of update %s", update.update_id)
    return True
