"""The bot's own profile and commands, chat and member look-ups, files, callback answers."""

from __future__ import annotations

import json
from typing import Any

from bot.emulator.context import Context, Handler
from bot.emulator.errors import bad_request, refused
from bot.emulator.media import file_object
from bot.emulator.messaging import chat_of

_TEXT_LIMITS = {"name": 64, "description": 512, "short_description": 120}
_QUERY_INVALID = "query is too old and response timeout expired or query ID is invalid"


def get_me(ctx: Context) -> dict[str, Any]:
    return ctx.bot.as_user()


def _scope_key(ctx: Context) -> tuple[str, str]:
    scope = ctx.params.get("scope") or {"type": "default"}
    if "chat_id" in scope:
        chat = ctx.state.resolve_chat(scope["chat_id"])
        scope = {**scope, "chat_id": chat.id}
    return json.dumps(scope, sort_keys=True), ctx.params.get("language_code", "")


def set_my_commands(ctx: Context) -> bool:
    ctx.bot.commands[_scope_key(ctx)] = [dict(c) for c in ctx.params["commands"]]
    return True


def get_my_commands(ctx: Context) -> list[dict[str, Any]]:
    return [dict(c) for c in ctx.bot.commands.get(_scope_key(ctx), [])]


def delete_my_commands(ctx: Context) -> bool:
    ctx.bot.commands.pop(_scope_key(ctx), None)
    return True


def _profile_text(kind: str) -> tuple[Handler, Handler]:
    def setter(ctx: Context) -> bool:
        value = ctx.params.get(kind, "")
        if len(value) > _TEXT_LIMITS[kind]:
            raise bad_request(f"{kind} is longer than {_TEXT_LIMITS[kind]}", kind="limit")
        ctx.bot.texts[(kind, ctx.params.get("language_code", ""))] = value
        return True

    def getter(ctx: Context) -> dict[str, Any]:
        texts = ctx.bot.texts
        language = ctx.params.get("language_code", "")
        default = ctx.bot.first_name if kind == "name" else ""
        return {kind: texts.get((kind, language), texts.get((kind, ""), default))}

    return setter, getter


def set_chat_menu_button(ctx: Context) -> bool:
    chat_id = ctx.params.get("chat_id")
    ctx.bot.menu_buttons[chat_id] = ctx.params.get("menu_button") or {"type": "default"}
    return True


def get_chat_menu_button(ctx: Context) -> dict[str, Any]:
    buttons = ctx.bot.menu_buttons
    chat_id = ctx.params.get("chat_id")
    return buttons.get(chat_id, buttons.get(None, {"type": "commands"}))


def get_chat(ctx: Context) -> dict[str, Any]:
    chat = chat_of(ctx)
    return {
        **chat.as_chat(),
        "accent_color_id": 0,
        "max_reaction_count": 11,
        "accepted_gift_types": {
            "unlimited_gifts": False,
            "limited_gifts": False,
            "unique_gifts": False,
            "premium_subscription": False,
            "gifts_from_channels": False,
        },
    }


def get_chat_member(ctx: Context) -> dict[str, Any]:
    chat = chat_of(ctx)
    user_id = ctx.params["user_id"]
    if user_id == ctx.bot.id:
        return {"status": "member", "user": ctx.bot.as_user()}
    user = ctx.state.users.get(user_id)
    if user is None:
        raise refused("user not found")
    if chat.is_private:
        status = "member" if user_id == chat.id else "left"
    else:
        status = "member" if user_id in chat.members else "left"
    return {"status": status, "user": user.as_user()}


def get_chat_member_count(ctx: Context) -> int:
    chat = chat_of(ctx)
    return 2 if chat.is_private else len(chat.members) + 1


def get_chat_administrators(ctx: Context) -> list[dict[str, Any]]:
    chat_of(ctx)
    return []


def get_file(ctx: Context) -> dict[str, Any]:
    stored = ctx.state.files.get(ctx.params["file_id"])
    if stored is None:
        raise refused("wrong file_id or the file is temporarily unavailable")
    return file_object(stored)


def answer_callback_query(ctx: Context) -> bool:
    query_id = ctx.params["callback_query_id"]
    record = ctx.bot.callbacks.get(query_id)
    if record is None or record.answer is not None:
        raise refused(_QUERY_INVALID)
    record.answer = dict(ctx.params)
    ctx.state.callback_answers[query_id] = record.answer
    ctx.state.notify()
    return True


def _true(ctx: Context) -> bool:
    return True


_set_name, _get_name = _profile_text("name")
_set_description, _get_description = _profile_text("description")
_set_short, _get_short = _profile_text("short_description")

HANDLERS: dict[str, Handler] = {
    "getMe": get_me,
    "logOut": _true,
    "close": _true,
    "setMyCommands": set_my_commands,
    "getMyCommands": get_my_commands,
    "deleteMyCommands": delete_my_commands,
    "setMyName": _set_name,
    "getMyName": _get_name,
    "setMyDescription": _set_description,
    "getMyDescription": _get_description,
    "setMyShortDescription": _set_short,
    "getMyShortDescription": _get_short,
    "setChatMenuButton": set_chat_menu_button,
    "getChatMenuButton": get_chat_menu_button,
    "getChat": get_chat,
    "getChatMember": get_chat_member,
    "getChatMemberCount": get_chat_member_count,
    "getChatAdministrators": get_chat_administrators,
    "getFile": get_file,
    "answerCallbackQuery": answer_callback_query,
}
