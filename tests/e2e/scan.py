"""Where a secret or a person's data could end up: every text column of every table, every file
and message the bot sent, and what the logging set up by `setup_logging` wrote."""

from __future__ import annotations

import io
import logging
import re
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import Date, DateTime, String, cast, select
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import SQLModel
from sqlmodel import select as sqlmodel_select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.emulator import Emulator
from bot.logging_setup import QUIET, setup_logging


async def database_texts(engine: AsyncEngine) -> dict[str, str]:
    """Every table as one text: each value of each row (JSON columns included) as text."""
    found: dict[str, str] = {}
    async with engine.connect() as connection:
        for table in SQLModel.metadata.sorted_tables:
            rows = (await connection.execute(select(table))).all()
            found[table.name] = "\n".join(
                " | ".join("" if value is None else str(value) for value in row) for row in rows
            )
    return found


async def holders(session: AsyncSession, value: int) -> list[str]:
    """Every table.column where some row holds `value`: as the number, or inside a text where
    it stands alone (not part of a longer number). Times are skipped: their digits are not ids."""
    whole = re.compile(rf"(?<![0-9]){re.escape(str(value))}(?![0-9])")
    found = []
    for table in SQLModel.metadata.sorted_tables:
        for column in table.columns:
            if isinstance(column.type, Date | DateTime):
                continue
            statement = sqlmodel_select(cast(column, String)).where(
                cast(column, String).contains(str(value))
            )
            texts = (await session.exec(statement)).all()
            if any(whole.search(str(text)) for text in texts if text):
                found.append(f"{table.name}.{column.name}")
    return found


def file_text(data: bytes) -> str:
    """A sent file as text; the parts of a zip container (XLSX) unpacked."""
    if zipfile.is_zipfile(io.BytesIO(data)):
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return "\n".join(
                archive.read(name).decode("utf-8", "replace") for name in archive.namelist()
            )
    return data.decode("utf-8", "replace")


def sent_files(emulator: Emulator) -> dict[str, str]:
    """Every file the bot uploaded, by its file name (or id), as text."""
    return {
        stored.filename or file_id: file_text(stored.data)
        for file_id, stored in emulator.state.files.items()
        if stored.data is not None
    }


def sent_texts(emulator: Emulator) -> str:
    """The parameters of every call the bot made: message texts, captions, buttons."""
    return "\n".join(repr(call.params) for call in emulator.calls)


@dataclass
class Captured:
    stream: io.StringIO

    @property
    def text(self) -> str:
        return self.stream.getvalue()


@contextmanager
def captured_logging(level: str = "INFO", secrets: tuple[str, ...] = ()) -> Iterator[Captured]:
    """Logging as `canhgiac run` sets it up, its handler writing to a buffer; the previous
    setup comes back afterwards."""
    root = logging.getLogger()
    old_level, factory = root.level, logging.getLogRecordFactory()
    quiet = {name: logging.getLogger(name).level for name in QUIET}
    stream = io.StringIO()
    handler = setup_logging(level, secrets=secrets, stream=stream)
    try:
        yield Captured(stream)
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
        logging.setLogRecordFactory(factory)
        for name, level in quiet.items():
            logging.getLogger(name).setLevel(level)
