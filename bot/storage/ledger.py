"""The participation ledger: idempotent, append-only writes and simple reads."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.storage.clock import utcnow
from bot.storage.database import DIALECTS, dialect_of, insert_for
from bot.storage.models import ParticipationEvent


class EventKind:
    """Names of ledger events; strings so new kinds need no migration."""

    ENROLLED = "enrolled"
    CONSENT_GIVEN = "consent_given"
    LESSON_OPENED = "lesson_opened"
    LESSON_READ = "lesson_read"
    QUIZ_STARTED = "quiz_started"
    QUIZ_ANSWERED = "quiz_answered"
    QUIZ_FINISHED = "quiz_finished"
    REMINDER_ACK = "reminder_ack"
    BROADCAST_DELIVERED = "broadcast_delivered"
    BROADCAST_ACK = "broadcast_ack"


_APPEND = {
    dialect: insert_for(dialect)(ParticipationEvent).on_conflict_do_nothing(index_elements=["key"])
    for dialect in DIALECTS
}


async def record(
    session: AsyncSession,
    *,
    user_id: int,
    unit_ids: Iterable[int],
    kind: str,
    key: str,
    ref: str | None = None,
    value: float | None = None,
    at: datetime | None = None,
) -> int:
    """Append one event per unit; a key already in the ledger is skipped.

    Returns how many rows were new. The caller commits.
    """
    moment = at or utcnow()
    rows = [
        {
            "user_id": user_id,
            "unit_id": unit_id,
            "kind": kind,
            "ref": ref,
            "value": value,
            "at": moment,
            "key": f"{key}:{unit_id}",
        }
        for unit_id in unit_ids
    ]
    if not rows:
        return 0
    statement = _APPEND[dialect_of(session)]
    connection = await session.connection()
    if len(rows) == 1:  # the usual case: the statement is built once, the row only bound
        result = await connection.execute(statement, rows[0])
    else:
        result = await connection.execute(statement.values(rows))
    return int(result.rowcount or 0)


async def count(
    session: AsyncSession,
    *,
    kind: str | None = None,
    unit_id: int | None = None,
    user_id: int | None = None,
    ref: str | None = None,
) -> int:
    statement = select(func.count()).select_from(ParticipationEvent)
    if kind is not None:
        statement = statement.where(ParticipationEvent.kind == kind)  # type: ignore[arg-type]
    if unit_id is not None:
        statement = statement.where(ParticipationEvent.unit_id == unit_id)  # type: ignore[arg-type]
    if user_id is not None:
        statement = statement.where(ParticipationEvent.user_id == user_id)  # type: ignore[arg-type]
    if ref is not None:
        statement = statement.where(ParticipationEvent.ref == ref)  # type: ignore[arg-type]
    return int((await session.exec(statement)).one()[0])  # type: ignore[call-overload]


async def events_of(session: AsyncSession, *, user_id: int) -> list[ParticipationEvent]:
    statement = (
        select(ParticipationEvent)
        .where(ParticipationEvent.user_id == user_id)  # type: ignore[arg-type]
        .order_by(ParticipationEvent.at)  # type: ignore[arg-type]
    )
    return list((await session.exec(statement)).scalars())  # type: ignore[call-overload]
