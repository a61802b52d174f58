"""A learner's quiz record for `/ketqua`: recent attempts, best score per bank, reviews due."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain.quiz import Bank, Question
from bot.storage import quizzes as store
from bot.storage.clock import utcnow
from bot.storage.models import User

RECENT_ATTEMPTS = 8


@dataclass(frozen=True)
class AttemptLine:
    bank_id: str
    title: str
    finished_at: datetime
    correct: int
    total: int
    percent: int
    passed: bool


@dataclass(frozen=True)
class BestScore:
    bank: Bank
    percent: int

    @property
    def passed(self) -> bool:
        return self.percent >= self.bank.pass_mark


@dataclass(frozen=True)
class DueTopic:
    """A bank with questions whose review is due now."""

    bank: Bank
    questions: tuple[Question, ...]


@dataclass(frozen=True)
class Results:
    attempts: tuple[AttemptLine, ...]
    best: tuple[BestScore, ...]
    due: tuple[DueTopic, ...]
    scheduled: int  # reviews waiting for a later day
    next_due: datetime | None

    @property
    def empty(self) -> bool:
        return not self.attempts and not self.due and not self.scheduled


async def results(
    session: AsyncSession,
    banks: Mapping[str, Bank],
    user: User,
    *,
    now: datetime | None = None,
    recent: int = RECENT_ATTEMPTS,
) -> Results:
    moment = now or utcnow()
    attempts = []
    for row in await store.finished_attempts(session, user.id, limit=recent):
        bank = banks.get(row.bank_id)
        attempts.append(
            AttemptLine(
                bank_id=row.bank_id,
                title=bank.title if bank else row.bank_id,
                finished_at=row.finished_at or row.started_at,
                correct=row.correct or 0,
                total=row.total or 0,
                percent=int(row.percent or 0),
                passed=bool(row.passed),
            )
        )
    best = [
        BestScore(banks[bank_id], int(percent))
        for bank_id, percent in (await store.best_percent_by_bank(session, user.id)).items()
        if bank_id in banks
    ]
    best.sort(key=lambda score: score.bank.title)

    due: dict[str, list[Question]] = defaultdict(list)
    scheduled = 0
    next_due: datetime | None = None
    for review in await store.reviews_of(session, user.id):
        bank = banks.get(review.bank_id)
        if review.due_at is None or bank is None:
            continue
        if review.due_at <= moment:
            try:
                due[bank.id].append(bank.question(review.question_id))
            except KeyError:
                continue  # the question left the bank since it was missed
        else:
            scheduled += 1
            next_due = review.due_at if next_due is None else min(next_due, review.due_at)
    topics = sorted(
        (DueTopic(banks[bank_id], tuple(questions)) for bank_id, questions in due.items()),
        key=lambda topic: (-len(topic.questions), topic.bank.title),
    )
    return Results(tuple(attempts), tuple(best), tuple(topics), scheduled, next_due)
