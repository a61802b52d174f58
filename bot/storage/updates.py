"""The SQL of the handled-updates record: claim an update, give a claim back, prune old rows.

Each is one statement in a short transaction of its own, committed at once, so another replica
sees a claim before this one has finished handling the update.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.storage.database import insert_for
from bot.storage.models_updates import ProcessedUpdate

UPDATES = ProcessedUpdate.__table__  # type: ignore[attr-defined]


async def claim(
    engine: AsyncEngine, *, bot_id: int, update_id: int, now: datetime, stale_before: datetime
) -> bool:
    """Mark the update as being handled; False when it already is (or was), on any replica.

    A row older than `stale_before` is taken over: Telegram reuses update ids after a long
    silence, and the pruning may not have run yet.
    """
    statement = (
        insert_for(engine.dialect.name)(UPDATES)
        .values(bot_id=bot_id, update_id=update_id, handled_at=now)
        .on_conflict_do_update(
            index_elements=[UPDATES.c.bot_id, UPDATES.c.update_id],
            set_={"handled_at": now},
            where=UPDATES.c.handled_at < stale_before,
        )
    )
    async with engine.begin() as connection:
        result = await connection.execute(statement)
    return bool(result.rowcount)


async def release(engine: AsyncEngine, *, bot_id: int, update_id: int) -> None:
    """Forget a claim, so a redelivery of the update is handled again."""
    async with engine.begin() as connection:
        await connection.execute(
            delete(UPDATES).where(UPDATES.c.bot_id == bot_id, UPDATES.c.update_id == update_id)
        )


async def prune(engine: AsyncEngine, *, before: datetime) -> int:
    """Delete the records older than `before`; the number deleted."""
    async with engine.begin() as connection:
        result = await connection.execute(delete(UPDATES).where(UPDATES.c.handled_at < before))
    return int(result.rowcount or 0)
