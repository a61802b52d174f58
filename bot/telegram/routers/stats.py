"""`/thongke` (`/stats`): participation statistics of a unit and its child units.

`/thongke [unit code] [period]`; the period is tháng, quý, năm (the TT 124/2021 assessment
year, 16/11–15/11), năm trước, or dd/mm/yyyy-dd/mm/yyyy. Buttons: child pages, other periods,
the trend chart, the Excel file and the CSV. The service checks the scope on every call.
"""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Any

from aiogram import Bot, Router
from aiogram.enums import ChatAction
from aiogram.filters import CommandObject
from aiogram.types import BufferedInputFile, CallbackQuery, InlineKeyboardMarkup, Message
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain.periods import (
    Period,
    PeriodError,
    PeriodOutOfRange,
    from_code,
    parse_period,
    this_month,
)
from bot.services import stats
from bot.services.access import Access
from bot.services.grants import ScopeError, default_unit, scope_roots
from bot.services.stats import StatsConfig
from bot.services.units import UnitNode, UnitTree, load_tree
from bot.settings import Settings
from bot.storage.models import Role, User
from bot.telegram import stats_views as views
from bot.telegram import texts
from bot.telegram.callbacks import StatsCb
from bot.telegram.commands import CommandSpec, register
from bot.telegram.i18n import N_
from bot.telegram.private_chat import private_buttons
from bot.telegram.routers import start
from bot.telegram.screens import replace_screen

STATS = CommandSpec(
    "thongke",
    "stats",
    N_("Participation statistics of your units: /thongke [unit] [period]"),
    role=Role.TRAINER,
)
register(STATS)

router = Router(name="stats")


class UnknownCode(LookupError):
    pass


def parse_arguments(
    args: str | None, tree: UnitTree, today: date, default: Period
) -> tuple[UnitNode | None, Period]:
    """`[unit code] [period]`, either part optional."""
    text = (args or "").strip()
    if not text:
        return None, default
    try:
        return None, parse_period(text, today)
    except PeriodOutOfRange:
        raise
    except PeriodError:
        pass
    first, _, rest = text.partition(" ")
    node = tree.find(first)
    if node is None:
        raise UnknownCode(first)
    return node, parse_period(rest, today) if rest.strip() else default


async def unit_and_period(
    message: Message,
    args: str | None,
    session: AsyncSession,
    access: Access,
    *,
    today: date,
    default: Period,
    role: Role,
    honour: bool = False,
) -> tuple[int, Period] | None:
    """The unit and period a command names, or the caller's own unit; None once the person
    has been answered instead (a wrong code or period, or a choice of units to tap)."""
    tree = await load_tree(session)
    try:
        node, period = parse_arguments(args, tree, today, default)
    except UnknownCode as exc:
        await message.answer(views.unknown_unit(str(exc)))
        return None
    except PeriodOutOfRange:
        await message.answer(views.period_out_of_range())
        return None
    except PeriodError as exc:
        await message.answer(views.bad_period(str(exc)))
        return None
    unit_id = node.id if node is not None else default_unit(tree, access, role)
    if unit_id is not None:
        return unit_id, period
    roots = [tree.nodes[u] for u in scope_roots(tree, access, role)]
    if not roots:
        await message.answer(views.no_unit_for_honour() if honour else views.learner_not_allowed())
        return None
    text, choices = views.choose_unit(roots, period, honour=honour)
    await message.answer(text, reply_markup=choices)
    return None


def may_see_stats(access: Access) -> bool:
    return access.is_admin or access.has_role(Role.TRAINER)


FILES_PAYLOAD = "st-"


def files_payload(data: StatsCb) -> str | None:
    """Spreadsheets list people: a group gets a link to the same unit and period in the
    private chat instead (the table and the chart, unit totals only, may stay)."""
    return f"{FILES_PAYLOAD}{data.unit}-{data.period}" if data.act in ("xlsx", "csv") else None


private_buttons(StatsCb, files_payload)


async def open_from_link(message: Message, payload: str, data: dict[str, Any]) -> bool:
    """`/start st-<unit>-<period>`: the unit's table in the private chat, with its files."""
    unit, _, code = payload.removeprefix(FILES_PAYLOAD).partition("-")
    try:
        period = from_code(code)
        unit_id = int(unit)
    except (PeriodError, ValueError):
        await message.answer(texts.stale_button())
        return True
    access = data.get("access") or Access(user_id=data["user"].id)
    if not may_see_stats(access):
        await message.answer(views.learner_not_allowed())
        return True
    config = StatsConfig.from_settings(data["settings"])
    text, keyboard = await _screen(data["session"], access, unit_id, period, 0, config)
    await message.answer(text, reply_markup=keyboard)
    return True


start.payload_handlers.append((FILES_PAYLOAD, open_from_link))


@router.message(STATS.filter())
async def stats_command(
    message: Message,
    command: CommandObject,
    user: User,
    session: AsyncSession,
    settings: Settings,
    access: Access | None = None,
) -> None:
    access = access or Access(user_id=user.id)
    if not may_see_stats(access):
        await message.answer(views.learner_not_allowed())
        return
    config = StatsConfig.from_settings(settings)
    today = config.today()
    chosen = await unit_and_period(
        message,
        command.args,
        session,
        access,
        today=today,
        default=this_month(today),
        role=Role.TRAINER,
    )
    if chosen is None:
        return
    unit_id, period = chosen
    text, keyboard = await _screen(session, access, unit_id, period, 0, config)
    await message.answer(text, reply_markup=keyboard)


async def _screen(
    session: AsyncSession,
    access: Access,
    unit_id: int,
    period: Period,
    page: int,
    config: StatsConfig,
) -> tuple[str, InlineKeyboardMarkup | None]:
    try:
        report = await stats.unit_report(
            session, access=access, unit_id=unit_id, period=period, config=config
        )
    except ScopeError:
        return views.unit_not_allowed(), None
    return views.report_text(report, page), views.report_keyboard(report, page, config.today())


@router.callback_query(StatsCb.filter())
async def stats_button(
    query: CallbackQuery,
    callback_data: StatsCb,
    user: User,
    session: AsyncSession,
    settings: Settings,
    bot: Bot,
    access: Access | None = None,
) -> None:
    access = access or Access(user_id=user.id)
    try:
        period = from_code(callback_data.period)
    except PeriodError:
        await query.answer(texts.stale_button())
        return
    if not isinstance(query.message, Message):
        await query.answer(texts.stale_button())
        return
    message = query.message
    config = StatsConfig.from_settings(settings)
    unit_id = callback_data.unit
    try:
        if callback_data.act == "show":
            text, keyboard = await _screen(
                session, access, unit_id, period, callback_data.page, config
            )
            await query.answer()
            await replace_screen(message, text, keyboard)
        elif callback_data.act == "chart":
            await query.answer(views.preparing())
            await bot.send_chat_action(message.chat.id, ChatAction.UPLOAD_PHOTO)
            await _send_chart(message, session, access, unit_id, period, config)
        elif callback_data.act in ("xlsx", "csv"):
            await query.answer(views.preparing())
            await bot.send_chat_action(message.chat.id, ChatAction.UPLOAD_DOCUMENT)
            await _send_file(message, session, access, unit_id, period, config, callback_data.act)
        else:
            await query.answer(texts.stale_button())
    except ScopeError:
        await message.answer(views.unit_not_allowed())


async def _send_chart(
    message: Message,
    session: AsyncSession,
    access: Access,
    unit_id: int,
    period: Period,
    config: StatsConfig,
) -> None:
    from bot.reports.chart import trend_png

    trend = await stats.trend(session, access=access, unit_id=unit_id, period=period, config=config)
    png = await asyncio.to_thread(trend_png, trend)
    await message.answer_photo(
        BufferedInputFile(png, filename=f"xu-huong-{trend.unit.code}.png"),
        caption=views.chart_caption(trend.unit.name, trend.period),
    )


async def _send_file(
    message: Message,
    session: AsyncSession,
    access: Access,
    unit_id: int,
    period: Period,
    config: StatsConfig,
    kind: str,
) -> None:
    from bot.reports.tables import to_csv
    from bot.reports.xlsx import to_xlsx

    data = await stats.export(session, access=access, unit_id=unit_id, period=period, config=config)
    report = data.report
    if kind == "xlsx":
        content = await asyncio.to_thread(to_xlsx, data)
        people, omitted = report.can_see_people and not data.people_omitted, data.people_omitted
    else:
        content = to_csv(report)
        people, omitted = False, 0
    name = f"thong-ke-{report.unit.code}-{period.start:%Y%m%d}-{period.end:%Y%m%d}.{kind}"
    await message.answer_document(
        BufferedInputFile(content, filename=name),
        caption=views.export_caption(report.unit.name, period, people, omitted),
    )
