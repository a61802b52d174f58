"""Quizzes in group chats: native quiz polls, members' answers, the group's leaderboard.

A round posts an intro and up to ten polls at once, so rounds in one chat are kept at least
a minute apart: Telegram allows about 20 messages a minute in a group.

A member's answer is logged like a private one (`quiz_answered`, ref `<question>:<seconds>`
since the poll was posted, value 1 or 0) with the key `quiz_poll:<chat>:<poll>:<member>`, so
each member's first answer to a poll counts once and the leaderboard finds a chat's answers by
key. Members who have not consented, or belong to no unit, are not logged (and so are not on
the leaderboard); neither are people outside the group who answer a forwarded copy of the poll
(poll answers carry no chat: membership of the poll's chat is asked through `is_member`).
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain.quiz import MAX_SECONDS, Bank, Question
from bot.domain.quiz_engine import DrawnQuestion, draw
from bot.services.quiz_attempts import counted_units, ref_with
from bot.storage import ledger
from bot.storage import quizzes as store
from bot.storage.clock import utcnow
from bot.storage.models import GroupQuizPoll, User

DEFAULT_QUESTIONS = 5
MAX_QUESTIONS = 10
ROUND_GAP = timedelta(seconds=60)
LEADERBOARD_SIZE = 10


class RoundStatus(StrEnum):
    READY = "ready"
    TOO_SOON = "too_soon"


@dataclass(frozen=True)
class GroupRound:
    status: RoundStatus
    bank: Bank
    items: tuple[tuple[Question, DrawnQuestion], ...] = ()
    open_period: int = 0
    wait: timedelta | None = None


@dataclass(frozen=True)
class LeaderRow:
    name: str
    correct: int
    answered: int


def question_count(requested: int | None, bank: Bank) -> int:
    wanted = DEFAULT_QUESTIONS if requested is None else requested
    return max(1, min(wanted, MAX_QUESTIONS, len(bank.questions)))


async def plan_round(
    session: AsyncSession,
    bank: Bank,
    *,
    chat_id: int,
    count: int | None = None,
    now: datetime | None = None,
    rng: random.Random | None = None,
) -> GroupRound:
    """Draw the questions of a group round; the polls stay open long enough for all of them."""
    moment = now or utcnow()
    latest = await store.latest_group_poll(session, chat_id)
    if latest is not None and latest.sent_at + ROUND_GAP > moment:
        return GroupRound(RoundStatus.TOO_SOON, bank, wait=latest.sent_at + ROUND_GAP - moment)
    size = question_count(count, bank)
    recent = await store.recent_group_questions(session, chat_id, bank.id, limit=size)
    drawn = draw(
        bank,
        previous_attempt=recent,
        reviews={},
        now=moment,
        rng=rng or random.Random(),
        count=size,
    )
    items = tuple((bank.question(d.question_id), d) for d in drawn)
    open_period = min(MAX_SECONDS, bank.seconds_per_question * size)
    return GroupRound(RoundStatus.READY, bank, items, open_period)


async def record_poll(
    session: AsyncSession,
    *,
    poll_id: str,
    chat_id: int,
    bank_id: str,
    question: Question,
    drawn: DrawnQuestion,
    message_id: int | None,
    sent_at: datetime | None = None,
) -> None:
    session.add(
        GroupQuizPoll(
            poll_id=poll_id,
            chat_id=chat_id,
            bank_id=bank_id,
            question_id=question.id,
            correct=sorted(drawn.displayed_correct(question)),
            message_id=message_id,
            sent_at=sent_at or utcnow(),
        )
    )
    await session.commit()


# Whether a person (second argument) is a member of a chat (first argument) now.
MemberCheck = Callable[[int, int], Awaitable[bool]]


async def record_poll_answer(
    session: AsyncSession,
    user: User,
    *,
    poll_id: str,
    option_ids: Sequence[int],
    is_member: MemberCheck,
    now: datetime | None = None,
) -> bool:
    """Log a member's answer to one of our quiz polls; False when nothing was logged."""
    if not option_ids:
        return False  # a vote taken back
    poll = await store.group_poll(session, poll_id)
    if poll is None:
        return False
    units = await counted_units(session, user.id)
    if not units or not await is_member(poll.chat_id, user.id):
        return False
    moment = now or utcnow()
    right = sorted(set(option_ids)) == sorted(poll.correct)
    seconds = max(0, round((moment - poll.sent_at).total_seconds()))
    added = await ledger.record(
        session,
        user_id=user.id,
        unit_ids=units,
        kind=ledger.EventKind.QUIZ_ANSWERED,
        ref=ref_with(poll.question_id, str(seconds)),
        value=1.0 if right else 0.0,
        key=store.group_answer_key(poll.chat_id, poll_id, user.id),
        at=moment,
    )
    await session.commit()
    return added > 0


def shown_name(user: User | None) -> str:
    """The full name only for members who chose to appear on honour rolls, else initials."""
    if user is None:
        return "?"
    parts = [part for part in (user.first_name, user.last_name) if part]
    if user.public_name and parts:
        return " ".join(parts)
    initials = " ".join(f"{part[0].upper()}." for part in parts)
    return initials or "?"


async def leaderboard(
    session: AsyncSession, chat_id: int, *, size: int = LEADERBOARD_SIZE
) -> list[LeaderRow]:
    """Members by correct answers in this group's polls (ties: fewer answers first)."""
    answers: dict[str, tuple[int, float]] = {}
    for user_id, answer_key, value in await store.group_answers(session, chat_id):
        answers.setdefault(answer_key, (user_id, value))
    correct: dict[int, int] = defaultdict(int)
    answered: dict[int, int] = defaultdict(int)
    for user_id, value in answers.values():
        answered[user_id] += 1
        correct[user_id] += 1 if value >= 1 else 0
    ranked = sorted(answered, key=lambda uid: (-correct[uid], answered[uid], uid))[:size]
    people = {
        user.id: user
        for user in (await session.exec(select(User).where(col(User.id).in_(ranked)))).all()
    }
    return [LeaderRow(shown_name(people.get(uid)), correct[uid], answered[uid]) for uid in ranked]
