"""Getting updates: long polling with offsets, and the webhook settings."""

from __future__ import annotations

import asyncio
from typing import Any

from bot.emulator.context import Context, Handler
from bot.emulator.errors import refused
from bot.emulator.state import BotState, Webhook

MAX_POLL_TIMEOUT = 50


def confirm(bot: BotState, offset: int | None) -> None:
    """Forget updates the bot confirmed by asking for a later offset."""
    if not offset:
        return
    if offset < 0:
        while len(bot.updates) > -offset:
            bot.updates.popleft()
        return
    while bot.updates and bot.updates[0]["update_id"] < offset:
        bot.updates.popleft()


def set_allowed_updates(bot: BotState, allowed: list[str] | None) -> None:
    if allowed is not None:
        bot.allowed_updates = frozenset(allowed) if allowed else None


async def get_updates(ctx: Context) -> list[dict[str, Any]]:
    bot, params, state = ctx.bot, ctx.params, ctx.state
    if bot.webhook is not None:
        raise refused(
            "can't use getUpdates method while webhook is active; "
            "use deleteWebhook to delete the webhook first",
            409,
        )
    limit = min(max(params.get("limit", 100), 1), 100)
    timeout = min(max(params.get("timeout", 0), 0), MAX_POLL_TIMEOUT)
    set_allowed_updates(bot, params.get("allowed_updates"))
    confirm(bot, params.get("offset"))
    bot.poll_generation += 1
    generation = bot.poll_generation
    # An earlier long poll of the same bot ends with 409, as on Telegram.
    bot.wake.fire()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        if bot.poll_generation != generation:
            raise refused(
                "terminated by other getUpdates request; "
                "make sure that only one bot instance is running",
                409,
            )
        if bot.updates or state.stopping.is_set():
            return [dict(update) for update in list(bot.updates)[:limit]]
        remaining = deadline - loop.time()
        if remaining <= 0:
            return []
        wake, stop = bot.wake.event, state.stopping
        waiters = {asyncio.ensure_future(wake.wait()), asyncio.ensure_future(stop.wait())}
        try:
            await asyncio.wait(waiters, timeout=remaining, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()


def set_webhook(ctx: Context) -> bool:
    bot, params = ctx.bot, ctx.params
    url = params["url"]
    if params.get("drop_pending_updates"):
        bot.updates.clear()
    set_allowed_updates(bot, params.get("allowed_updates"))
    if not url:
        bot.webhook = None
    else:
        bot.webhook = Webhook(
            url=url,
            secret_token=params.get("secret_token"),
            max_connections=params.get("max_connections", 40),
            ip_address=params.get("ip_address"),
        )
    if ctx.state.on_webhook is not None:
        ctx.state.on_webhook(bot)
    return True


def delete_webhook(ctx: Context) -> bool:
    bot = ctx.bot
    bot.webhook = None
    if ctx.params.get("drop_pending_updates"):
        bot.updates.clear()
    bot.wake.fire()
    return True


def get_webhook_info(ctx: Context) -> dict[str, Any]:
    bot = ctx.bot
    webhook = bot.webhook
    info: dict[str, Any] = {
        "url": webhook.url if webhook else "",
        "has_custom_certificate": False,
        "pending_update_count": len(bot.updates),
    }
    if webhook is not None:
        info["max_connections"] = webhook.max_connections
        if webhook.ip_address:
            info["ip_address"] = webhook.ip_address
        if webhook.last_error_date is not None:
            info["last_error_date"] = webhook.last_error_date
            info["last_error_message"] = webhook.last_error_message
    if bot.allowed_updates is not None:
        info["allowed_updates"] = sorted(bot.allowed_updates)
    return info


HANDLERS: dict[str, Handler] = {
    "getUpdates": get_updates,
    "setWebhook": set_webhook,
    "deleteWebhook": delete_webhook,
    "getWebhookInfo": get_webhook_info,
}
