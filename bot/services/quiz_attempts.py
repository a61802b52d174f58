"""An attempt row as plain values, and the small rules around it: which bank it still
fits, its current card and deadline, closing it, and which units its answers are logged for."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain.quiz import Bank
from bot.domain.quiz_engine import DrawnQuestion, ReviewState
from bot.services.quiz_outcomes import QuestionCard
from bot.services.users import needs_consent
from bot.storage import quizzes as store
from bot.storage.models import User
from bot.storage.units import active_unit_ids

# A tap that left the phone just before the deadline still counts.
ANSWER_GRACE = timedelta(seconds=1)
REF_LIMIT = 64

# The plan keeps each question's review state as it was when the attempt was drawn (the
# draw reads them anyway), which saves a query on every answer. It cannot go stale: a
# question belongs to one bank and a user has one running attempt, so nothing else changes
# it before this attempt asks it. Plans without it (None would mean "no review") are read.
UNKNOWN_REVIEW = "?"


@dataclass(frozen=True)
class Snapshot:
    """Plain values of an attempt row, safe to use after the session commits."""

    id: int
    user_id: int
    chat_id: int
    bank_id: str
    status: str
    plan: tuple[DrawnQuestion, ...]
    reviews: tuple[Any, ...]  # per question: its review state at the start (see review_item)
    answers: tuple[dict[str, Any], ...]
    position: int
    message_id: int | None
    question_sent_at: datetime | None
    started_at: datetime


def snapshot(row: Mapping[Any, Any]) -> Snapshot:
    return Snapshot(
        id=row["id"],
        user_id=row["user_id"],
        chat_id=row["chat_id"],
        bank_id=row["bank_id"],
        status=row["status"],
        plan=tuple(DrawnQuestion(item["q"], tuple(item["o"])) for item in row["plan"]),
        reviews=tuple(item.get("r", UNKNOWN_REVIEW) for item in row["plan"]),
        answers=tuple(row["answers"]),
        position=row["position"],
        message_id=row["message_id"],
        question_sent_at=row["question_sent_at"],
        started_at=row["started_at"],
    )


def review_item(state: ReviewState | None) -> list[Any] | None:
    if state is None:
        return None
    due = state.due_at.isoformat() if state.due_at is not None else None
    return [state.misses, state.streak, due]


def review_from(item: list[Any] | None, question_id: str) -> ReviewState | None:
    if item is None:
        return None
    due = datetime.fromisoformat(item[2]) if item[2] is not None else None
    return ReviewState(question_id, item[0], item[1], due)


def ref_with(head: str, tail: str) -> str:
    """`<head>:<tail>` within the ledger's ref limit, cutting `head` if it must."""
    return f"{head[: REF_LIMIT - len(tail) - 1]}:{tail}"


async def counted_units(
    session: AsyncSession, user_id: int, *, user: User | None = None
) -> list[int]:
    """Units a user's participation is logged for: none without consent."""
    user = user or await session.get(User, user_id)
    if user is None or needs_consent(user):
        return []
    return await active_unit_ids(session, user_id)


def usable_bank(snap: Snapshot, banks: Mapping[str, Bank]) -> Bank | None:
    """The attempt's bank, if it still holds every planned question."""
    bank = banks.get(snap.bank_id)
    if bank is None:
        return None
    try:
        for drawn in snap.plan:
            bank.question(drawn.question_id)
    except KeyError:
        return None
    return bank


def card_at(snap: Snapshot, bank: Bank, position: int) -> QuestionCard:
    drawn = snap.plan[position]
    return QuestionCard(
        snap.id, bank, position, len(snap.plan), bank.question(drawn.question_id), drawn
    )


def deadline_of(snap: Snapshot, bank: Bank) -> datetime | None:
    if snap.question_sent_at is None:
        return None
    return snap.question_sent_at + timedelta(seconds=bank.seconds_per_question) + ANSWER_GRACE


async def close(
    session: AsyncSession, snap: Snapshot, moment: datetime, status: str = store.ABANDONED
) -> None:
    values = {"status": status, "finished_at": moment, "question_sent_at": None}
    await store.advance(session, snap.id, snap.position, values)
