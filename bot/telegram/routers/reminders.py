"""`/nhacnho` (`/reminders`): trainers list, pause, resume, delete and test reminders, enable
the 19/8 series and fetch the monthly spreadsheet; learners' "Seen" and "Remind me in an hour".
Creating a reminder is the wizard in `reminder_wizard`.

Rights are checked by the services on every action (`require_scope`); a button only carries
ids.
"""

from __future__ import annotations

from typing import Any

from aiogram import Bot, F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.delivery.render import Payload
from bot.domain import campaigns
from bot.services import reminder_campaign, reminder_fires
from bot.services import reminders as svc
from bot.services.access import Access
from bot.services.bank_store import BankStore
from bot.services.content_store import ContentStore
from bot.services.grants import ScopeError
from bot.services.units import load_tree
from bot.settings import Settings
from bot.storage.clock import utcnow
from bot.storage.models import Role, User
from bot.telegram import reminder_views as views
from bot.telegram.callbacks import ReminderAdminCb as Cb
from bot.telegram.callbacks import ReminderCb
from bot.telegram.commands import CommandSpec, register
from bot.telegram.i18n import N_
from bot.telegram.private_chat import command_payload, private_buttons, private_command
from bot.telegram.reminder_cards import ReminderRenderer, offer_payload
from bot.telegram.routers import reminder_wizard as wizard
from bot.telegram.routers.reminder_wizard import reply, show

REMINDERS = CommandSpec(
    "nhacnho", "reminders", N_("Training reminders for your units"), role=Role.TRAINER
)
register(REMINDERS)

router = Router(name="reminders")
router.include_router(wizard.router)


async def _renderer(bot: Bot, data: dict[str, Any]) -> ReminderRenderer:
    me = await bot.me()
    return ReminderRenderer(
        data["i18n"],
        bot_username=me.username or "canhgiac_bot",
        content=data["content"],
        banks=data["banks"],
    )


def _wake(data: dict[str, Any]) -> None:
    sender = data.get("sender")
    if sender is not None:
        sender.wake()


# Learners -----------------------------------------------------------------------------------


@router.callback_query(ReminderCb.filter())
async def learner_button(
    query: CallbackQuery,
    callback_data: ReminderCb,
    session: AsyncSession,
    user: User,
    bot: Bot,
    settings: Settings,
    **data: Any,
) -> None:
    if callback_data.act == "ack":
        status = await reminder_fires.acknowledge(session, user, callback_data.fire, now=utcnow())
        await query.answer(views.ack_answer(status))
        return
    result = await reminder_fires.snooze(
        session, user, callback_data.fire, now=utcnow(), render=await _renderer(bot, data)
    )
    await query.answer(views.snooze_answer(result, settings.bot_timezone), show_alert=False)


# The list ---------------------------------------------------------------------------------------


async def _menu(
    session: AsyncSession,
    access: Access,
    settings: Settings,
    content: ContentStore,
    banks: BankStore,
    page: int = 0,
) -> tuple[str, InlineKeyboardMarkup]:
    now = utcnow()
    holidays = settings.holiday_rules()
    tree = await load_tree(session)
    lines = []
    for reminder in await svc.managed(session, access):
        node = tree.get(reminder.unit_id)
        upcoming = await svc.next_fire(session, reminder, holidays=holidays, now=now)
        lines.append(views.Line(reminder, node.name if node else "?", upcoming))
    year = campaigns.offer_year(now.astimezone(settings.timezone).date())
    if year is not None and not await reminder_campaign.offer_units(session, access, year):
        year = None
    return views.menu_view(lines, page, library=content.library, banks=banks, offer_year=year)


@router.message(REMINDERS.filter())
async def show_menu(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    access: Access,
    settings: Settings,
    content: ContentStore,
    banks: BankStore,
) -> None:
    await state.clear()
    if not access.has_role(Role.TRAINER):
        await message.answer(views.not_trainer())
        return
    await reply(message, await _menu(session, access, settings, content, banks))


private_command(REMINDERS, show_menu)
private_buttons(Cb, lambda _: command_payload(REMINDERS))


@router.callback_query(Cb.filter(F.act == "menu"))
async def menu_page(
    query: CallbackQuery,
    callback_data: Cb,
    state: FSMContext,
    session: AsyncSession,
    access: Access,
    settings: Settings,
    content: ContentStore,
    banks: BankStore,
) -> None:
    await state.clear()
    await query.answer()
    page = int(callback_data.v) if callback_data.v.isdigit() else 0
    await show(query, *await _menu(session, access, settings, content, banks, page))


@router.callback_query(Cb.filter(F.act.in_({"pause", "resume", "del", "delok", "test"})))
async def manage(
    query: CallbackQuery,
    callback_data: Cb,
    session: AsyncSession,
    access: Access,
    user: User,
    bot: Bot,
    settings: Settings,
    content: ContentStore,
    banks: BankStore,
    **data: Any,
) -> None:
    now = utcnow()
    act, rid = callback_data.act, callback_data.id
    try:
        if act in ("pause", "resume"):
            await svc.set_paused(session, access, rid, act == "pause", now=now)
            await query.answer(views.paused_answer(act == "pause"))
        elif act == "del":
            screen = views.delete_view(await svc.get_managed(session, access, rid))
            await query.answer()
            await show(query, *screen)
            return
        elif act == "delok":
            await svc.delete(session, access, rid, now=now)
            await query.answer(views.deleted_answer(rid))
        else:
            reminder = await svc.get_managed(session, access, rid)
            render = await _renderer(bot, {**data, "content": content, "banks": banks})
            await reminder_fires.send_test(session, reminder, user, now=now, render=render)
            _wake(data)
            await query.answer(views.test_answer())
            return
    except svc.ReminderError as exc:
        await query.answer(views.problem_text(exc), show_alert=True)
        return
    except ScopeError:
        await query.answer(views.not_allowed(), show_alert=True)
        return
    await show(query, *await _menu(session, access, settings, content, banks))


# The 19/8 series ---------------------------------------------------------------------------------


@router.callback_query(Cb.filter(F.act == "offer"))
async def show_offer(
    query: CallbackQuery, callback_data: Cb, session: AsyncSession, access: Access
) -> None:
    await query.answer()
    year = int(callback_data.v) if callback_data.v.isdigit() else 0
    units = await reminder_campaign.offer_units(session, access, year)
    if not units:
        await show(query, views.offer_none(), InlineKeyboardMarkup(inline_keyboard=[]))
        return
    payload: Payload = offer_payload(year, units)
    await show(query, payload.text, payload.keyboard() or InlineKeyboardMarkup(inline_keyboard=[]))


@router.callback_query(Cb.filter(F.act == "camp"))
async def enable_series(
    query: CallbackQuery,
    callback_data: Cb,
    session: AsyncSession,
    access: Access,
    settings: Settings,
) -> None:
    year = int(callback_data.v) if callback_data.v.isdigit() else 0
    try:
        added = await reminder_campaign.enable(
            session,
            access,
            callback_data.id,
            year,
            now=utcnow(),
            default_quiet=settings.reminder_quiet_hours,
        )
    except ScopeError:
        await query.answer(views.not_allowed(), show_alert=True)
        return
    await query.answer(views.campaign_answer(added), show_alert=True)
