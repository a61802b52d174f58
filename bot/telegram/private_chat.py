"""Private things stay private: what shows personal data works only in a private chat.

Feature routers declare their private commands (`private_command`) and the buttons of their
panels (`private_buttons`). Outside a private chat this router answers such a command with a
button that opens the private chat on the same command (`t.me/<bot>?start=cmd-<command>`),
and such a button with the same kind of link instead of its action, so a panel pressed in a
group, by its owner or anyone else, posts nothing there. In the private chat `/start cmd-…`
runs the command's own handler.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import Bot, Router
from aiogram.dispatcher.event.handler import CallableObject
from aiogram.enums import ChatType
from aiogram.filters import Command, CommandObject, Filter
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, Message
from aiogram.utils.deep_linking import create_start_link

from bot.telegram import privacy_views as views
from bot.telegram.commands import CommandSpec
from bot.telegram.routers import start

COMMAND_PAYLOAD = "cmd-"

Handler = Callable[..., Awaitable[Any]]
PayloadOf = Callable[[Any], str | None]  # unpacked callback data → deep link payload, or None

_commands: dict[str, tuple[CommandSpec, Handler]] = {}  # Vietnamese name → command, handler
_buttons: list[tuple[type[CallbackData], PayloadOf]] = []


def command_payload(spec: CommandSpec) -> str:
    return f"{COMMAND_PAYLOAD}{spec.vi}"


def private_command(spec: CommandSpec, handler: Handler) -> None:
    """`spec` works only in a private chat; `handler` (with aiogram's keyword arguments)
    opens it there from the deep link."""
    _commands[spec.vi] = (spec, handler)


def private_buttons(data: type[CallbackData], payload_of: PayloadOf) -> None:
    """Buttons of `data` do nothing outside a private chat but offer the link `payload_of`
    gives (None: this button may act in a group)."""
    _buttons.append((data, payload_of))


def is_private(message: Any) -> bool:
    chat = getattr(message, "chat", None)
    return chat is not None and chat.type == ChatType.PRIVATE


class _PrivateCommand(Filter):
    """A registered command sent anywhere but a private chat."""

    async def __call__(self, message: Message, bot: Bot) -> bool | dict[str, Any]:
        if is_private(message) or not _commands:
            return False
        names = [name for spec, _ in _commands.values() for name in (spec.vi, spec.en)]
        found = await Command(*names).__call__(message, bot)
        if not isinstance(found, dict):
            return False
        command: CommandObject = found["command"]
        spec = next(s for s, _ in _commands.values() if command.command in (s.vi, s.en))
        return {"private_payload": command_payload(spec)}


class _PrivateButton(Filter):
    """A registered panel's button pressed anywhere but a private chat."""

    async def __call__(self, query: CallbackQuery) -> bool | dict[str, Any]:
        if query.message is None or is_private(query.message) or not query.data:
            return False
        for data, payload_of in _buttons:
            if not query.data.startswith(f"{data.__prefix__}{data.__separator__}"):
                continue
            try:
                payload = payload_of(data.unpack(query.data))
            except (TypeError, ValueError):
                return False  # a forged button: the feature's own handler refuses it
            return {"private_payload": payload} if payload is not None else False
        return False


router = Router(name="private_chat")


@router.message(_PrivateCommand())
async def command_in_group(message: Message, bot: Bot, private_payload: str) -> None:
    link = await create_start_link(bot, private_payload)
    await message.answer(views.private_only(), reply_markup=views.open_private(link))


@router.callback_query(_PrivateButton())
async def button_in_group(query: CallbackQuery, bot: Bot, private_payload: str) -> None:
    link = await create_start_link(bot, private_payload)
    await query.answer(views.private_only_toast(), url=link)


async def _open_command(message: Message, payload: str, data: dict[str, Any]) -> bool:
    """`/start cmd-<command>` in the private chat: run the command as if it had been sent."""
    found = _commands.get(payload.removeprefix(COMMAND_PAYLOAD))
    if found is None:
        return False
    spec, handler = found
    command = CommandObject(prefix="/", command=spec.vi)
    await CallableObject(handler).call(message, **{**data, "command": command})
    return True


start.payload_handlers.append((COMMAND_PAYLOAD, _open_command))
