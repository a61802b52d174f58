"""Rows made from a wizard's draft, once: the draft token.

A wizard keeps a random token in its FSM data from its first step; the row it creates carries
the token under a unique constraint. The insert does nothing when a row with that token exists,
so a second tap of the final button, however it races the first, finds the row made instead
of making another.
"""

from __future__ import annotations

import secrets
from typing import Any, TypeVar

from sqlmodel import SQLModel, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.storage.database import dialect_of, insert_for

Row = TypeVar("Row", bound=SQLModel)
TOKEN_BYTES = 16  # 32 hex characters, the width of the `draft_token` columns


def new_token() -> str:
    return secrets.token_hex(TOKEN_BYTES)


async def insert_once(session: AsyncSession, row: SQLModel) -> int | None:
    """Insert `row` (a table with `id` and `draft_token`) unless its token is taken; the new
    row's id, or None when the draft was made already. Not committed."""
    table: Any = type(row).__table__  # type: ignore[attr-defined]
    statement = (
        insert_for(dialect_of(session))(table)
        .values(row.model_dump(exclude={"id"}))
        .on_conflict_do_nothing(index_elements=["draft_token"])
        .returning(table.c.id)
    )
    result = await session.exec(statement)
    new_id: int | None = result.scalar_one_or_none()
    return new_id


async def made_from(session: AsyncSession, model: type[Row], token: str) -> Row | None:
    """The row made from the draft with `token`, if any."""
    column: Any = model.draft_token  # type: ignore[attr-defined]
    return (await session.exec(select(model).where(column == token))).first()
