"""The webhook endpoint: the aiohttp application that takes Telegram's updates over HTTPS.

Only a request carrying the secret header reaches the dispatcher (401 otherwise, whatever bytes
the header holds); a body that is not an Update gets 400. Neither writes a traceback, and
neither runs a middleware or a handler.
"""

from __future__ import annotations

import hmac
from typing import Any
from urllib.parse import urlsplit

from aiogram import Bot, Dispatcher
from aiogram.methods import TelegramMethod
from aiogram.types import Update
from aiogram.webhook.aiohttp_server import SimpleRequestHandler, setup_application
from aiohttp import web
from pydantic import ValidationError

from bot.settings import ConfigError, Settings


class WebhookHandler(SimpleRequestHandler):
    """aiogram's handler, stricter at the door: fails closed without a secret, compares the
    header as bytes, and refuses bodies that are not an Update."""

    def verify_secret(self, telegram_secret_token: str, bot: Bot) -> bool:
        if not self.secret_token:
            return False
        # aiohttp keeps header bytes that are not UTF-8 as surrogates: compare bytes, not text.
        given = telegram_secret_token.encode("utf-8", "surrogateescape")
        return hmac.compare_digest(given, self.secret_token.encode())

    async def _handle_request(self, bot: Bot, request: web.Request) -> web.Response:
        update = await _read_update(bot, request)
        if update is None:
            return web.Response(status=400, text="Bad Request: not an Update")
        result: TelegramMethod[Any] | None = await self.dispatcher.feed_webhook_update(
            bot, update, **self.data
        )
        return web.Response(body=self._build_response_writer(bot=bot, result=result))


async def _read_update(bot: Bot, request: web.Request) -> Update | None:
    try:
        payload: Any = await request.json(loads=bot.session.json_loads)
        return Update.model_validate(payload, context={"bot": bot})
    except (ValueError, ValidationError):  # not UTF-8, not JSON, not an Update
        return None


def build_webhook_app(bot: Bot, dispatcher: Dispatcher, settings: Settings) -> web.Application:
    """The application serving `WEBHOOK_URL`'s path; starting it starts the dispatcher's workers."""
    if settings.webhook_secret is None or settings.webhook_url is None:
        raise ConfigError("WEBHOOK_SECRET is not set: a webhook needs a secret token.")
    secret = settings.webhook_secret.get_secret_value()
    app = web.Application()
    # Answer Telegram only after the handler ran: a crash mid-handler then gets redelivered.
    path = urlsplit(settings.webhook_url).path or "/"
    WebhookHandler(dispatcher, bot, secret_token=secret, handle_in_background=False).register(
        app, path=path
    )
    setup_application(app, dispatcher, bot=bot)
    return app
