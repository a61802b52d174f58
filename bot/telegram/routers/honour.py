"""`/vinhdanh` (`/honour`): the honour roll of a unit, for its members.

Top child units by participation score, top learners by quizzes passed. People appear by name
only if they chose so in `/riengtu`, otherwise by initials. Default period: the current TT
124/2021 assessment year (16/11–15/11).
"""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import CommandObject
from aiogram.types import CallbackQuery, Message
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain.periods import PeriodError, assessment_year, from_code
from bot.services import stats
from bot.services.access import Access
from bot.services.grants import ScopeError
from bot.services.stats import StatsConfig
from bot.settings import Settings
from bot.storage.models import Role, User
from bot.telegram import stats_views as views
from bot.telegram import texts
from bot.telegram.callbacks import HonourCb
from bot.telegram.commands import CommandSpec, register
from bot.telegram.i18n import N_
from bot.telegram.routers.stats import unit_and_period
from bot.telegram.screens import replace_screen

HONOUR = CommandSpec(
    "vinhdanh", "honour", N_("Honour roll: the most active units and learners"), role=Role.LEARNER
)
register(HONOUR)

router = Router(name="honour")


@router.message(HONOUR.filter())
async def honour_command(
    message: Message,
    command: CommandObject,
    user: User,
    session: AsyncSession,
    settings: Settings,
    access: Access | None = None,
) -> None:
    access = access or Access(user_id=user.id)
    config = StatsConfig.from_settings(settings)
    today = config.today()
    chosen = await unit_and_period(
        message,
        command.args,
        session,
        access,
        today=today,
        default=assessment_year(today),
        role=Role.LEARNER,
        honour=True,
    )
    if chosen is None:
        return
    unit_id, period = chosen
    try:
        roll = await stats.honour_roll(
            session, access=access, unit_id=unit_id, period=period, config=config
        )
    except ScopeError:
        await message.answer(views.unit_not_allowed())
        return
    await message.answer(views.honour_text(roll), reply_markup=views.honour_keyboard(roll, today))


@router.callback_query(HonourCb.filter())
async def honour_button(
    query: CallbackQuery,
    callback_data: HonourCb,
    user: User,
    session: AsyncSession,
    settings: Settings,
    access: Access | None = None,
) -> None:
    access = access or Access(user_id=user.id)
    config = StatsConfig.from_settings(settings)
    try:
        period = from_code(callback_data.period)
        roll = await stats.honour_roll(
            session, access=access, unit_id=callback_data.unit, period=period, config=config
        )
    except PeriodError:
        await query.answer(texts.stale_button())
        return
    except ScopeError:
        await query.answer(views.unit_not_allowed(), show_alert=True)
        return
    await query.answer()
    if not isinstance(query.message, Message):
        return
    text, keyboard = views.honour_text(roll), views.honour_keyboard(roll, config.today())
    await replace_screen(query.message, text, keyboard)
