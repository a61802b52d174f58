"""Throw-away PostgreSQL databases, so a benchmark can run again on the same server."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import text
from sqlalchemy.engine import make_url

from bot.storage.database import create_engine, normalise_url


@asynccontextmanager
async def scratch_postgres(base: str) -> AsyncIterator[str]:
    """A new, empty database on the server of the URL `base`; its URL, dropped afterwards."""
    admin_url = make_url(normalise_url(base)).set(database="postgres")
    name = f"cg_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url.render_as_string(hide_password=False))
    try:
        async with admin.connect() as connection:
            connection = await connection.execution_options(isolation_level="AUTOCOMMIT")
            await connection.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield (
                make_url(normalise_url(base))
                .set(database=name)
                .render_as_string(hide_password=False)
            )
        finally:
            async with admin.connect() as connection:
                connection = await connection.execution_options(isolation_level="AUTOCOMMIT")
                await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        await admin.dispose()
