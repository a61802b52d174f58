"""Documented limits beyond parameter types: text sizes, markup, keyboards, polls, commands."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bot.emulator.entities import FormattedText
from bot.emulator.errors import bad_request
from bot.emulator.formatting import formatted_field
from bot.emulator.spec import MethodSpec

# (text field, parse mode field, entities field, max length, min length, name in errors)
_TEXT_FIELDS = (
    ("text", "parse_mode", "entities", 4096, 1, "message text"),
    ("caption", "parse_mode", "caption_entities", 1024, 0, "message caption"),
    ("question", "question_parse_mode", "question_entities", 300, 1, "poll question"),
    ("explanation", "explanation_parse_mode", "explanation_entities", 200, 0, "poll explanation"),
    ("description", "description_parse_mode", "description_entities", 1024, 0, "poll description"),
)
_CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
_BUTTON_KINDS = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)
_COMMAND = re.compile(r"[a-z0-9_]{1,32}")
_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")
_LANGUAGE = re.compile(r"[a-z]{2}")
MAX_BUTTONS = 100
MAX_ROW = 8
MAX_CALLBACK_BYTES = 64


@dataclass
class Prepared:
    """Results of the checks that handlers reuse: parsed texts by field name."""

    texts: dict[str, FormattedText] = field(default_factory=dict)


def check_call(method: MethodSpec, params: dict[str, Any]) -> Prepared:
    prepared = Prepared()
    for text_field, mode_field, entities_field, limit, minimum, what in _TEXT_FIELDS:
        if text_field in params and mode_field in method.fields:
            formatted = formatted_field(
                params,
                text_field,
                mode_field,
                entities_field,
                limit=limit,
                minimum=minimum,
                what=what,
            )
            if formatted is not None:
                prepared.texts[text_field] = formatted
    markup = params.get("reply_markup")
    if isinstance(markup, dict) and "inline_keyboard" in markup:
        check_inline_keyboard(markup["inline_keyboard"])
    special = _SPECIAL.get(method.name)
    if special is not None:
        special(params, prepared)
    return prepared


def check_inline_keyboard(rows: list[list[dict[str, Any]]]) -> None:
    total = sum(len(row) for row in rows)
    if total > MAX_BUTTONS:
        raise bad_request(f"too many inline keyboard buttons ({total}, at most 100)", kind="limit")
    for row_index, row in enumerate(rows):
        if len(row) > MAX_ROW:
            raise bad_request(
                f"too many buttons in inline keyboard row {row_index} ({len(row)}, at most 8)",
                kind="limit",
            )
        for button in row:
            kinds = [kind for kind in _BUTTON_KINDS if kind in button]
            if not kinds:
                raise bad_request("text buttons are unallowed in the inline keyboard", kind="limit")
            if len(kinds) > 1:
                raise bad_request(
                    f"an inline keyboard button must have exactly one action, got {kinds}",
                    kind="limit",
                )
            if not button.get("text"):
                raise bad_request("inline keyboard button text is empty", kind="limit")
            data = button.get("callback_data")
            if data is not None and not 1 <= len(data.encode("utf-8")) <= MAX_CALLBACK_BYTES:
                raise bad_request(
                    f"BUTTON_DATA_INVALID: callback_data must be 1-64 bytes, "
                    f"got {len(data.encode('utf-8'))}",
                    kind="limit",
                )


def _chat_action(params: dict[str, Any], prepared: Prepared) -> None:
    if params["action"] not in _CHAT_ACTIONS:
        raise bad_request("wrong parameter action in request", kind="limit")


def _callback_answer(params: dict[str, Any], prepared: Prepared) -> None:
    text = params.get("text")
    if text is not None and len(text) > 200:
        raise bad_request(
            "MESSAGE_TOO_LONG: callback answer text is at most 200 characters", kind="limit"
        )


def _commands(params: dict[str, Any], prepared: Prepared) -> None:
    commands = params["commands"]
    if len(commands) > 100:
        raise bad_request("too many commands (at most 100)", kind="limit")
    for command in commands:
        if not _COMMAND.fullmatch(command["command"]):
            raise bad_request(f"BOT_COMMAND_INVALID: {command['command']!r}", kind="limit")
        if not 1 <= len(command["description"]) <= 256:
            raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID", kind="limit")
    _language(params, prepared)


def _language(params: dict[str, Any], prepared: Prepared) -> None:
    code = params.get("language_code")
    if code and not _LANGUAGE.fullmatch(code):
        raise bad_request(f"LANGUAGE_CODE_INVALID: {code!r}", kind="limit")


def _webhook(params: dict[str, Any], prepared: Prepared) -> None:
    secret = params.get("secret_token")
    if secret is not None and not _SECRET.fullmatch(secret):
        raise bad_request("secret token contains unallowed characters", kind="limit")
    connections = params.get("max_connections")
    if connections is not None and not 1 <= connections <= 100:
        raise bad_request("max_connections must be 1-100", kind="limit")


def _poll(params: dict[str, Any], prepared: Prepared) -> None:
    options = params["options"]
    least = 1 if params.get("allow_adding_options") else 2
    if not least <= len(options) <= 12:
        raise bad_request(f"a poll needs {least}-12 options, got {len(options)}", kind="limit")
    for option in options:
        text = formatted_field(
            option,
            "text",
            "text_parse_mode",
            "text_entities",
            limit=100,
            what="poll option text",
        )
        assert text is not None
    kind = params.get("type", "regular")
    if kind not in ("regular", "quiz"):
        raise bad_request(f"wrong poll type {kind!r}", kind="limit")
    correct = params.get("correct_option_ids")
    if kind == "quiz":
        if not correct:
            raise bad_request("a quiz needs correct_option_ids", kind="limit")
        if any(not 0 <= i < len(options) for i in correct) or correct != sorted(set(correct)):
            raise bad_request(
                "correct_option_ids must be increasing indexes of the options", kind="limit"
            )
    elif correct:
        raise bad_request("correct_option_ids is only for quizzes", kind="limit")
    explanation = prepared.texts.get("explanation")
    if explanation is not None and explanation.text.count("\n") > 2:
        raise bad_request("poll explanation has more than 2 line feeds", kind="limit")
    if "open_period" in params and "close_date" in params:
        raise bad_request("open_period and close_date can't be used together", kind="limit")
    period = params.get("open_period")
    if period is not None and not 5 <= period <= 2628000:
        raise bad_request("open_period must be 5-2628000 seconds", kind="limit")


_SPECIAL: dict[str, Callable[[dict[str, Any], Prepared], None]] = {
    "sendChatAction": _chat_action,
    "answerCallbackQuery": _callback_answer,
    "setMyCommands": _commands,
    "deleteMyCommands": _language,
    "getMyCommands": _language,
    "setWebhook": _webhook,
    "sendPoll": _poll,
}
