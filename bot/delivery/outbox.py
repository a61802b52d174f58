"""The outbox: enqueue deliveries, claim them for one sender, record what happened.

Every transition is one conditional UPDATE, so two senders (two replicas, or the bot and the
CLI) never both send a row:
- `claim` leases due rows to a sender (PostgreSQL: `FOR UPDATE SKIP LOCKED`; SQLite: its single
  writer runs the whole UPDATE at once). A lease that runs out frees the row for others.
- `start_sending` turns a leased row into `sending` just before the HTTP call, and only if the
  row is still pending and still leased to this sender; it is committed before the call.
- `recover` turns `sending` rows whose lease ran out into `uncertain`: their sender died
  mid-send, Telegram has no idempotency key, so the message may have arrived. They are never
  sent again automatically.

Functions take a session and leave the commit to the caller.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlmodel import col
from sqlmodel import select as select_models
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.delivery.render import Payload
from bot.storage import ledger
from bot.storage.clock import utcnow
from bot.storage.database import dialect_of, insert_for
from bot.storage.models import User
from bot.storage.models_delivery import Delivery, DeliveryContent, DeliveryStatus

ERROR_LIMIT = 200
DELIVERIES = Delivery.__table__  # type: ignore[attr-defined]
ANY_LANGUAGE = ""


@dataclass(frozen=True)
class Recipient:
    """Who gets a message: a chat, the person behind it, the language and units to credit."""

    chat_id: int
    user_id: int | None = None
    language: str = ANY_LANGUAGE
    unit_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class Claimed:
    """A row leased to a sender."""

    id: int
    source_kind: str
    source_id: int
    chat_id: int
    user_id: int | None
    content_id: int
    unit_ids: tuple[int, ...]
    attempts: int


async def _run(session: AsyncSession, statement: Any, params: Any = None) -> Any:
    connection = await session.connection()
    return await connection.execute(statement, params)


async def add_content(
    session: AsyncSession,
    *,
    source_kind: str,
    source_id: int,
    payload: Payload,
    language: str = ANY_LANGUAGE,
    ledger_kind: str | None = None,
) -> int:
    """Store one message body; returns its id for `enqueue`."""
    content = DeliveryContent(
        source_kind=source_kind,
        source_id=source_id,
        language=language,
        payload=payload.to_json(),
        ledger_kind=ledger_kind,
    )
    session.add(content)
    await session.flush()
    assert content.id is not None
    return content.id


async def enqueue(
    session: AsyncSession,
    *,
    source_kind: str,
    source_id: int,
    recipients: Iterable[Recipient],
    contents: Mapping[str, int],
    not_before: datetime | None = None,
) -> int:
    """Add one pending row per chat (a chat already queued for this source is skipped).

    `contents` maps a language to a content id; `ANY_LANGUAGE` is the fallback. Returns how
    many recipients were given. Nothing is sent before `not_before`.
    """
    moment = not_before or utcnow()
    rows: dict[int, dict[str, Any]] = {}
    for recipient in recipients:
        content_id = contents.get(recipient.language, contents.get(ANY_LANGUAGE))
        if content_id is None:
            raise ValueError(f"no content for language {recipient.language!r}")
        rows.setdefault(
            recipient.chat_id,
            {
                "source_kind": source_kind,
                "source_id": source_id,
                "chat_id": recipient.chat_id,
                "user_id": recipient.user_id,
                "content_id": content_id,
                "unit_ids": list(recipient.unit_ids),
                "status": DeliveryStatus.PENDING.value,
                "attempts": 0,
                "next_attempt_at": moment,
            },
        )
    if not rows:
        return 0
    statement = insert_for(dialect_of(session))(Delivery).on_conflict_do_nothing(
        index_elements=["source_kind", "source_id", "chat_id"]
    )
    await _run(session, statement, list(rows.values()))
    return len(rows)


async def claim(
    session: AsyncSession,
    *,
    sender_id: str,
    limit: int,
    lease: float,
    now: datetime | None = None,
    source: tuple[str, int] | None = None,
) -> list[Claimed]:
    """Lease up to `limit` due pending rows to `sender_id`, oldest first (only those of
    `source`, a (kind, id) pair, when given)."""
    moment = now or utcnow()
    due = (
        select(col(Delivery.id))
        .where(
            col(Delivery.status) == DeliveryStatus.PENDING.value,
            col(Delivery.next_attempt_at) <= moment,
            or_(
                col(Delivery.claimed_by).is_(None),
                col(Delivery.claimed_at) < moment - timedelta(seconds=lease),
            ),
        )
        .order_by(col(Delivery.next_attempt_at), col(Delivery.id))
        .limit(limit)
    )
    if source is not None:
        due = due.where(
            col(Delivery.source_kind) == source[0], col(Delivery.source_id) == source[1]
        )
    if dialect_of(session) == "postgresql":
        due = due.with_for_update(skip_locked=True)
    statement = (
        update(Delivery)
        .where(col(Delivery.id).in_(due.scalar_subquery()))
        .values(claimed_by=sender_id, claimed_at=moment)
        .returning(
            col(Delivery.id),
            col(Delivery.source_kind),
            col(Delivery.source_id),
            col(Delivery.chat_id),
            col(Delivery.user_id),
            col(Delivery.content_id),
            col(Delivery.unit_ids),
            col(Delivery.attempts),
        )
    )
    result = await _run(session, statement)
    rows = [
        Claimed(
            id=row.id,
            source_kind=row.source_kind,
            source_id=row.source_id,
            chat_id=row.chat_id,
            user_id=row.user_id,
            content_id=row.content_id,
            unit_ids=tuple(row.unit_ids or ()),
            attempts=row.attempts,
        )
        for row in result
    ]
    rows.sort(key=lambda row: row.id)
    return rows


def _mine(row: Claimed, sender_id: str, *statuses: DeliveryStatus) -> Any:
    table = DELIVERIES.c
    return (
        table.id == row.id,
        table.claimed_by == sender_id,
        table.status.in_([status.value for status in statuses]),
    )


async def _set(session: AsyncSession, conditions: Any, **values: Any) -> bool:
    # The plain table, not the ORM entity: these run twice per message and ORM-enabled
    # UPDATEs cost noticeably more to prepare.
    result = await _run(session, update(DELIVERIES).where(*conditions).values(**values))
    return bool(result.rowcount)


async def start_sending(
    session: AsyncSession, row: Claimed, *, sender_id: str, now: datetime | None = None
) -> bool:
    """Pending and leased to us → sending. False: cancelled, or taken over by another sender."""
    return await _set(
        session,
        _mine(row, sender_id, DeliveryStatus.PENDING),
        status=DeliveryStatus.SENDING.value,
        claimed_at=now or utcnow(),
        attempts=row.attempts + 1,
    )


async def mark_sent(
    session: AsyncSession,
    row: Claimed,
    *,
    sender_id: str,
    message_id: int | None,
    ledger_kind: str | None,
    now: datetime | None = None,
) -> bool:
    """Record the success (also over an `uncertain` set while the answer was late)."""
    moment = now or utcnow()
    changed = await _set(
        session,
        _mine(row, sender_id, DeliveryStatus.SENDING, DeliveryStatus.UNCERTAIN),
        status=DeliveryStatus.SENT.value,
        sent_at=moment,
        message_id=message_id,
        error=None,
    )
    if changed and ledger_kind and row.user_id is not None and row.unit_ids:
        await ledger.record(
            session,
            user_id=row.user_id,
            unit_ids=row.unit_ids,
            kind=ledger_kind,
            key=f"{row.source_kind}:{row.source_id}:{row.chat_id}",
            ref=str(row.source_id),
            at=moment,
        )
    return changed


async def mark_final(
    session: AsyncSession,
    row: Claimed,
    *,
    sender_id: str,
    status: DeliveryStatus,
    error: str,
    now: datetime | None = None,
) -> bool:
    """Failed, blocked or uncertain: the row is done and is never sent again."""
    changed = await _set(
        session,
        _mine(row, sender_id, DeliveryStatus.SENDING),
        status=status.value,
        error=error[:ERROR_LIMIT],
    )
    if changed and status is DeliveryStatus.BLOCKED and row.user_id is not None:
        await mark_unreachable(session, row.user_id, now=now)
    return changed


async def mark_unreachable(
    session: AsyncSession, user_id: int, *, now: datetime | None = None
) -> None:
    """The person blocked the bot (or is gone): skip them until they write again."""
    await _run(
        session,
        update(User)
        .where(col(User.id) == user_id, col(User.unreachable_at).is_(None))
        .values(unreachable_at=now or utcnow()),
    )


async def retry_later(
    session: AsyncSession, row: Claimed, *, sender_id: str, at: datetime, error: str
) -> bool:
    """Back to pending, unleased, due at `at` (the attempt was counted by `start_sending`)."""
    return await _set(
        session,
        _mine(row, sender_id, DeliveryStatus.SENDING, DeliveryStatus.PENDING),
        status=DeliveryStatus.PENDING.value,
        next_attempt_at=at,
        claimed_by=None,
        claimed_at=None,
        error=error[:ERROR_LIMIT],
    )


async def back_to_pending(
    session: AsyncSession, row: Claimed, *, sender_id: str, error: str
) -> bool:
    """A send Telegram refused before doing anything (429): pending again, still leased,
    and the attempt not counted."""
    return await _set(
        session,
        _mine(row, sender_id, DeliveryStatus.SENDING),
        status=DeliveryStatus.PENDING.value,
        attempts=row.attempts,
        claimed_at=utcnow(),
        error=error[:ERROR_LIMIT],
    )


async def release(session: AsyncSession, ids: Sequence[int], *, sender_id: str) -> int:
    """Give back leased rows that were never started (a sender stopping)."""
    if not ids:
        return 0
    result = await _run(
        session,
        update(Delivery)
        .where(
            col(Delivery.id).in_(list(ids)),
            col(Delivery.claimed_by) == sender_id,
            col(Delivery.status) == DeliveryStatus.PENDING.value,
        )
        .values(claimed_by=None, claimed_at=None),
    )
    return int(result.rowcount or 0)


async def recover(session: AsyncSession, *, lease: float, now: datetime | None = None) -> int:
    """`sending` rows whose sender's lease ran out become `uncertain`; returns how many."""
    moment = now or utcnow()
    result = await _run(
        session,
        update(Delivery)
        .where(
            col(Delivery.status) == DeliveryStatus.SENDING.value,
            col(Delivery.claimed_at) < moment - timedelta(seconds=lease),
        )
        .values(
            status=DeliveryStatus.UNCERTAIN.value,
            error="the sender stopped during the send: it may have arrived",
        ),
    )
    return int(result.rowcount or 0)


async def cancel(session: AsyncSession, *, source_kind: str, source_id: int) -> int:
    """Cancel every row of a source not started yet; returns how many."""
    result = await _run(
        session,
        update(Delivery)
        .where(
            col(Delivery.source_kind) == source_kind,
            col(Delivery.source_id) == source_id,
            col(Delivery.status) == DeliveryStatus.PENDING.value,
        )
        .values(status=DeliveryStatus.CANCELLED.value),
    )
    return int(result.rowcount or 0)


async def counts(session: AsyncSession, *, source_kind: str, source_id: int) -> dict[str, int]:
    """Rows of a source per status (every status present, zeros included)."""
    statement = (
        select(col(Delivery.status), func.count())
        .where(col(Delivery.source_kind) == source_kind, col(Delivery.source_id) == source_id)
        .group_by(col(Delivery.status))
    )
    result = await _run(session, statement)
    found = {status: int(number) for status, number in result}
    return {status.value: found.get(status.value, 0) for status in DeliveryStatus}


async def load_content(session: AsyncSession, content_id: int) -> DeliveryContent | None:
    return await session.get(DeliveryContent, content_id)


async def rows_of(
    session: AsyncSession,
    *,
    source_kind: str,
    source_id: int,
    statuses: Iterable[DeliveryStatus] | None = None,
) -> list[Delivery]:
    statement = select_models(Delivery).where(
        col(Delivery.source_kind) == source_kind, col(Delivery.source_id) == source_id
    )
    if statuses is not None:
        statement = statement.where(col(Delivery.status).in_([s.value for s in statuses]))
    return list((await session.exec(statement.order_by(col(Delivery.id)))).all())


async def delivery_for(
    session: AsyncSession, *, source_kind: str, source_id: int, chat_id: int
) -> Delivery | None:
    statement = select_models(Delivery).where(
        col(Delivery.source_kind) == source_kind,
        col(Delivery.source_id) == source_id,
        col(Delivery.chat_id) == chat_id,
    )
    return (await session.exec(statement)).first()


async def unsettled(session: AsyncSession, *, source_kind: str, source_id: int) -> int:
    """Rows of a source that may still be sent (pending or sending)."""
    found = await counts(session, source_kind=source_kind, source_id=source_id)
    return found[DeliveryStatus.PENDING.value] + found[DeliveryStatus.SENDING.value]
