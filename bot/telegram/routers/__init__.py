"""One router per feature; `get_routers()` gives them in the order they must be tried."""

from __future__ import annotations

from aiogram import Router


def get_routers() -> list[Router]:
    from bot.telegram.routers import (
        consent_gate,
        errors,
        fallback,
        help,
        lessons,
        settings,
        start,
    )

    return [
        errors.router,
        start.router,
        settings.router,
        help.router,
        consent_gate.router,
        lessons.router,
        fallback.router,
    ]
