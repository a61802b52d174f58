"""SQL parameters (names, usernames) stay out of logs and error texts, even when an operator
turns SQLAlchemy's statement logging on."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

NAME = "Nguyễn Văn Bảo Mật"
INSERT = text(
    "INSERT INTO units (code, name, kind, timezone, created_at) "
    "VALUES ('U1', :name, 'school', 'UTC', CURRENT_TIMESTAMP)"
)


async def test_statement_logging_and_errors_hide_parameters(
    engine: AsyncEngine, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="sqlalchemy.engine")
    async with engine.connect() as connection:
        await connection.execute(INSERT, {"name": NAME})
        with pytest.raises(IntegrityError) as failed:
            await connection.execute(INSERT, {"name": NAME})
        await connection.rollback()
    assert "INSERT INTO units" in caplog.text  # the statements were logged, without values
    assert NAME not in caplog.text
    assert NAME not in str(failed.value)
