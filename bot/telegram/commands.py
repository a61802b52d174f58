"""The bot's commands: one registry drives `/help`, the menu (`setMyCommands`) and the filters.

Each command has a Vietnamese name and an English alias; both always work, and the menu shows
the name that matches the user's language.
"""

from __future__ import annotations

from dataclasses import dataclass

from aiogram import Bot
from aiogram.filters import Command
from aiogram.types import BotCommand, BotCommandScopeAllPrivateChats
from aiogram.utils.i18n import I18n

from bot.services.access import Access
from bot.storage.models import Role
from bot.telegram.i18n import N_


@dataclass(frozen=True)
class CommandSpec:
    vi: str
    en: str
    description: str  # a msgid, translated where it is shown
    role: Role | None = None  # None: anyone, even before joining a unit

    def filter(self) -> Command:
        return Command(self.vi, self.en)

    def name_for(self, language: str) -> str:
        return self.en if language == "en" else self.vi


START = CommandSpec("start", "start", N_("Start, or join a unit with an invite code"))
HELP = CommandSpec("trogiup", "help", N_("What I can do for you"))
LANGUAGE = CommandSpec("ngonngu", "language", N_("Choose the language"))
PRIVACY = CommandSpec("riengtu", "privacy", N_("Your data: what is kept, export, delete"))

REGISTRY: list[CommandSpec] = [START, HELP, LANGUAGE, PRIVACY]


def register(*specs: CommandSpec) -> None:
    """Feature routers add their commands here at import time."""
    for spec in specs:
        if spec not in REGISTRY:
            REGISTRY.append(spec)


def available_to(access: Access | None) -> list[CommandSpec]:
    return [
        spec
        for spec in REGISTRY
        if spec.role is None or (access is not None and access.has_role(spec.role))
    ]


async def publish_commands(bot: Bot, i18n: I18n) -> None:
    """Show learners' commands in the menu, per language; the default list is Vietnamese."""
    everyone = [spec for spec in REGISTRY if spec.role in (None, Role.LEARNER)]
    scope = BotCommandScopeAllPrivateChats()
    for language in (*i18n.available_locales, None):
        locale = language or i18n.default_locale
        commands = [
            BotCommand(
                command=spec.name_for(locale),
                description=i18n.gettext(spec.description, locale=locale)[:256],
            )
            for spec in everyone
        ]
        await bot.set_my_commands(commands, scope=scope, language_code=language)
