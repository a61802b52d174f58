"""Reading explainers: opening one, and logging "I have read" once its minimum time has passed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from math import ceil

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain.content_model import Explainer
from bot.storage import ledger
from bot.storage.clock import utcnow
from bot.storage.database import dialect_of, insert_for
from bot.storage.models import LessonView, User
from bot.storage.units import active_memberships


class ReadStatus(StrEnum):
    LOGGED = "logged"
    ALREADY = "already"
    TOO_EARLY = "too_early"
    NO_UNIT = "no_unit"


@dataclass(frozen=True)
class ReadResult:
    status: ReadStatus
    wait_seconds: int = 0


async def open_lesson(
    session: AsyncSession, user: User, explainer: Explainer, *, now: datetime | None = None
) -> None:
    """Remember when the user first opened the explainer (the clock for "I have read")."""
    values = {"user_id": user.id, "explainer_id": explainer.id, "opened_at": now or utcnow()}
    statement = (
        insert_for(dialect_of(session))(LessonView)
        .values(values)
        .on_conflict_do_nothing(index_elements=["user_id", "explainer_id"])
    )
    await session.exec(statement)
    await session.commit()


async def mark_read(
    session: AsyncSession, user: User, explainer: Explainer, *, now: datetime | None = None
) -> ReadResult:
    moment = now or utcnow()
    view = (
        await session.exec(
            select(LessonView).where(
                LessonView.user_id == user.id, LessonView.explainer_id == explainer.id
            )
        )
    ).first()
    if view is None:
        await open_lesson(session, user, explainer, now=moment)
        return ReadResult(ReadStatus.TOO_EARLY, explainer.min_read_seconds)
    elapsed = (moment - view.opened_at).total_seconds()
    if elapsed < explainer.min_read_seconds:
        return ReadResult(ReadStatus.TOO_EARLY, ceil(explainer.min_read_seconds - elapsed))
    units = [unit.id for _, unit in await active_memberships(session, user.id) if unit.id]
    if not units:
        return ReadResult(ReadStatus.NO_UNIT)
    added = await ledger.record(
        session,
        user_id=user.id,
        unit_ids=units,
        kind=ledger.EventKind.LESSON_READ,
        ref=explainer.id,
        key=f"lesson_read:{user.id}:{explainer.id}",
        at=moment,
    )
    await session.commit()
    return ReadResult(ReadStatus.LOGGED if added else ReadStatus.ALREADY)
