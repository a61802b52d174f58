"""Queries on quiz attempts, review schedules, group quiz polls and group quiz answers.

An attempt moves forward only through `advance`, a conditional UPDATE on (id, position,
status): of a button tap and the timer reaching the same question at the same moment, exactly
one changes the row and the other sees that it lost.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import CursorResult, Executable, RowMapping, Table, bindparam, func
from sqlalchemy import select as sa_select
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain.quiz_engine import ReviewState
from bot.storage.database import DIALECTS, dialect_of, insert_for
from bot.storage.models import GroupQuizPoll, ParticipationEvent, QuizAttempt, QuizReview

ACTIVE = "active"
FINISHED = "finished"
ABANDONED = "abandoned"
ANSWERED_KIND = "quiz_answered"


_sqlite_writers: WeakKeyDictionary[Any, asyncio.Lock] = WeakKeyDictionary()


@asynccontextmanager
async def writing(session: AsyncSession) -> AsyncIterator[None]:
    """Hold the quiz write transactions of one SQLite database to one at a time (per process).

    A second SQLite writer does not queue: it sleeps and retries (busy timeout) with growing
    pauses, which under many simultaneous taps costs far more than waiting here. PostgreSQL
    locks rows and needs nothing."""
    bind = session.bind
    if bind is None or bind.dialect.name != "sqlite":
        yield
        return
    lock = _sqlite_writers.get(bind)
    if lock is None:
        lock = _sqlite_writers[bind] = asyncio.Lock()
    async with lock:
        yield


# The hot path (every tap) goes through Core statements on the tables: the ORM's identity
# map and change tracking cost more CPU than the queries themselves.
ATTEMPTS: Table = QuizAttempt.__table__  # type: ignore[attr-defined]
REVIEWS: Table = QuizReview.__table__  # type: ignore[attr-defined]


# Statements of every tap are built once; each call only binds its values.
_BY_ID = sa_select(ATTEMPTS).where(ATTEMPTS.c.id == bindparam("attempt_id"))
_ADVANCE = ATTEMPTS.update().where(
    ATTEMPTS.c.id == bindparam("attempt_id"),
    ATTEMPTS.c.position == bindparam("at_position"),
    ATTEMPTS.c.status == ACTIVE,
)
_SET_MESSAGE = ATTEMPTS.update().where(ATTEMPTS.c.id == bindparam("attempt_id"))
_REVIEW_OF = sa_select(REVIEWS.c.misses, REVIEWS.c.streak, REVIEWS.c.due_at).where(
    REVIEWS.c.user_id == bindparam("person"), REVIEWS.c.question_id == bindparam("question")
)


def _review_upsert(dialect: str) -> Any:
    statement = insert_for(dialect)(REVIEWS)
    return statement.on_conflict_do_update(
        index_elements=["user_id", "question_id"],
        set_={key: statement.excluded[key] for key in ("bank_id", "misses", "streak", "due_at")},
    )


_SAVE_REVIEW = {dialect: _review_upsert(dialect) for dialect in DIALECTS}


async def _run(
    session: AsyncSession, statement: Executable, values: dict[str, Any] | None = None
) -> CursorResult[Any]:
    """Execute a Core statement in the session's transaction."""
    connection = await session.connection()
    return await connection.execute(statement, values)


async def attempt_by_id(session: AsyncSession, attempt_id: int) -> RowMapping | None:
    return (await _run(session, _BY_ID, {"attempt_id": attempt_id})).mappings().first()


async def active_attempts(session: AsyncSession, user_id: int) -> list[RowMapping]:
    statement = (
        sa_select(ATTEMPTS)
        .where(ATTEMPTS.c.user_id == user_id, ATTEMPTS.c.status == ACTIVE)
        .order_by(ATTEMPTS.c.started_at.desc())
    )
    return list((await _run(session, statement)).mappings().all())


async def last_closed_attempt(
    session: AsyncSession, user_id: int, bank_id: str
) -> RowMapping | None:
    """The user's latest finished or abandoned attempt at a bank."""
    statement = (
        sa_select(ATTEMPTS)
        .where(
            ATTEMPTS.c.user_id == user_id,
            ATTEMPTS.c.bank_id == bank_id,
            ATTEMPTS.c.status != ACTIVE,
        )
        .order_by(ATTEMPTS.c.started_at.desc())
        .limit(1)
    )
    return (await _run(session, statement)).mappings().first()


async def add_attempt(session: AsyncSession, values: dict[str, Any]) -> int:
    """Insert an attempt; returns its id."""
    result = await _run(session, ATTEMPTS.insert().values(**values))
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


async def advance(
    session: AsyncSession, attempt_id: int, position: int, values: dict[str, Any]
) -> bool:
    """Apply `values` only if the attempt is still active at `position`; True if it was."""
    bound = {**values, "attempt_id": attempt_id, "at_position": position}
    return int((await _run(session, _ADVANCE, bound)).rowcount or 0) == 1


async def set_message_id(session: AsyncSession, attempt_id: int, message_id: int) -> None:
    await _run(session, _SET_MESSAGE, {"attempt_id": attempt_id, "message_id": message_id})


async def waiting_since(session: AsyncSession, sent_before: datetime) -> list[RowMapping]:
    """Active attempts whose current question was sent before `sent_before`."""
    statement = (
        sa_select(ATTEMPTS)
        .where(
            ATTEMPTS.c.status == ACTIVE,
            ATTEMPTS.c.question_sent_at.is_not(None),
            ATTEMPTS.c.question_sent_at <= sent_before,
        )
        .order_by(ATTEMPTS.c.question_sent_at)
    )
    return list((await _run(session, statement)).mappings().all())


async def finished_attempts(
    session: AsyncSession, user_id: int, *, limit: int | None = None
) -> list[QuizAttempt]:
    statement = (
        select(QuizAttempt)
        .where(QuizAttempt.user_id == user_id, QuizAttempt.status == FINISHED)
        .order_by(col(QuizAttempt.finished_at).desc())
    )
    if limit is not None:
        statement = statement.limit(limit)
    return list((await session.exec(statement)).all())


async def best_percent_by_bank(session: AsyncSession, user_id: int) -> dict[str, float]:
    statement = (
        select(QuizAttempt.bank_id, func.max(QuizAttempt.percent))
        .where(QuizAttempt.user_id == user_id, QuizAttempt.status == FINISHED)
        .group_by(col(QuizAttempt.bank_id))
    )
    return {bank_id: float(best or 0) for bank_id, best in (await session.exec(statement)).all()}


def review_state(row: QuizReview) -> ReviewState:
    return ReviewState(row.question_id, row.misses, row.streak, row.due_at)


async def reviews_of(
    session: AsyncSession, user_id: int, *, bank_id: str | None = None
) -> list[QuizReview]:
    statement = select(QuizReview).where(QuizReview.user_id == user_id)
    if bank_id is not None:
        statement = statement.where(QuizReview.bank_id == bank_id)
    return list((await session.exec(statement)).all())


async def review_of(session: AsyncSession, user_id: int, question_id: str) -> ReviewState | None:
    found = await _run(session, _REVIEW_OF, {"person": user_id, "question": question_id})
    row = found.first()
    return ReviewState(question_id, row.misses, row.streak, row.due_at) if row else None


async def save_review(
    session: AsyncSession, user_id: int, bank_id: str, state: ReviewState
) -> None:
    values = {
        "user_id": user_id,
        "question_id": state.question_id,
        "bank_id": bank_id,
        "misses": state.misses,
        "streak": state.streak,
        "due_at": state.due_at,
    }
    await _run(session, _SAVE_REVIEW[dialect_of(session)], values)


async def group_poll(session: AsyncSession, poll_id: str) -> GroupQuizPoll | None:
    return await session.get(GroupQuizPoll, poll_id)


async def latest_group_poll(session: AsyncSession, chat_id: int) -> GroupQuizPoll | None:
    statement = (
        select(GroupQuizPoll)
        .where(GroupQuizPoll.chat_id == chat_id)
        .order_by(col(GroupQuizPoll.sent_at).desc())
        .limit(1)
    )
    return (await session.exec(statement)).first()


async def recent_group_questions(
    session: AsyncSession, chat_id: int, bank_id: str, *, limit: int
) -> list[str]:
    """Question ids of the latest polls of a bank in a chat, newest first."""
    statement = (
        select(GroupQuizPoll.question_id)
        .where(GroupQuizPoll.chat_id == chat_id, GroupQuizPoll.bank_id == bank_id)
        .order_by(col(GroupQuizPoll.sent_at).desc())
        .limit(limit)
    )
    return list((await session.exec(statement)).all())


def group_answer_key(chat_id: int, poll_id: str, user_id: int) -> str:
    """Ledger key of one member's answer to a group poll; the chat leads so that the
    leaderboard can find a group's answers by prefix."""
    return f"quiz_poll:{chat_id}:{poll_id}:{user_id}"


async def group_answers(session: AsyncSession, chat_id: int) -> list[tuple[int, str, float]]:
    """(user id, answer key without the unit, value) of every logged answer in a group.

    The ledger holds one row per unit of the member; the unit suffix is cut off here so the
    caller can count each answer once."""
    prefix = f"quiz_poll:{chat_id}:"
    statement = select(
        ParticipationEvent.user_id, ParticipationEvent.key, ParticipationEvent.value
    ).where(
        ParticipationEvent.kind == ANSWERED_KIND,
        col(ParticipationEvent.key).startswith(prefix, autoescape=True),
    )
    rows = (await session.exec(statement)).all()
    return [(user_id, key.rsplit(":", 1)[0], float(value or 0)) for user_id, key, value in rows]
