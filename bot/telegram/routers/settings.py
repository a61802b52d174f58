"""Personal settings: language, and the privacy panel (export, name visibility, delete)."""

from __future__ import annotations

import json
from typing import Any

from aiogram import Router
from aiogram.types import BufferedInputFile, CallbackQuery, Message
from aiogram.utils.i18n import I18n

from bot.services import users
from bot.storage.models import User
from bot.telegram import texts
from bot.telegram.callbacks import LanguageCb, PrivacyCb
from bot.telegram.commands import LANGUAGE, PRIVACY
from bot.telegram.keyboards import (
    confirm_forget_keyboard,
    consent_keyboard,
    language_keyboard,
    privacy_keyboard,
)

router = Router(name="settings")


@router.message(LANGUAGE.filter())
async def choose_language(message: Message) -> None:
    await message.answer(texts.choose_language(), reply_markup=language_keyboard())


@router.callback_query(LanguageCb.filter())
async def language_chosen(
    query: CallbackQuery, callback_data: LanguageCb, user: User, i18n: I18n, **data: Any
) -> None:
    if not await users.set_language(data["session"], user, callback_data.code):
        await query.answer()
        return
    with i18n.use_locale(callback_data.code):
        await query.answer(texts.language_set())
        if isinstance(query.message, Message):
            await query.message.edit_text(texts.language_set())


@router.message(PRIVACY.filter())
async def privacy(message: Message, user: User) -> None:
    if users.needs_consent(user):
        await message.answer(texts.consent_notice(), reply_markup=consent_keyboard())
        return
    await message.answer(
        texts.privacy_overview(user.public_name), reply_markup=privacy_keyboard(user.public_name)
    )


@router.callback_query(PrivacyCb.filter())
async def privacy_action(
    query: CallbackQuery, callback_data: PrivacyCb, user: User, **data: Any
) -> None:
    session = data["session"]
    message = query.message if isinstance(query.message, Message) else None
    if users.needs_consent(user) or message is None:
        await query.answer(texts.consent_required(), show_alert=True)
        return
    await query.answer()
    match callback_data.action:
        case "export":
            payload = json.dumps(
                await users.export_data(session, user), ensure_ascii=False, indent=2
            )
            await message.answer_document(
                BufferedInputFile(payload.encode("utf-8"), filename="canhgiac-my-data.json")
            )
        case "public" | "private":
            await users.set_public_name(session, user, callback_data.action == "public")
            await message.edit_text(
                texts.privacy_overview(user.public_name),
                reply_markup=privacy_keyboard(user.public_name),
            )
        case "forget":
            await message.answer(texts.forget_confirm(), reply_markup=confirm_forget_keyboard())
        case "forget_yes":
            await users.forget(session, user)
            await message.edit_text(texts.forgotten())
        case _:
            await message.edit_text(texts.kept_as_is())
