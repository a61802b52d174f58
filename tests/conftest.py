"""Shared fixtures: databases (SQLite always, PostgreSQL when TEST_DATABASE_URL is set)."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.storage import migrate
from bot.storage.database import create_engine, create_sessionmaker, normalise_url

POSTGRES_URL = os.environ.get("TEST_DATABASE_URL")
BACKENDS = ["sqlite", "postgres"]


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite file, copied for each test: migrating per test would be slow."""
    import asyncio

    path = tmp_path_factory.mktemp("template") / "template.db"

    async def build() -> None:
        engine = create_engine(f"sqlite+aiosqlite:///{path}")
        await migrate.upgrade(engine)
        await engine.dispose()

    asyncio.run(build())
    return path


def _admin_url() -> str:
    assert POSTGRES_URL is not None
    base = make_url(normalise_url(POSTGRES_URL))
    return base.set(database="postgres").render_as_string(hide_password=False)


async def create_postgres_database(template: str | None = None) -> str:
    """Create a throw-away database beside TEST_DATABASE_URL and return its URL."""
    assert POSTGRES_URL is not None
    name = f"cg_{uuid.uuid4().hex[:12]}"
    admin = create_engine(_admin_url())
    clause = f' TEMPLATE "{template}"' if template else ""
    async with admin.connect() as connection:
        connection = await connection.execution_options(isolation_level="AUTOCOMMIT")
        await connection.execute(text(f'CREATE DATABASE "{name}"{clause}'))
    await admin.dispose()
    base = make_url(normalise_url(POSTGRES_URL))
    return base.set(database=name).render_as_string(hide_password=False)


async def drop_postgres_database(url: str) -> None:
    name = make_url(url).database
    admin = create_engine(_admin_url())
    async with admin.connect() as connection:
        connection = await connection.execution_options(isolation_level="AUTOCOMMIT")
        await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    await admin.dispose()


@pytest.fixture(scope="session")
def postgres_template() -> Iterator[str | None]:
    """A migrated PostgreSQL database used as the template of each test's database."""
    import asyncio

    if POSTGRES_URL is None:
        yield None
        return

    async def build() -> str:
        url = await create_postgres_database()
        engine = create_engine(url)
        await migrate.upgrade(engine)
        await engine.dispose()
        return url

    url = asyncio.run(build())
    yield make_url(url).database
    asyncio.run(drop_postgres_database(url))


@pytest.fixture(params=BACKENDS)
async def database_url(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    sqlite_template: Path,
    postgres_template: str | None,
) -> AsyncIterator[str]:
    """A migrated, empty database of each backend."""
    if request.param == "sqlite":
        path = tmp_path / "bot.db"
        shutil.copy(sqlite_template, path)
        yield f"sqlite+aiosqlite:///{path}"
        return
    if postgres_template is None:
        pytest.skip("TEST_DATABASE_URL is not set")
    url = await create_postgres_database(template=postgres_template)
    try:
        yield url
    finally:
        await drop_postgres_database(url)


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    yield engine
    await engine.dispose()


@pytest.fixture
def sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return create_sessionmaker(engine)


@pytest.fixture
async def session(sessionmaker: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    async with sessionmaker() as session:
        yield session
