"""The webhook server: only requests with the secret header reach the dispatcher, bodies that are
not an Update get 400, and nothing of it ends in a traceback. Served on a real port, answering
through the Bot API emulator."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from pydantic import SecretStr
from sqlmodel import select
from typer.testing import CliRunner

from bot.cli.app import app
from bot.emulator import Emulator
from bot.runtime import open_storage
from bot.settings import Settings
from bot.storage.models import User
from bot.telegram.dispatcher import create_bot, create_dispatcher
from bot.telegram.webhook import build_webhook_app

TOKEN = "123456789:AAbbCCddEEffGGhhIIjjKKllMMnnOOppQQ"
SECRET = "hook-Secret_2026"
PATH = "/tg/hook"
USER = 870001
HEADER = b"X-Telegram-Bot-Api-Secret-Token"


@dataclass
class Served:
    port: int
    emulator: Emulator
    settings: Settings

    async def post(self, body: bytes, secret: bytes | None = SECRET.encode()) -> int:
        """POST `body` as raw bytes (any header bytes, even not UTF-8); the status code."""
        reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        lines = [
            f"POST {PATH} HTTP/1.1".encode(),
            f"Host: 127.0.0.1:{self.port}".encode(),
            b"Content-Type: application/json",
            f"Content-Length: {len(body)}".encode(),
            b"Connection: close",
        ]
        if secret is not None:
            lines.append(HEADER + b": " + secret)
        writer.write(b"\r\n".join(lines) + b"\r\n\r\n" + body)
        await writer.drain()
        answer = await reader.read()
        writer.close()
        await writer.wait_closed()
        return int(answer.split(b" ", 2)[1])

    async def users(self) -> list[int]:
        storage = await open_storage(self.settings, upgrade=False)
        try:
            async with storage.sessionmaker() as session:
                return [u.id for u in (await session.exec(select(User))).all()]
        finally:
            await storage.engine.dispose()


def start_update(update_id: int) -> bytes:
    person = {"id": USER, "is_bot": False, "first_name": "An", "language_code": "vi"}
    update: dict[str, Any] = {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": int(time.time()),
            "chat": {"id": USER, "type": "private", "first_name": "An"},
            "from": person,
            "text": "/start",
            "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
        },
    }
    return json.dumps(update).encode()


@pytest.fixture
async def served(database_url: str) -> AsyncIterator[Served]:
    emulator = Emulator(bot_username="canhgiac_hook_bot", check_results=True)
    await emulator.start()
    emulator.add_user(USER, first_name="An")
    settings = Settings(  # type: ignore[call-arg]
        database_url=database_url,
        bot_token=SecretStr(TOKEN),
        telegram_api_base=emulator.base_url,
        webhook_url=f"https://bot.example.org{PATH}",
        webhook_secret=SecretStr(SECRET),
        _env_file=None,
    )
    storage = await open_storage(settings)
    bot = create_bot(settings)
    dispatcher = create_dispatcher(settings, sessionmaker=storage.sessionmaker)
    runner = web.AppRunner(build_webhook_app(bot, dispatcher, settings))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield Served(port, emulator, settings)
    finally:
        await runner.cleanup()
        await bot.session.close()
        await storage.engine.dispose()
        await emulator.stop()
    assert [str(v) for v in emulator.violations] == []


def no_tracebacks(caplog: pytest.LogCaptureFixture) -> None:
    assert "Traceback" not in caplog.text
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []


async def test_only_the_secret_header_lets_an_update_in(
    served: Served, caplog: pytest.LogCaptureFixture
) -> None:
    for secret in (
        None,
        b"",
        b"wrong",
        SECRET.encode() + b"x",
        SECRET[:-1].encode(),
        "bí-mật-sai".encode(),
        b"\xff\xfe\x80 not utf-8",
    ):
        assert await served.post(start_update(1), secret=secret) == 401, secret
    assert served.emulator.messages(USER) == []
    assert await served.users() == []  # no handler, not even the middlewares, ran

    assert await served.post(start_update(2)) == 200
    await served.emulator.wait_until(lambda: served.emulator.messages(USER) != [], 5)
    assert await served.users() == [USER]
    no_tracebacks(caplog)


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b"[1, 2, 3]",
        b'"an update"',
        b"",
        b'{"message": {"message_id": 1}}',
        b'{"update_id": "one"}',
        b"\xff\xfe\x00{",
    ],
)
async def test_a_body_that_is_not_an_update_is_400(
    served: Served, caplog: pytest.LogCaptureFixture, body: bytes
) -> None:
    assert await served.post(body) == 400
    assert served.emulator.messages(USER) == []
    assert await served.users() == []
    no_tracebacks(caplog)


def test_a_webhook_without_a_secret_does_not_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in list(os.environ):
        if name.startswith(("BOT_", "DATABASE_", "TELEGRAM_", "WEBHOOK_", "ADMIN_", "REDIS_")):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'hook.db'}")
    monkeypatch.setenv("BOT_TOKEN", TOKEN)
    monkeypatch.setenv("WEBHOOK_URL", f"https://bot.example.org{PATH}")
    result = CliRunner().invoke(app, ["run"])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    errors = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert errors == ["Error: WEBHOOK_SECRET is not set: a webhook needs a secret token."]
    assert not (tmp_path / "hook.db").exists()  # it stopped before opening anything


async def test_a_channel_post_is_taken_and_ignored(
    served: Served, caplog: pytest.LogCaptureFixture
) -> None:
    post = {
        "update_id": 9,
        "channel_post": {
            "message_id": 1,
            "date": int(time.time()),
            "chat": {"id": -1008700000001, "type": "channel", "title": "Tin nội bộ"},
            "sender_chat": {"id": -1008700000001, "type": "channel", "title": "Tin nội bộ"},
            "text": "/thongke",
        },
    }
    assert await served.post(json.dumps(post).encode()) == 200
    assert await served.users() == []
    no_tracebacks(caplog)
