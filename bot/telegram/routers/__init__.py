"""One router per feature; `get_routers()` gives them in the order they must be tried."""

from __future__ import annotations

from aiogram import Router


def get_routers() -> list[Router]:
    from bot.telegram import private_chat
    from bot.telegram.routers import (
        broadcast,
        consent_gate,
        errors,
        fallback,
        guardian,
        help,
        honour,
        invites,
        lessons,
        no_user,
        quiz,
        reminders,
        settings,
        start,
        stats,
    )

    routers = [
        errors.router,
        # Before everything that needs the person's record.
        no_user.router,
        start.router,
        # Before every feature: private commands and panels answered in a group.
        private_chat.router,
        guardian.router,  # before the consent gate: a guardian need not consent themselves
        settings.router,
        help.router,
        consent_gate.router,
        # Before lessons: its free-text search would swallow the reminder wizard's answers.
        reminders.router,
        # Before lessons too, for the broadcast wizard's text and media.
        broadcast.router,
        lessons.router,
        quiz.router,
        stats.router,
        invites.router,
        honour.router,
        fallback.router,
    ]
    for router in routers:
        # Routers are module singletons; the tests and the sandbox build a fresh Dispatcher
        # per run in one process, and aiogram refuses to attach a router twice.
        router._parent_router = None
    return routers
