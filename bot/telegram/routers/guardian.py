"""A minor's guardian step: the guardian opens `?start=guardian-<token>` and agrees, refuses or
later withdraws; the minor asks for a new link or starts over. Works before consent (the
guardian need not use the bot themselves), so it sits before the consent gate."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

from aiogram import Bot, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.deep_linking import create_start_link
from aiogram.utils.i18n import I18n
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain.privacy import GUARDIAN_PREFIX, guardian_payload, token_of
from bot.services import privacy, users
from bot.services.privacy import LinkStatus
from bot.settings import Settings
from bot.storage.clock import utcnow
from bot.storage.models import User
from bot.telegram import privacy_views as views
from bot.telegram import texts
from bot.telegram.callbacks import GuardianCb
from bot.telegram.person_state import state_eraser
from bot.telegram.routers import start

router = Router(name="guardian")


def _refusal(status: LinkStatus) -> str:
    if status is LinkStatus.OWN:
        return views.link_own()
    if status is LinkStatus.AGREED:
        return views.link_taken()
    return views.link_invalid()


async def open_link(message: Message, payload: str, data: dict[str, Any]) -> bool:
    """`/start guardian-<token>`: the guardian's notice, or why the link cannot be used."""
    token = token_of(payload)
    if token is None or message.from_user is None:
        await message.answer(views.link_invalid())
        return True
    session: AsyncSession = data["session"]
    settings: Settings = data["settings"]
    check = await privacy.check_link(session, token, opener_id=message.from_user.id, now=utcnow())
    if check.status is LinkStatus.OPEN:
        await message.answer(
            views.guardian_notice(settings.retention_days),
            reply_markup=views.guardian_keyboard(token),
        )
    elif (
        check.status is LinkStatus.AGREED
        and check.link is not None
        and check.link.guardian_id == message.from_user.id
        and check.link.agreed_at is not None
    ):
        await message.answer(
            views.guardian_agreed_before(check.link.agreed_at, settings.timezone),
            reply_markup=views.withdraw_keyboard(token),
        )
    else:
        await message.answer(_refusal(check.status))
    return True


start.open_payload_handlers.append((GUARDIAN_PREFIX, open_link))


async def _tell_minor(
    bot: Bot,
    i18n: I18n,
    minor_id: int,
    language: str,
    render: Callable[[], tuple[str, InlineKeyboardMarkup | None]],
) -> None:
    """A message to the minor in their language; a minor who blocked the bot is not told."""
    with i18n.use_locale(language):
        text, keyboard = render()
    with contextlib.suppress(TelegramAPIError):
        await bot.send_message(minor_id, text, reply_markup=keyboard)


@router.callback_query(GuardianCb.filter())
async def guardian_button(
    query: CallbackQuery,
    callback_data: GuardianCb,
    user: User,
    session: AsyncSession,
    settings: Settings,
    bot: Bot,
    i18n: I18n,
    **data: Any,
) -> None:
    message = query.message if isinstance(query.message, Message) else None
    act, token, now = callback_data.act, callback_data.token, utcnow()
    if act in ("new", "over"):
        await _minor_button(query, message, act, user, session, settings, bot)
        return
    if act == "ok":
        check = await privacy.guardian_agrees(session, token, guardian_id=user.id, now=now)
        if check.status is not LinkStatus.OPEN or check.minor is None:
            await query.answer(_refusal(check.status), show_alert=True)
            return
        await query.answer()
        if message is not None:
            await message.edit_text(views.guardian_thanks())
        minor = check.minor
        payload = await users.pop_start_payload(session, minor)
        link = await create_start_link(bot, payload) if payload else None
        await _tell_minor(
            bot,
            i18n,
            minor.id,
            minor.language,
            lambda: (
                views.guardian_agreed_minor(),
                views.continue_keyboard(link) if link else None,
            ),
        )
        return
    if act == "no":
        check = await privacy.guardian_declines(session, token, guardian_id=user.id, now=now)
        if check.status is not LinkStatus.OPEN or check.minor is None:
            await query.answer(_refusal(check.status), show_alert=True)
            return
        await query.answer()
        if message is not None:
            await message.edit_text(views.guardian_declined())
        minor = check.minor
        await _tell_minor(
            bot, i18n, minor.id, minor.language, lambda: (views.guardian_refused_minor(), None)
        )
        return
    if act == "end":
        await _withdraw(query, message, token, user, session, settings, bot, i18n, data)
        return
    await query.answer(texts.stale_button())


async def _withdraw(
    query: CallbackQuery,
    message: Message | None,
    token: str,
    user: User,
    session: AsyncSession,
    settings: Settings,
    bot: Bot,
    i18n: I18n,
    data: dict[str, Any],
) -> None:
    """The guardian withdraws: the minor is erased, as if they had deleted their data."""
    check = await privacy.check_link(session, token, opener_id=user.id, now=utcnow())
    link = check.link
    if check.status is not LinkStatus.AGREED or link is None or link.guardian_id != user.id:
        await query.answer(views.link_invalid(), show_alert=True)
        return
    minor = await session.get(User, link.minor_id)
    language = minor.language if minor is not None else settings.default_language
    key = await privacy.pseudonym_key(session, settings)
    await privacy.erase(
        session,
        link.minor_id,
        key=key,
        forget_state=state_eraser(data["state"].storage, bot.id),
    )
    await query.answer()
    if message is not None:
        await message.edit_text(views.guardian_withdrawn())
    await _tell_minor(
        bot, i18n, link.minor_id, language, lambda: (views.guardian_withdrew_minor(), None)
    )


async def _minor_button(
    query: CallbackQuery,
    message: Message | None,
    act: str,
    user: User,
    session: AsyncSession,
    settings: Settings,
    bot: Bot,
) -> None:
    """The minor, still waiting: a fresh link, or the notice again."""
    if not users.needs_consent(user) or message is None:
        await query.answer(texts.stale_button())
        return
    await query.answer()
    if act == "over":
        await privacy.stop_waiting(session, user)
        await message.edit_reply_markup(reply_markup=None)
        await start.show_notice(message, settings)
        return
    link = await privacy.ask_guardian(session, user, now=utcnow())
    url = await create_start_link(bot, guardian_payload(link.token))
    await message.edit_text(
        views.guardian_needed(url, link.expires_at, settings.timezone),
        reply_markup=views.minor_keyboard(url),
    )
