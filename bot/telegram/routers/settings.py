"""Personal settings: language, and the privacy panel (export, name visibility, the notice,
delete). The panel works only in the private chat (`bot.telegram.private_chat`)."""

from __future__ import annotations

import logging
from typing import Any

from aiogram import Bot, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import BufferedInputFile, CallbackQuery, Message
from aiogram.utils.i18n import I18n
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.services import privacy as privacy_service
from bot.services import users
from bot.settings import Settings
from bot.storage.models import User
from bot.telegram import texts
from bot.telegram.callbacks import LanguageCb, PrivacyCb
from bot.telegram.commands import LANGUAGE, PRIVACY
from bot.telegram.keyboards import confirm_forget_keyboard, language_keyboard, privacy_keyboard
from bot.telegram.person_state import state_eraser
from bot.telegram.private_chat import command_payload, private_buttons, private_command
from bot.telegram.routers.start import show_gate

log = logging.getLogger(__name__)
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
async def privacy(
    message: Message, user: User, session: AsyncSession, settings: Settings, bot: Bot
) -> None:
    if users.needs_consent(user):
        await show_gate(message, user, session, settings, bot)
        return
    await message.answer(
        texts.privacy_overview(user.public_name), reply_markup=privacy_keyboard(user.public_name)
    )


private_command(PRIVACY, privacy)
private_buttons(PrivacyCb, lambda _: command_payload(PRIVACY))


@router.callback_query(PrivacyCb.filter())
async def privacy_action(
    query: CallbackQuery,
    callback_data: PrivacyCb,
    user: User,
    session: AsyncSession,
    settings: Settings,
    state: FSMContext,
    bot: Bot,
) -> None:
    message = query.message if isinstance(query.message, Message) else None
    if users.needs_consent(user) or message is None:
        await query.answer(texts.consent_required(), show_alert=True)
        return
    await query.answer()
    match callback_data.action:
        case "export":
            document = await privacy_service.export(
                session, user.id, open_dialogue=await state.get_data()
            )
            await message.answer_document(
                BufferedInputFile(document, filename="canhgiac-du-lieu-cua-toi.json")
            )
        case "public" | "private":
            await users.set_public_name(session, user, callback_data.action == "public")
            await message.edit_text(
                texts.privacy_overview(user.public_name),
                reply_markup=privacy_keyboard(user.public_name),
            )
        case "notice":
            await message.answer(
                texts.consent_notice(settings.retention_days, settings.privacy_contact)
            )
        case "forget":
            await message.answer(texts.forget_confirm(), reply_markup=confirm_forget_keyboard())
        case "forget_yes":
            key = await privacy_service.pseudonym_key(session, settings)
            await privacy_service.erase(
                session, user.id, key=key, forget_state=state_eraser(state.storage, bot.id)
            )
            await message.edit_text(texts.forgotten())
        case _:
            await message.edit_text(texts.kept_as_is())


@router.startup()
async def check_pseudonym_key(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    """Without PSEUDONYM_KEY the key is made once and kept in the database: say so at start."""
    if privacy_service.key_is_configured(settings):
        return
    async with sessionmaker() as session:
        await privacy_service.pseudonym_key(session, settings)
    log.warning(
        "PSEUDONYM_KEY is not set: erased people are pseudonymised with a key kept in the "
        "database, so whoever holds the database holds the key. Set PSEUDONYM_KEY."
    )
