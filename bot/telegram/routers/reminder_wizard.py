"""The `/nhacnho` wizard: unit → audience → message → schedule → confirm.

The draft lives in the FSM data as plain values; each answer is checked when it arrives and the
whole draft again, by the service, when the trainer confirms (scope included).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain.schedules import (
    Cron,
    Kind,
    QuietHours,
    ScheduleError,
    parse_date_range,
    parse_local_datetime,
    parse_monthly,
    parse_time,
    parse_weekly,
)
from bot.services import broadcasts
from bot.services import reminders as svc
from bot.services.access import Access
from bot.services.bank_store import BankStore
from bot.services.content_store import ContentStore
from bot.services.grants import ScopeError
from bot.settings import Settings
from bot.storage.clock import utcnow
from bot.storage.models import Unit, User
from bot.storage.models_reminders import Audience, MessageKind
from bot.telegram import reminder_views as views
from bot.telegram.callbacks import ReminderAdminCb as Cb
from bot.telegram.screens import replace_query_screen

MAX_ID = 2**31 - 1  # a larger number is no row id, and PostgreSQL would refuse to compare it

router = Router(name="reminder_wizard")
TEXT_INPUT = F.text & ~F.text.startswith("/")
DRAFT, CREATED = "draft", "created"  # FSM keys: the draft's token, and the token once created


class Wizard(StatesGroup):
    unit = State()
    audience_ref = State()
    broadcast = State()
    text = State()
    link = State()
    schedule = State()
    confirm = State()
    dates = State()


async def show(query: CallbackQuery, text: str, keyboard: InlineKeyboardMarkup) -> None:
    """Edit the screen in place; a message too old to edit gets a fresh copy."""
    await replace_query_screen(query, text, keyboard)


async def reply(message: Message, screen: tuple[str, InlineKeyboardMarkup]) -> None:
    text, keyboard = screen
    await message.answer(text, reply_markup=keyboard)


@router.callback_query(Cb.filter(F.act == "x"))
async def cancel(query: CallbackQuery, state: FSMContext) -> None:
    await state.clear()
    await query.answer()
    await show(query, views.cancelled(), InlineKeyboardMarkup(inline_keyboard=[]))


@router.callback_query(Cb.filter(F.act == "new"))
async def start_wizard(
    query: CallbackQuery, state: FSMContext, session: AsyncSession, access: Access
) -> None:
    await query.answer()
    tree, units = await svc.manageable_units(session, access)
    if not units:
        await show(query, views.not_trainer(), InlineKeyboardMarkup(inline_keyboard=[]))
        return
    top = min(tree.depth(u) for u in units)
    names = [("· " * (tree.depth(u) - top)) + tree.nodes[u].name for u in units]
    await state.clear()
    await state.set_state(Wizard.unit)
    await state.update_data(
        {"choices": units, "labels": names, "title": "unit", DRAFT: svc.new_draft_token()}
    )
    await show(query, *views.picker_view(views.unit_title(), names, 0))


def _picker_title(kind: str) -> str:
    return {
        "unit": views.unit_title(),
        "explainer": views.explainer_title(),
        "bank": views.bank_title(),
    }[kind]


@router.callback_query(Cb.filter(F.act == "pg"))
async def picker_page(query: CallbackQuery, callback_data: Cb, state: FSMContext) -> None:
    await query.answer()
    wizard = await state.get_data()
    if "labels" not in wizard:
        return
    page = int(callback_data.v) if callback_data.v.isdigit() else 0
    await show(query, *views.picker_view(_picker_title(wizard["title"]), wizard["labels"], page))


async def _offer_explainers(
    query: CallbackQuery, state: FSMContext, content: ContentStore, language: str, then: State
) -> None:
    explainers = content.library.explainers(language)
    await state.set_state(then)
    await state.update_data(
        choices=[e.id for e in explainers], labels=[e.title for e in explainers], title="explainer"
    )
    await show(query, *views.picker_view(views.explainer_title(), [e.title for e in explainers], 0))


async def _offer_banks(
    query: CallbackQuery, state: FSMContext, banks: BankStore, language: str, then: State
) -> None:
    listed = banks.listed(language)
    await state.set_state(then)
    await state.update_data(
        choices=[b.id for b in listed], labels=[b.title for b in listed], title="bank"
    )
    await show(query, *views.picker_view(views.bank_title(), [b.title for b in listed], 0))


@router.callback_query(Cb.filter(F.act == "pick"))
async def pick(query: CallbackQuery, callback_data: Cb, state: FSMContext) -> None:
    await query.answer()
    wizard = await state.get_data()
    choices = wizard.get("choices") or []
    if not 0 <= callback_data.id < len(choices):
        return
    chosen = choices[callback_data.id]
    current = await state.get_state()
    if current == Wizard.unit.state:
        await state.update_data(unit_id=chosen)
        await show(query, *views.audience_view())
    elif current == Wizard.audience_ref.state:
        await state.update_data(audience_ref=chosen)
        await state.set_state(Wizard.text)
        await show(query, *views.text_prompt())
    elif current == Wizard.link.state:
        kind = MessageKind.EXPLAINER if wizard.get("title") == "explainer" else MessageKind.QUIZ
        await state.update_data(message_kind=kind.value, link_ref=chosen)
        await show(query, *views.kind_view())


@router.callback_query(Cb.filter(F.act == "aud"))
async def choose_audience(
    query: CallbackQuery,
    callback_data: Cb,
    state: FSMContext,
    user: User,
    content: ContentStore,
    banks: BankStore,
) -> None:
    await query.answer()
    if (await state.get_data()).get("unit_id") is None:
        return
    audience = Audience(callback_data.v)
    await state.update_data(audience=audience.value, audience_ref=None)
    if audience is Audience.UNREAD:
        await _offer_explainers(query, state, content, user.language, Wizard.audience_ref)
    elif audience is Audience.UNPASSED:
        await _offer_banks(query, state, banks, user.language, Wizard.audience_ref)
    elif audience is Audience.UNACKED:
        await state.set_state(Wizard.broadcast)
        await show(query, *views.broadcast_prompt())
    else:
        await state.set_state(Wizard.text)
        await show(query, *views.text_prompt())


@router.message(Wizard.broadcast, TEXT_INPUT)
async def broadcast_number(
    message: Message, state: FSMContext, session: AsyncSession, access: Access
) -> None:
    raw = (message.text or "").strip().lstrip("#")
    if (
        not raw.isdigit()
        or int(raw) > MAX_ID
        or await broadcasts.find_in_scope(session, access, int(raw)) is None
    ):
        await message.answer(views.unknown_broadcast())
        return
    await state.update_data(audience_ref=raw)
    await state.set_state(Wizard.text)
    await reply(message, views.text_prompt())


@router.message(Wizard.text, F.text | F.caption)
async def message_text(
    message: Message, state: FSMContext, user: User, content: ContentStore, banks: BankStore
) -> None:
    if (message.text or "").startswith("/"):
        return
    text = message.html_text
    if len(text) > svc.TEXT_LIMIT:
        await message.answer(
            views.problem_text(svc.ReminderError(svc.Problem.LONG_TEXT, str(svc.TEXT_LIMIT)))
        )
        return
    wizard = await state.get_data()
    await state.update_data(text=text, message_kind=MessageKind.TEXT.value, link_ref=None)
    await state.set_state(Wizard.link)
    suggestion = None
    ref = wizard.get("audience_ref") or ""
    if wizard.get("audience") == Audience.UNREAD.value:
        explainer = content.library.get(ref, user.language)
        suggestion = views.suggestion_label(
            MessageKind.EXPLAINER, explainer.title if explainer else ref
        )
    elif wizard.get("audience") == Audience.UNPASSED.value:
        bank = banks.get(ref)
        suggestion = views.suggestion_label(MessageKind.QUIZ, bank.title if bank else ref)
    await reply(message, views.link_view(suggestion))


@router.callback_query(Cb.filter(F.act == "link"))
async def choose_link(
    query: CallbackQuery,
    callback_data: Cb,
    state: FSMContext,
    user: User,
    content: ContentStore,
    banks: BankStore,
) -> None:
    await query.answer()
    wizard = await state.get_data()
    if callback_data.v == "explainer":
        await _offer_explainers(query, state, content, user.language, Wizard.link)
        return
    if callback_data.v == "quiz":
        await _offer_banks(query, state, banks, user.language, Wizard.link)
        return
    if callback_data.v == "same":
        unread = wizard.get("audience") == Audience.UNREAD.value
        kind = MessageKind.EXPLAINER if unread else MessageKind.QUIZ
        await state.update_data(message_kind=kind.value, link_ref=wizard.get("audience_ref"))
    await show(query, *views.kind_view())


@router.callback_query(Cb.filter(F.act == "kind"))
async def choose_kind(
    query: CallbackQuery, callback_data: Cb, state: FSMContext, session: AsyncSession
) -> None:
    await query.answer()
    wizard = await state.get_data()
    unit = await session.get(Unit, wizard.get("unit_id") or 0)
    if unit is None:
        return
    kind = Kind(callback_data.v)
    await state.update_data(schedule_kind=kind.value)
    await state.set_state(Wizard.schedule)
    await show(query, *views.schedule_prompt(kind, unit.timezone))


def _schedule_fields(kind: Kind, raw: str, zone: str) -> dict[str, Any]:
    """The wizard's schedule values from what the trainer typed; `ScheduleError` if unreadable."""
    if kind is Kind.ONCE:
        moment = parse_local_datetime(raw).replace(tzinfo=ZoneInfo(zone))
        return {"once_at": moment.isoformat()}
    if kind is Kind.DAILY:
        return {"at_time": f"{parse_time(raw):%H:%M}"}
    if kind is Kind.WEEKLY:
        days, at = parse_weekly(raw)
        return {"weekdays": sorted(days), "at_time": f"{at:%H:%M}"}
    if kind is Kind.MONTHLY:
        day, at = parse_monthly(raw)
        return {"month_day": day, "at_time": f"{at:%H:%M}"}
    Cron.parse(raw)
    return {"cron": " ".join(raw.split())}


def _draft(wizard: dict[str, Any], default_quiet: str) -> svc.Draft:
    return svc.Draft(
        unit_id=int(wizard["unit_id"]),
        text=wizard.get("text") or "",
        schedule_kind=Kind(wizard["schedule_kind"]),
        once_at=datetime.fromisoformat(wizard["once_at"]) if wizard.get("once_at") else None,
        at_time=wizard.get("at_time"),
        weekdays=tuple(wizard.get("weekdays") or ()),
        month_day=wizard.get("month_day"),
        cron=wizard.get("cron"),
        audience=Audience(wizard.get("audience") or Audience.EVERYONE.value),
        audience_ref=wizard.get("audience_ref"),
        message_kind=MessageKind(wizard.get("message_kind") or MessageKind.TEXT.value),
        link_ref=wizard.get("link_ref"),
        start_date=_date(wizard.get("start_date")),
        end_date=_date(wizard.get("end_date")),
        quiet_hours=wizard.get("quiet_hours", default_quiet),
        skip_holidays=bool(wizard.get("skip_holidays", True)),
        token=wizard.get(DRAFT),
    )


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


async def _confirm(
    session: AsyncSession,
    wizard: dict[str, Any],
    settings: Settings,
    content: ContentStore,
    banks: BankStore,
) -> tuple[str, InlineKeyboardMarkup]:
    """The confirmation screen; `ReminderError` when the draft does not hold together."""
    unit = await session.get(Unit, int(wizard["unit_id"]))
    if unit is None:
        raise svc.ReminderError(svc.Problem.NOT_FOUND)
    now = utcnow()
    preview = svc.build(
        _draft(wizard, settings.reminder_quiet_hours), unit, created_by=None, now=now
    )
    upcoming = svc.schedule_of(preview, settings.holiday_rules()).next_fire(now)
    return views.confirm_view(
        preview,
        unit.name,
        upcoming,
        library=content.library,
        banks=banks,
        default_quiet=settings.reminder_quiet_hours,
    )


@router.message(Wizard.schedule, TEXT_INPUT)
async def schedule_text(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    settings: Settings,
    content: ContentStore,
    banks: BankStore,
) -> None:
    wizard = await state.get_data()
    unit = await session.get(Unit, wizard.get("unit_id") or 0)
    if unit is None or not wizard.get("schedule_kind"):
        await state.clear()
        return
    try:
        kind = Kind(wizard["schedule_kind"])
        fields = _schedule_fields(kind, message.text or "", unit.timezone)
        wizard = {**wizard, **fields}
        screen = await _confirm(session, wizard, settings, content, banks)
    except ScheduleError:
        text, keyboard = views.schedule_prompt(kind, unit.timezone)
        await message.answer(f"{views.unreadable()}\n{text}", reply_markup=keyboard)
        return
    except svc.ReminderError as exc:
        await message.answer(views.problem_text(exc))
        return
    await state.update_data(**fields)
    await state.set_state(Wizard.confirm)
    await reply(message, screen)


@router.callback_query(Cb.filter(F.act.in_({"quiet", "hol"})))
async def toggle(
    query: CallbackQuery,
    callback_data: Cb,
    state: FSMContext,
    session: AsyncSession,
    settings: Settings,
    content: ContentStore,
    banks: BankStore,
) -> None:
    wizard = await state.get_data()
    if await state.get_state() != Wizard.confirm.state:
        await query.answer()
        return
    if callback_data.act == "quiet":
        current = wizard.get("quiet_hours", settings.reminder_quiet_hours)
        wizard["quiet_hours"] = settings.reminder_quiet_hours if current == "off" else "off"
        if QuietHours.parse(settings.reminder_quiet_hours) is None:
            wizard["quiet_hours"] = "off"
    else:
        wizard["skip_holidays"] = not wizard.get("skip_holidays", True)
    try:
        screen = await _confirm(session, wizard, settings, content, banks)
    except svc.ReminderError as exc:
        await query.answer(views.problem_text(exc), show_alert=True)
        return
    await query.answer()
    await state.set_data(wizard)
    await show(query, *screen)


@router.callback_query(Cb.filter(F.act == "dates"))
async def ask_dates(query: CallbackQuery, state: FSMContext) -> None:
    await query.answer()
    if await state.get_state() != Wizard.confirm.state:
        return
    await state.set_state(Wizard.dates)
    await show(query, *views.dates_prompt())


@router.message(Wizard.dates, TEXT_INPUT)
async def dates_text(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    settings: Settings,
    content: ContentStore,
    banks: BankStore,
) -> None:
    try:
        start, end = parse_date_range(message.text or "")
        wizard = {
            **await state.get_data(),
            "start_date": start.isoformat() if start else None,
            "end_date": end.isoformat() if end else None,
        }
        screen = await _confirm(session, wizard, settings, content, banks)
    except ScheduleError:
        text, keyboard = views.dates_prompt()
        await message.answer(f"{views.unreadable()}\n{text}", reply_markup=keyboard)
        return
    except svc.ReminderError as exc:
        await message.answer(views.problem_text(exc))
        return
    await state.set_data(wizard)
    await state.set_state(Wizard.confirm)
    await reply(message, screen)


@router.callback_query(Cb.filter(F.act == "ok"))
async def create(
    query: CallbackQuery,
    state: FSMContext,
    session: AsyncSession,
    access: Access,
    settings: Settings,
) -> None:
    wizard = await state.get_data()
    if await state.get_state() != Wizard.confirm.state:
        # "Create" pressed again once the first press made it (a double tap waits for it).
        made = wizard.get(CREATED) and await svc.made_from(session, wizard[CREATED])
        await query.answer(views.already_created() if made else None, show_alert=bool(made))
        return
    try:
        reminder = await svc.create(
            session,
            access,
            _draft(wizard, settings.reminder_quiet_hours),
            now=utcnow(),
            default_quiet=settings.reminder_quiet_hours,
        )
    except svc.ReminderError as exc:
        await query.answer(views.problem_text(exc), show_alert=True)
        return
    except ScopeError:
        await query.answer(views.not_allowed(), show_alert=True)
        return
    await state.set_state(None)
    await state.set_data({CREATED: wizard.get(DRAFT)})
    await query.answer()
    upcoming = await svc.next_fire(
        session, reminder, holidays=settings.holiday_rules(), now=utcnow()
    )
    await show(query, *views.created_view(reminder, upcoming))
