"""`/start`: welcome, the consent notice and its age question, and deep-link payloads (invite
codes and others)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import Bot, F, Router
from aiogram.filters import CommandObject, CommandStart
from aiogram.types import CallbackQuery, Message
from aiogram.utils.deep_linking import create_start_link
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain.privacy import guardian_payload
from bot.services import privacy, users
from bot.services.enrollment import redeem_invite
from bot.services.users import Profile
from bot.settings import Settings
from bot.storage.clock import utcnow
from bot.storage.models import User
from bot.telegram import privacy_views, texts
from bot.telegram.callbacks import AgeCb, ConsentCb
from bot.telegram.keyboards import age_keyboard, consent_keyboard

router = Router(name="start")
router.message.filter(F.chat.type == "private")

PayloadHandler = Callable[[Message, str, dict[str, Any]], Awaitable[bool]]
# Other features claim deep-link payloads by prefix (e.g. "doc-"); anything else is an invite.
payload_handlers: list[tuple[str, PayloadHandler]] = []
# Payloads that work before consent: a guardian's link is not the guardian's own consent.
open_payload_handlers: list[tuple[str, PayloadHandler]] = []


async def handle_payload(message: Message, payload: str, data: dict[str, Any]) -> None:
    for prefix, handler in payload_handlers:
        if payload.startswith(prefix) and await handler(message, payload, data):
            return
    result = await redeem_invite(data["session"], data["user"], payload)
    await message.answer(texts.enroll_result(result))


async def show_notice(message: Message, settings: Settings) -> None:
    await message.answer(
        texts.consent_notice(settings.retention_days, settings.privacy_contact),
        reply_markup=consent_keyboard(),
    )


async def show_gate(
    message: Message, user: User, session: AsyncSession, settings: Settings, bot: Bot
) -> None:
    """What a person who has not consented sees: where a minor's guardian step stands, or
    the notice."""
    waiting = await privacy.waiting_guardian(session, user, now=utcnow())
    if waiting is None:
        await show_notice(message, settings)
        return
    link = await create_start_link(bot, guardian_payload(waiting.token))
    await message.answer(
        privacy_views.guardian_waiting(link, waiting.expires_at, settings.timezone),
        reply_markup=privacy_views.minor_keyboard(link),
    )


@router.message(CommandStart())
async def start(message: Message, command: CommandObject, user: User, **data: Any) -> None:
    payload = (command.args or "").strip() or None
    if payload:
        for prefix, handler in open_payload_handlers:
            if payload.startswith(prefix) and await handler(message, payload, data):
                return
    if users.needs_consent(user):
        session, settings = data["session"], data["settings"]
        waiting = await privacy.waiting_guardian(session, user, now=utcnow())
        if waiting is None:
            await users.remember_start_payload(session, user, payload)
            first_name = message.from_user.first_name if message.from_user else None
            await message.answer(texts.welcome(first_name))
        elif payload:
            await users.remember_start_payload(session, user, payload)
        await show_gate(message, user, session, settings, data["bot"])
        return
    if payload:
        await handle_payload(message, payload, {"user": user, **data})
        return
    first_name = message.from_user.first_name if message.from_user else None
    await message.answer(texts.welcome(first_name))
    await message.answer(texts.help_text(data.get("access"), user.language))


@router.callback_query(ConsentCb.filter())
async def consent_answer(
    query: CallbackQuery, callback_data: ConsentCb, user: User, **data: Any
) -> None:
    await query.answer()
    if not isinstance(query.message, Message):
        return
    session = data["session"]
    if not callback_data.accept:
        await query.message.edit_reply_markup(reply_markup=None)
        await privacy.stop_waiting(session, user)
        await users.remember_start_payload(session, user, None)
        await query.message.answer(texts.consent_declined())
        return
    if not users.needs_consent(user):
        await query.message.edit_reply_markup(reply_markup=None)
        await query.message.answer(texts.consent_given())
        return
    await query.message.edit_reply_markup(reply_markup=None)
    await query.message.answer(texts.age_question(), reply_markup=age_keyboard())


@router.callback_query(AgeCb.filter())
async def age_answer(
    query: CallbackQuery,
    callback_data: AgeCb,
    user: User,
    profile: Profile,
    settings: Settings,
    bot: Bot,
    **data: Any,
) -> None:
    await query.answer()
    if not isinstance(query.message, Message):
        return
    await query.message.edit_reply_markup(reply_markup=None)
    session = data["session"]
    if not users.needs_consent(user):
        await query.message.answer(texts.consent_given())
        return
    if callback_data.minor:
        link = await privacy.ask_guardian(session, user, now=utcnow())
        url = await create_start_link(bot, guardian_payload(link.token))
        await query.message.answer(
            privacy_views.guardian_needed(url, link.expires_at, settings.timezone),
            reply_markup=privacy_views.minor_keyboard(url),
        )
        return
    await privacy.stop_waiting(session, user)
    await users.give_consent(session, user, profile)
    await query.message.answer(texts.consent_given())
    payload = await users.pop_start_payload(session, user)
    context = {"user": user, "profile": profile, "settings": settings, "bot": bot, **data}
    if payload:
        await handle_payload(query.message, payload, context)
    elif not (data.get("access") and data["access"].grants):
        await query.message.answer(texts.no_unit_yet())
