"""Start-up and serving: open the database, migrate, check Telegram, then poll or serve webhooks."""

from __future__ import annotations

import asyncio
import logging
import signal
from dataclasses import dataclass

from aiogram import Bot, Dispatcher
from aiogram.exceptions import TelegramNetworkError, TelegramUnauthorizedError
from aiohttp import web
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.settings import ConfigError, Settings
from bot.storage import migrate
from bot.storage.database import create_engine, create_sessionmaker
from bot.telegram.commands import publish_commands
from bot.telegram.dispatcher import create_bot, create_dispatcher
from bot.telegram.webhook import build_webhook_app

log = logging.getLogger(__name__)


class StartupError(Exception):
    """Something outside the bot is not ready; the message is one line meant for a person."""


@dataclass
class Storage:
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]


async def open_storage(settings: Settings, *, upgrade: bool = True) -> Storage:
    engine = create_engine(settings.database_url)
    try:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
        if upgrade:
            await migrate.upgrade(engine)
    except (SQLAlchemyError, OSError) as exc:
        await engine.dispose()
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        raise StartupError(
            f"Database unreachable ({_safe_url(settings.database_url)}): {reason}"
        ) from exc
    return Storage(engine, create_sessionmaker(engine))


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


async def check_telegram(bot: Bot, settings: Settings) -> str:
    """Ask `getMe`; returns the bot's username."""
    try:
        me = await bot.get_me()
    except TelegramUnauthorizedError as exc:
        raise StartupError(
            "Telegram rejected BOT_TOKEN (401 Unauthorized): check the token."
        ) from exc
    except (TimeoutError, TelegramNetworkError, OSError) as exc:
        raise StartupError(
            f"Telegram unreachable at {settings.telegram_api_base}: {exc.__class__.__name__}"
        ) from exc
    return me.username or str(me.id)


async def serve(settings: Settings) -> None:
    """`canhgiac run`: polling, or a webhook server when WEBHOOK_URL is set."""
    token = settings.token()
    if settings.webhook_url and settings.webhook_secret is None:
        raise ConfigError("WEBHOOK_SECRET is not set: a webhook needs a secret token.")
    storage = await open_storage(settings)
    bot = create_bot(settings, token=token)
    try:
        username = await check_telegram(bot, settings)
        dispatcher = create_dispatcher(settings, sessionmaker=storage.sessionmaker)
        await publish_commands(bot, dispatcher["i18n"])
        # `kill -HUP` reloads explainers after `canhgiac content check`; updates keep flowing.
        asyncio.get_running_loop().add_signal_handler(signal.SIGHUP, dispatcher["content"].reload)
        log.info("Bot @%s ready", username)
        if settings.webhook_url:
            await _serve_webhook(bot, dispatcher, settings)
        else:
            await bot.delete_webhook(drop_pending_updates=False)
            await dispatcher.start_polling(bot, close_bot_session=False)
    finally:
        await bot.session.close()
        await storage.engine.dispose()


async def _serve_webhook(bot: Bot, dispatcher: Dispatcher, settings: Settings) -> None:
    assert settings.webhook_secret is not None and settings.webhook_url is not None
    secret = settings.webhook_secret.get_secret_value()
    app = build_webhook_app(bot, dispatcher, settings)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, settings.webhook_host, settings.webhook_port)
    await site.start()
    await bot.set_webhook(
        settings.webhook_url,
        secret_token=secret,
        allowed_updates=dispatcher.resolve_used_update_types(),
    )
    log.info("Webhook server on %s:%s", settings.webhook_host, settings.webhook_port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()
