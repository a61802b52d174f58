"""`/kiemtra` (`/quiz`) in private chats and groups, the answer buttons, `/ketqua` (`/results`),
`/bangxephang` (`/leaderboard`), group poll answers, and starting and stopping the quiz timer."""

from __future__ import annotations

import logging
from datetime import timedelta

from aiogram import Bot, Dispatcher, F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import CommandObject
from aiogram.types import CallbackQuery, Message, PollAnswer
from aiogram.utils.i18n import I18n
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain.quiz import Bank
from bot.services import quiz_groups, quiz_results, quizzes
from bot.services.bank_store import BankStore
from bot.services.quiz_groups import RoundStatus
from bot.services.quiz_outcomes import StartStatus, StepStatus
from bot.settings import Settings
from bot.storage.models import User
from bot.telegram import quiz_cards
from bot.telegram import quiz_views as views
from bot.telegram.callbacks import QuizCb, QuizMenuCb
from bot.telegram.chat_members import ChatMembers
from bot.telegram.commands import CommandSpec, register
from bot.telegram.i18n import N_
from bot.telegram.quiz_timer import DEFAULT_INTERVAL, QuizTimer

log = logging.getLogger(__name__)

QUIZ = CommandSpec("kiemtra", "quiz", N_("Vigilance quizzes: test yourself, one topic at a time"))
RESULTS = CommandSpec("ketqua", "results", N_("Your quiz results and what to review"))
LEADERBOARD = CommandSpec(
    "bangxephang", "leaderboard", N_("The quiz leaderboard of a group (send it in the group)")
)
register(QUIZ, RESULTS, LEADERBOARD)

GROUP_TYPES = {"group", "supergroup"}
PRIVATE = F.chat.type == "private"
GROUP = F.chat.type.in_(GROUP_TYPES)
MAX_OPTIONS = 12

router = Router(name="quiz")


def _cooldown(settings: Settings) -> timedelta:
    return timedelta(minutes=settings.quiz_retake_cooldown_minutes)


async def _start(
    bot: Bot,
    session: AsyncSession,
    settings: Settings,
    user: User,
    bank: Bank,
    *,
    chat_id: int,
    message_id: int | None,
) -> str | None:
    """Start a quiz and show its first question; returns a refusal to tell the user."""
    result = await quizzes.start_quiz(
        session,
        user,
        bank,
        chat_id=chat_id,
        message_id=message_id,
        cooldown=_cooldown(settings),
    )
    if result.status is StartStatus.COOLDOWN or result.card is None:
        return views.cooldown_text(result.wait or timedelta())
    note = None if result.counted else views.not_counted_note()
    text, keyboard = views.question_card(result.card, note=note)
    new_id = await quiz_cards.put(
        bot, chat_id=chat_id, message_id=message_id, text=text, keyboard=keyboard
    )
    if new_id is not None:
        await quizzes.set_message(session, result.card.attempt_id, new_id)
    return None


@router.message(QUIZ.filter(), PRIVATE)
async def quiz_command(
    message: Message,
    command: CommandObject,
    user: User,
    banks: BankStore,
    settings: Settings,
    session: AsyncSession,
    bot: Bot,
) -> None:
    wanted = (command.args or "").strip()
    bank = banks.find(wanted) if wanted else None
    if bank is not None:
        refusal = await _start(
            bot, session, settings, user, bank, chat_id=message.chat.id, message_id=None
        )
        if refusal:
            await message.answer(refusal)
        return
    _, running = await quizzes.current_question(session, banks.banks, user)
    text, keyboard = views.bank_menu(
        banks.listed(user.language), running=running, unknown=wanted or None
    )
    await message.answer(text, reply_markup=keyboard)


@router.message(QUIZ.filter(), GROUP)
async def group_quiz_command(
    message: Message,
    command: CommandObject,
    banks: BankStore,
    settings: Settings,
    session: AsyncSession,
    bot: Bot,
    user: User | None = None,
) -> None:
    words = (command.args or "").split()
    bank = banks.find(words[0]) if words else None
    if bank is None:
        language = user.language if user is not None else settings.default_language
        text, keyboard = views.group_menu(
            banks.listed(language), unknown=words[0] if words else None
        )
        await message.answer(text, reply_markup=keyboard)
        return
    count = int(words[1]) if len(words) > 1 and words[1].isdigit() else None
    await _run_round(bot, session, bank, chat_id=message.chat.id, count=count)


async def _run_round(
    bot: Bot, session: AsyncSession, bank: Bank, *, chat_id: int, count: int | None
) -> None:
    plan = await quiz_groups.plan_round(session, bank, chat_id=chat_id, count=count)
    if plan.status is RoundStatus.TOO_SOON:
        await bot.send_message(chat_id, views.round_too_soon(plan.wait or timedelta()))
        return
    await bot.send_message(chat_id, views.round_intro(plan))
    for question, drawn in plan.items:
        sent = await bot.send_poll(
            chat_id, open_period=plan.open_period, **views.poll_fields(question, drawn)
        )
        if sent.poll is None:
            continue
        await quiz_groups.record_poll(
            session,
            poll_id=sent.poll.id,
            chat_id=chat_id,
            bank_id=bank.id,
            question=question,
            drawn=drawn,
            message_id=sent.message_id,
        )


@router.callback_query(QuizMenuCb.filter())
async def menu_button(
    query: CallbackQuery,
    callback_data: QuizMenuCb,
    user: User,
    banks: BankStore,
    settings: Settings,
    session: AsyncSession,
    bot: Bot,
) -> None:
    message = query.message if isinstance(query.message, Message) else None
    if message is None:
        await query.answer()
        return
    chat_id = message.chat.id
    if callback_data.act in ("go", "new"):
        bank = banks.by_key(callback_data.bank)
        if bank is None:
            await query.answer(views.step_toast(StepStatus.ENDED), show_alert=True)
            return
        if message.chat.type in GROUP_TYPES:
            await query.answer()
            await _run_round(bot, session, bank, chat_id=chat_id, count=None)
            return
        in_place = message.message_id if callback_data.act == "go" else None
        refusal = await _start(
            bot, session, settings, user, bank, chat_id=chat_id, message_id=in_place
        )
        await query.answer(refusal or "", show_alert=refusal is not None)
        return
    await query.answer()
    if callback_data.act == "cont":
        _, card = await quizzes.current_question(session, banks.banks, user)
        if card is None:
            await message.answer(views.step_toast(StepStatus.ENDED))
            return
        text, keyboard = views.question_card(card)
        new_id = await quiz_cards.put(
            bot, chat_id=chat_id, message_id=message.message_id, text=text, keyboard=keyboard
        )
        await quizzes.set_message(session, card.attempt_id, new_id or message.message_id)
    elif callback_data.act == "res":
        text, keyboard = views.results_view(
            await quiz_results.results(session, banks.banks, user), settings.timezone
        )
        await message.answer(text, reply_markup=keyboard)
    else:
        _, running = await quizzes.current_question(session, banks.banks, user)
        text, keyboard = views.bank_menu(banks.listed(user.language), running=running)
        await message.answer(text, reply_markup=keyboard)


@router.callback_query(QuizCb.filter())
async def answer_button(
    query: CallbackQuery,
    callback_data: QuizCb,
    user: User,
    banks: BankStore,
    session: AsyncSession,
    bot: Bot,
) -> None:
    data = callback_data
    if data.act == "t":
        await _tick(query, data, user, banks, session)
        return
    if data.act == "s":
        chosen = [index for index in range(MAX_OPTIONS) if data.sel >> index & 1]
        if not chosen:
            await query.answer(views.tick_first())
            return
    else:
        chosen = [data.opt]
    step = await quizzes.answer(
        session,
        banks.banks,
        user,
        attempt_id=data.at,
        position=data.pos,
        chosen=chosen,
    )
    await query.answer(views.step_toast(step.status, step.feedback))
    if step.status in (StepStatus.ANSWERED, StepStatus.TIMED_OUT):
        # A tap can arrive before the card's id is stored: the tapped message is the card.
        tapped = query.message.message_id if query.message is not None else None
        shown_in = step.message_id or tapped
        new_id = await quiz_cards.show_step(bot, step, message_id=shown_in)
        stored = new_id if new_id is not None else shown_in
        if stored is not None and stored != step.message_id:
            await quizzes.set_message(session, step.attempt_id, stored)


async def _tick(
    query: CallbackQuery, data: QuizCb, user: User, banks: BankStore, session: AsyncSession
) -> None:
    """Tick or untick one option of a several-answer question: only the buttons change."""
    status, card = await quizzes.current_question(
        session, banks.banks, user, attempt_id=data.at, position=data.pos
    )
    if card is None or not 0 <= data.opt < len(card.drawn.order):
        await query.answer(views.step_toast(status))
        return
    await query.answer()
    if isinstance(query.message, Message):
        keyboard = views.question_keyboard(card, data.sel ^ (1 << data.opt))
        try:
            await query.message.edit_reply_markup(reply_markup=keyboard)
        except TelegramBadRequest as exc:
            if "message is not modified" not in exc.message:
                raise


@router.message(RESULTS.filter())
async def results_command(
    message: Message, user: User, banks: BankStore, settings: Settings, session: AsyncSession
) -> None:
    if message.chat.type != "private":
        await message.answer(views.results_in_group())
        return
    found = await quiz_results.results(session, banks.banks, user)
    text, keyboard = views.results_view(found, settings.timezone)
    await message.answer(text, reply_markup=keyboard)


@router.message(LEADERBOARD.filter())
async def leaderboard_command(message: Message, session: AsyncSession) -> None:
    if message.chat.type not in GROUP_TYPES:
        await message.answer(views.leaderboard_private())
        return
    rows = await quiz_groups.leaderboard(session, message.chat.id)
    await message.answer(views.leaderboard_view(rows, message.chat.title))


@router.poll_answer()
async def poll_answer(
    poll_answer: PollAnswer,
    session: AsyncSession,
    bot: Bot,
    user: User | None = None,
    chat_members: ChatMembers | None = None,
) -> None:
    if user is not None:
        await quiz_groups.record_poll_answer(
            session,
            user,
            poll_id=poll_answer.poll_id,
            option_ids=poll_answer.option_ids,
            is_member=(chat_members or ChatMembers(bot)).is_member,
        )


@router.startup()
async def start_timer(
    dispatcher: Dispatcher,
    bot: Bot,
    sessionmaker: async_sessionmaker[AsyncSession],
    i18n: I18n,
    banks: BankStore | None = None,
    quiz_timer_interval: float = DEFAULT_INTERVAL,
) -> None:
    dispatcher["chat_members"] = ChatMembers(bot)
    if banks is None:
        log.warning("No quiz banks were given to the dispatcher: the quiz timer is off")
        return
    timer = QuizTimer(bot, sessionmaker, banks, i18n, interval=quiz_timer_interval)
    timer.start()
    dispatcher["quiz_timer"] = timer


@router.shutdown()
async def stop_timer(dispatcher: Dispatcher) -> None:
    timer = dispatcher.workflow_data.pop("quiz_timer", None)
    if isinstance(timer, QuizTimer):
        await timer.stop()
