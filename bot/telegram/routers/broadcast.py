"""`/phatbai` (`/broadcast`): a trainer picks units, composes, previews and confirms; the
status message's Cancel; recipients' "I have read it"; and the sender started with the bot.

The wizard keeps its draft in the FSM data as plain values; rights are checked again by the
service when the broadcast is written (`broadcasts.create`), so a button only carries ids.
"""

from __future__ import annotations

import contextlib
import logging
from datetime import datetime
from typing import Any

from aiogram import Bot, Dispatcher, F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import I18n
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.delivery import render
from bot.delivery.broadcast_watch import BroadcastWatch
from bot.delivery.leading import SenderLeadership
from bot.delivery.render import CAPTION_LIMIT, TEXT_LIMIT, Payload
from bot.delivery.sender import Sender
from bot.leader import SENDER_LOCK_KEY, leader_lock_for
from bot.services import broadcasts
from bot.services.access import Access
from bot.services.bank_store import BankStore
from bot.services.broadcasts import AckStatus, ContentKind, Draft
from bot.services.content_store import ContentStore
from bot.services.grants import ScopeError
from bot.services.units import load_tree
from bot.settings import Settings
from bot.storage.clock import utcnow
from bot.storage.models import Role, User
from bot.telegram import broadcast_views as views
from bot.telegram.callbacks import BroadcastAckCb, BroadcastCb
from bot.telegram.commands import CommandSpec, register
from bot.telegram.i18n import N_
from bot.telegram.private_chat import command_payload, private_buttons, private_command
from bot.telegram.screens import replace_query_screen

log = logging.getLogger(__name__)

BROADCAST = CommandSpec(
    "phatbai", "broadcast", N_("Send a message to everyone in your units"), role=Role.TRAINER
)
register(BROADCAST)

router = Router(name="broadcast")
PRIVATE = F.chat.type == "private"
CONTENT_INPUT = ~F.text.startswith("/")
MAX_CHOICES = 40  # lessons or quizzes offered as buttons
DRAFT, SENT = "draft", "sent"  # FSM keys: the draft's token, and the token once sent


class Form(StatesGroup):
    units = State()
    content = State()
    pick = State()
    options = State()
    when = State()
    confirm = State()


def _draft(data: dict[str, Any]) -> Draft:
    at = data.get("at")
    return Draft(
        unit_ids=tuple(data.get("units", ())),
        kind=ContentKind(data.get("kind", ContentKind.TEXT.value)),
        body=data.get("body", ""),
        file_id=data.get("file_id"),
        link_ref=data.get("link_ref"),
        ask_ack=bool(data.get("ack")),
        silent=bool(data.get("silent")),
        scheduled_at=datetime.fromisoformat(at) if at else None,
        token=data.get(DRAFT),
    )


async def _show(query: CallbackQuery, text: str, keyboard: InlineKeyboardMarkup | None) -> None:
    """Edit the wizard's message in place."""
    await replace_query_screen(query, text, keyboard)


async def _username(bot: Bot) -> str:
    me = await bot.me()
    return me.username or "canhgiac_bot"


# Step 1: units


@router.message(BROADCAST.filter(), PRIVATE)
async def start_broadcast(
    message: Message, state: FSMContext, session: AsyncSession, access: Access | None = None
) -> None:
    if access is None or not access.has_role(Role.TRAINER):
        await message.answer(views.trainers_only())
        return
    tree = await load_tree(session)
    units = broadcasts.selectable_units(tree, access)
    if not units:
        await message.answer(views.no_units())
        return
    await state.clear()
    await state.set_state(Form.units)
    await state.update_data(
        {"units": [], "offered": [u.id for u in units], DRAFT: broadcasts.new_draft_token()}
    )
    text, keyboard = views.units_view(tree, units, set())
    await message.answer(text, reply_markup=keyboard)


private_command(BROADCAST, start_broadcast)
private_buttons(BroadcastCb, lambda _: command_payload(BROADCAST))


@router.callback_query(BroadcastCb.filter(F.act == "unit"), Form.units)
async def toggle_unit(
    query: CallbackQuery,
    callback_data: BroadcastCb,
    state: FSMContext,
    session: AsyncSession,
    access: Access,
) -> None:
    data = await state.get_data()
    chosen = set(data.get("units", []))
    chosen ^= {callback_data.v} if callback_data.v in data.get("offered", []) else set()
    await state.update_data(units=sorted(chosen))
    tree = await load_tree(session)
    await query.answer()
    await _show(query, *views.units_view(tree, broadcasts.selectable_units(tree, access), chosen))


@router.callback_query(BroadcastCb.filter(F.act == "next"), Form.units)
async def units_chosen(query: CallbackQuery, state: FSMContext) -> None:
    if not (await state.get_data()).get("units"):
        await query.answer(views.choose_a_unit(), show_alert=True)
        return
    await query.answer()
    await state.set_state(Form.content)
    await _show(query, *views.content_prompt())


# Step 2: content


@router.message(Form.content, PRIVATE, CONTENT_INPUT)
async def content_given(
    message: Message, state: FSMContext, session: AsyncSession, access: Access, settings: Settings
) -> None:
    body = message.html_text if (message.text or message.caption) else ""
    if message.photo:
        kind, file_id, limit = ContentKind.PHOTO, message.photo[-1].file_id, CAPTION_LIMIT
    elif message.document:
        kind, file_id, limit = ContentKind.DOCUMENT, message.document.file_id, CAPTION_LIMIT
    elif message.text:
        kind, file_id, limit = ContentKind.TEXT, None, TEXT_LIMIT
    else:
        await message.answer(views.unsupported_content())
        return
    visible = message.text or message.caption or ""
    if len(visible.encode("utf-16-le")) // 2 > limit:  # Telegram counts UTF-16 units
        await message.answer(views.too_long(limit))
        return
    await state.update_data(body=body, link_ref=None, kind=kind.value, file_id=file_id)
    await _to_options(message, state, session, access, settings)


@router.callback_query(BroadcastCb.filter(F.act.in_({"lesson", "quiz"})), Form.content)
async def list_links(
    query: CallbackQuery,
    callback_data: BroadcastCb,
    state: FSMContext,
    user: User,
    content: ContentStore,
    banks: BankStore,
) -> None:
    await query.answer()
    if callback_data.act == "lesson":
        explainers = content.library.explainers(user.language) or content.library.explainers()
        explainers = explainers[:MAX_CHOICES]
        choices = [e.id for e in explainers]
        labels = [e.title for e in explainers]
        title = views.lessons_title()
    else:
        listed = banks.listed(user.language)[:MAX_CHOICES]
        choices = [b.id for b in listed]
        labels = [b.title for b in listed]
        title = views.quizzes_title()
    await state.set_state(Form.pick)
    await state.update_data(link_kind=callback_data.act, choices=choices)
    await _show(query, *views.choice_view(title, labels))


@router.callback_query(BroadcastCb.filter(F.act == "pick"), Form.pick)
async def link_picked(
    query: CallbackQuery,
    callback_data: BroadcastCb,
    state: FSMContext,
    session: AsyncSession,
    access: Access,
    settings: Settings,
    user: User,
    content: ContentStore,
    banks: BankStore,
) -> None:
    data = await state.get_data()
    choices = data.get("choices", [])
    ref = choices[callback_data.v] if 0 <= callback_data.v < len(choices) else None
    explainer = bank = None
    if ref and data.get("link_kind") == "lesson":
        explainer = content.library.get(ref, user.language) or content.library.get(ref)
    elif ref:
        bank = banks.get(ref)
    if explainer is None and bank is None:
        await query.answer(views.stale(), show_alert=True)
        return
    await query.answer()
    body = views.lesson_body(explainer) if explainer else views.quiz_body(bank)  # type: ignore[arg-type]
    kind = ContentKind.LESSON if explainer else ContentKind.QUIZ
    await state.update_data(kind=kind.value, body=body, file_id=None, link_ref=ref)
    if isinstance(query.message, Message):
        await query.message.edit_reply_markup(reply_markup=None)
        await _to_options(query.message, state, session, access, settings)


# Step 3: options, schedule, preview, confirm


async def _options_view(
    state: FSMContext, session: AsyncSession, access: Access, settings: Settings
) -> tuple[str, InlineKeyboardMarkup]:
    draft = _draft(await state.get_data())
    tree = await load_tree(session)
    names = [node.name for u in draft.unit_ids if (node := tree.get(u)) is not None]
    count = await broadcasts.audience_size(session, access, draft.unit_ids)
    return views.options_view(draft, names, count, settings.timezone)


async def _to_options(
    message: Message, state: FSMContext, session: AsyncSession, access: Access, settings: Settings
) -> None:
    await state.set_state(Form.options)
    text, keyboard = await _options_view(state, session, access, settings)
    await message.answer(text, reply_markup=keyboard)


@router.callback_query(BroadcastCb.filter(F.act.in_({"ack", "silent", "now"})), Form.options)
async def toggle_option(
    query: CallbackQuery,
    callback_data: BroadcastCb,
    state: FSMContext,
    session: AsyncSession,
    access: Access,
    settings: Settings,
) -> None:
    data = await state.get_data()
    if callback_data.act == "now":
        await state.update_data(at=None)
    else:
        await state.update_data({callback_data.act: not data.get(callback_data.act)})
    await query.answer()
    await _show(query, *await _options_view(state, session, access, settings))


@router.callback_query(BroadcastCb.filter(F.act == "when"), Form.options)
async def ask_when(query: CallbackQuery, state: FSMContext, settings: Settings) -> None:
    await query.answer()
    await state.set_state(Form.when)
    await _show(query, *views.when_prompt(settings.bot_timezone))


@router.callback_query(BroadcastCb.filter(F.act == "now"), Form.when)
async def send_now(
    query: CallbackQuery,
    state: FSMContext,
    session: AsyncSession,
    access: Access,
    settings: Settings,
) -> None:
    await query.answer()
    await state.update_data(at=None)
    await state.set_state(Form.options)
    await _show(query, *await _options_view(state, session, access, settings))


@router.message(Form.when, PRIVATE, F.text, CONTENT_INPUT)
async def when_given(
    message: Message, state: FSMContext, session: AsyncSession, access: Access, settings: Settings
) -> None:
    moment = broadcasts.parse_when(message.text or "", now=utcnow(), zone=settings.timezone)
    if moment is None:
        await message.answer(views.bad_time())
        return
    await state.update_data(at=moment.isoformat())
    await _to_options(message, state, session, access, settings)


@router.callback_query(BroadcastCb.filter(F.act == "preview"), Form.options)
async def preview(
    query: CallbackQuery,
    state: FSMContext,
    session: AsyncSession,
    access: Access,
    settings: Settings,
    bot: Bot,
) -> None:
    draft = _draft(await state.get_data())
    count = await broadcasts.audience_size(session, access, draft.unit_ids)
    if not count:
        await query.answer(views.nobody(), show_alert=True)
        return
    await query.answer()
    if not isinstance(query.message, Message):
        return
    await query.message.edit_reply_markup(reply_markup=None)
    payload = views.payload(draft, 0, bot_username=await _username(bot))
    await render.send(bot, query.message.chat.id, payload)
    await state.set_state(Form.confirm)
    text, keyboard = views.confirm_view(count, draft.scheduled_at, settings.timezone)
    await query.message.answer(text, reply_markup=keyboard)


@router.callback_query(BroadcastCb.filter(F.act == "back"), Form.confirm)
async def back_to_options(
    query: CallbackQuery,
    state: FSMContext,
    session: AsyncSession,
    access: Access,
    settings: Settings,
) -> None:
    await query.answer()
    await state.set_state(Form.options)
    await _show(query, *await _options_view(state, session, access, settings))


@router.callback_query(BroadcastCb.filter(F.act == "send"), Form.confirm)
async def confirm(
    query: CallbackQuery,
    state: FSMContext,
    session: AsyncSession,
    access: Access,
    settings: Settings,
    bot: Bot,
    i18n: I18n,
    sender: Sender | None = None,
) -> None:
    if not isinstance(query.message, Message):
        await query.answer()
        return
    draft = _draft(await state.get_data())
    username = await _username(bot)

    def render_for(broadcast_id: int, language: str) -> Payload:
        locale = language if language in i18n.available_locales else i18n.default_locale
        with i18n.use_locale(locale):
            return views.payload(draft, broadcast_id, bot_username=username)

    try:
        broadcast = await broadcasts.create(
            session, access, draft, render=render_for, status_chat_id=query.message.chat.id
        )
    except ScopeError:
        await query.answer(views.stale(), show_alert=True)
        return
    except broadcasts.AlreadySent:
        await query.answer(views.already_sent(), show_alert=True)
        return
    await state.set_state(None)
    await state.set_data({SENT: draft.token})
    await query.answer()
    await query.message.edit_reply_markup(reply_markup=None)
    assert broadcast.id is not None
    found = await broadcasts.progress(session, broadcast.id)
    if found is None:
        return
    tree = await load_tree(session)
    names = [node.name for u in draft.unit_ids if (node := tree.get(u)) is not None]
    text, keyboard = views.status_view(
        found, names, rate=settings.broadcast_rate, now=utcnow(), zone=settings.timezone
    )
    status = await query.message.answer(text, reply_markup=keyboard)
    await broadcasts.set_status_message(session, broadcast.id, status.message_id)
    if sender is not None:
        sender.wake()


@router.callback_query(BroadcastCb.filter(F.act == "send"))
async def send_again(query: CallbackQuery, state: FSMContext, session: AsyncSession) -> None:
    """A second "Send" once the broadcast went out (a double tap waits for the first)."""
    token = (await state.get_data()).get(SENT)
    if token and await broadcasts.made_from(session, token) is not None:
        await query.answer(views.already_sent(), show_alert=True)
        return
    await query.answer(views.stale(), show_alert=True)


@router.callback_query(BroadcastCb.filter(F.act == "drop"))
async def drop(query: CallbackQuery, state: FSMContext) -> None:
    await state.clear()
    await query.answer()
    await _show(query, views.dropped(), None)


@router.callback_query(BroadcastCb.filter(F.act == "stop"))
async def stop_broadcast(
    query: CallbackQuery, callback_data: BroadcastCb, session: AsyncSession, access: Access
) -> None:
    cancelled = await broadcasts.cancel(session, access, callback_data.v)
    if cancelled is None:
        await query.answer(views.not_yours(), show_alert=True)
        return
    await query.answer(views.cancelled_answer(cancelled), show_alert=True)


@router.callback_query(BroadcastCb.filter())
async def stale_step(query: CallbackQuery) -> None:
    await query.answer(views.stale(), show_alert=True)


# Recipients


@router.callback_query(BroadcastAckCb.filter())
async def acknowledge(
    query: CallbackQuery,
    callback_data: BroadcastAckCb,
    session: AsyncSession,
    user: User | None = None,
) -> None:
    if callback_data.b == 0:
        await query.answer(views.preview_ack())
        return
    if user is None:
        await query.answer()
        return
    status = await broadcasts.acknowledge(session, user.id, callback_data.b)
    if status is AckStatus.NOT_RECIPIENT:
        await query.answer(views.not_a_recipient(), show_alert=True)
        return
    await query.answer(views.ack_answer(status is AckStatus.LOGGED))
    message = query.message
    if status is AckStatus.LOGGED and isinstance(message, Message) and message.reply_markup:
        rows = [
            [b for b in row if b.callback_data != query.data]
            for row in message.reply_markup.inline_keyboard
        ]
        rows = [row for row in rows if row]
        with contextlib.suppress(TelegramBadRequest):
            await message.edit_reply_markup(
                reply_markup=InlineKeyboardMarkup(inline_keyboard=rows) if rows else None
            )


# The sender and the status messages live as long as the dispatcher


@router.startup()
async def start_delivery(
    dispatcher: Dispatcher,
    bot: Bot,
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    i18n: I18n,
    broadcast_sender: bool = True,
    broadcast_watch_interval: float = 3.0,
) -> None:
    """`broadcast_sender=False` among the dispatcher's services keeps both off (tests)."""
    if not broadcast_sender:
        return
    sender = Sender.from_settings(bot, sessionmaker, settings)
    lock = leader_lock_for(sessionmaker.kw["bind"], role="sender", key=SENDER_LOCK_KEY)
    leadership = SenderLeadership(sender, lock)
    leadership.start()  # its first round runs at once: a lone process sends from the start
    dispatcher["sender"] = sender
    dispatcher["sender_leadership"] = leadership
    watch = BroadcastWatch(
        bot, sessionmaker, i18n, settings, limiter=sender.limiter, interval=broadcast_watch_interval
    )
    watch.start()
    dispatcher["broadcast_watch"] = watch


@router.shutdown()
async def stop_delivery(dispatcher: Dispatcher) -> None:
    watch = dispatcher.workflow_data.pop("broadcast_watch", None)
    if isinstance(watch, BroadcastWatch):
        await watch.stop()
    leadership = dispatcher.workflow_data.pop("sender_leadership", None)
    if isinstance(leadership, SenderLeadership):
        await leadership.stop()
    dispatcher.workflow_data.pop("sender", None)
