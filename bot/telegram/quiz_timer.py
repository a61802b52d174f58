"""The quiz timer: a task that about once a second times out unanswered questions.

Deadlines come from the database (`question_sent_at` + the bank's seconds), not from timers
held in memory, so questions left waiting across a restart time out as well. Moving an attempt
on is a conditional UPDATE, so a tap racing the timer, or timers on several replicas, advance
a question once; only the one that won edits the message.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from aiogram import Bot
from aiogram.exceptions import TelegramForbiddenError
from aiogram.utils.i18n import I18n
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.background import PeriodicTask
from bot.services import quizzes
from bot.services.bank_store import BankStore
from bot.services.quiz_outcomes import Step
from bot.storage.clock import utcnow
from bot.telegram import quiz_cards

log = logging.getLogger(__name__)

DEFAULT_INTERVAL = 1.0


class QuizTimer(PeriodicTask):
    task_name = "quiz-timer"

    def __init__(
        self,
        bot: Bot,
        sessionmaker: async_sessionmaker[AsyncSession],
        banks: BankStore,
        i18n: I18n,
        *,
        interval: float = DEFAULT_INTERVAL,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.bot = bot
        self.sessionmaker = sessionmaker
        self.banks = banks
        self.i18n = i18n
        self.interval = interval
        self.clock = clock
        super().__init__()

    async def tick(self) -> int:
        """Time out what is due now and show the next cards; returns how many timed out."""
        async with self.sessionmaker() as session:
            steps = await quizzes.expire_due(session, self.banks.banks, now=self.clock())
        for step in steps:
            try:
                await self._show(step)
            except Exception:  # one chat's trouble must not stop the others' timers
                log.exception("Quiz timer: could not show attempt %s", step.attempt_id)
        return len(steps)

    async def _show(self, step: Step) -> None:
        locale = step.language if step.language in self.i18n.available_locales else None
        try:
            with self.i18n.context(), self.i18n.use_locale(locale or self.i18n.default_locale):
                new_id = await quiz_cards.show_step(self.bot, step)
        except TelegramForbiddenError:
            async with self.sessionmaker() as session:
                await quizzes.abandon(session, step.attempt_id)
            return
        if new_id is not None:
            async with self.sessionmaker() as session:
                await quizzes.set_message(session, step.attempt_id, new_id)
