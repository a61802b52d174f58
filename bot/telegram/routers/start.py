"""`/start`: welcome, the consent notice, and deep-link payloads (invite codes and others)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import F, Router
from aiogram.filters import CommandObject, CommandStart
from aiogram.types import CallbackQuery, Message

from bot.services import users
from bot.services.enrollment import redeem_invite
from bot.services.users import Profile
from bot.storage.models import User
from bot.telegram import texts
from bot.telegram.callbacks import ConsentCb
from bot.telegram.keyboards import consent_keyboard

router = Router(name="start")
router.message.filter(F.chat.type == "private")

PayloadHandler = Callable[[Message, str, dict[str, Any]], Awaitable[bool]]
# Other features claim deep-link payloads by prefix (e.g. "doc-"); anything else is an invite.
payload_handlers: list[tuple[str, PayloadHandler]] = []


async def handle_payload(message: Message, payload: str, data: dict[str, Any]) -> None:
    for prefix, handler in payload_handlers:
        if payload.startswith(prefix) and await handler(message, payload, data):
            return
    result = await redeem_invite(data["session"], data["user"], payload)
    await message.answer(texts.enroll_result(result))


@router.message(CommandStart())
async def start(message: Message, command: CommandObject, user: User, **data: Any) -> None:
    payload = (command.args or "").strip() or None
    if users.needs_consent(user):
        await users.remember_start_payload(data["session"], user, payload)
        first_name = message.from_user.first_name if message.from_user else None
        await message.answer(texts.welcome(first_name))
        await message.answer(texts.consent_notice(), reply_markup=consent_keyboard())
        return
    if payload:
        await handle_payload(message, payload, {"user": user, **data})
        return
    first_name = message.from_user.first_name if message.from_user else None
    await message.answer(texts.welcome(first_name))
    await message.answer(texts.help_text(data.get("access"), user.language))


@router.callback_query(ConsentCb.filter())
async def consent_answer(
    query: CallbackQuery, callback_data: ConsentCb, user: User, profile: Profile, **data: Any
) -> None:
    await query.answer()
    if not isinstance(query.message, Message):
        return
    await query.message.edit_reply_markup(reply_markup=None)
    if not callback_data.accept:
        await users.remember_start_payload(data["session"], user, None)
        await query.message.answer(texts.consent_declined())
        return
    if users.needs_consent(user):
        await users.give_consent(data["session"], user, profile)
    await query.message.answer(texts.consent_given())
    payload = await users.pop_start_payload(data["session"], user)
    if payload:
        await handle_payload(query.message, payload, {"user": user, "profile": profile, **data})
    elif not (data.get("access") and data["access"].grants):
        await query.message.answer(texts.no_unit_yet())
