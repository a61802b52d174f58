"""Every kind of contract breach is answered 400 (404 for methods) and recorded as a violation."""

from __future__ import annotations

import json
from typing import Any

import aiohttp
import pytest

from bot.emulator import Emulator
from bot.emulator.request import RawParams
from bot.emulator.spec import Spec
from bot.emulator.validate import Mismatch, Validator

from .helpers import TOKEN, USER, CallApi


@pytest.fixture(scope="module")
def validator() -> Validator:
    return Validator(Spec.load())


def test_spec_methods_are_case_insensitive_and_unions_have_tags() -> None:
    spec = Spec.load()
    assert spec.method("SENDMESSAGE") is spec.method("sendMessage")
    assert spec.types["BotCommandScopeChat"].tag == ("type", "chat")
    assert spec.types["ChatMemberBanned"].tag == ("status", "kicked")
    assert spec.types["ReactionTypeEmoji"].tag == ("type", "emoji")
    assert "BotCommandScopeChat" in spec.types["BotCommandScope"].subtypes


def test_form_strings_are_coerced_like_telegram(validator: Validator) -> None:
    method = validator.spec.method("sendMessage")
    assert method is not None
    raw = RawParams(
        values={
            "chat_id": "42",
            "text": "123",
            "disable_notification": "true",
            "reply_markup": json.dumps(
                {"inline_keyboard": [[{"text": "a", "callback_data": "b"}]]}
            ),
        }
    )
    params = validator.validate_call(method, raw)
    assert params["chat_id"] == 42
    assert params["text"] == "123"
    assert params["disable_notification"] is True
    assert params["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "b"
    assert validator.coerce("@channel", ("Integer", "String"), "chat_id") == "@channel"
    assert validator.coerce("-1.5", ("Float",), "x") == -1.5


@pytest.mark.parametrize(
    ("value", "types", "fragment"),
    [
        ({"type": "chat"}, ("BotCommandScope",), "chat_id: required field of BotCommandScopeChat"),
        ({"type": "everyone"}, ("BotCommandScope",), "unsupported BotCommandScope type"),
        ({"type": "emoji", "emoji": 5}, ("ReactionType",), "emoji: must be of type String"),
        ([{"type": "video", "media": "x"}], ("Array of InputMediaPhoto",), "must be 'photo'"),
        (
            {"inline_keyboard": [[{"text": "a", "data": "b"}]]},
            ("InlineKeyboardMarkup",),
            "unknown field",
        ),
        (
            {"inline_keyboard": [{"text": "a"}]},
            ("InlineKeyboardMarkup",),
            "Array of InlineKeyboardButton",
        ),
        (
            {"keyboard": [[{"text": 1}]]},
            ("InlineKeyboardMarkup", "ReplyKeyboardMarkup"),
            "keyboard[0][0].text",
        ),
        (True, ("Integer",), "must be of type Integer"),
        ("yes", ("Boolean",), "must be of type Boolean"),
    ],
)
def test_nested_objects_are_checked(
    validator: Validator, value: Any, types: tuple[str, ...], fragment: str
) -> None:
    with pytest.raises(Mismatch) as caught:
        validator.check(value, types, "p")
    assert fragment in str(caught.value)


def test_unions_accept_any_matching_member(validator: Validator) -> None:
    assert validator.check({"type": "chat", "chat_id": "@x"}, ("BotCommandScope",), "s")
    assert validator.check({"type": "default"}, ("MenuButton",), "m") == {"type": "default"}
    content = {"message_text": "hi", "parse_mode": "HTML"}
    assert validator.check(content, ("InputMessageContent",), "c") == content
    assert validator.check(
        {"remove_keyboard": True}, ("InlineKeyboardMarkup", "ReplyKeyboardRemove"), "r"
    )


async def _assert_violation(emu: Emulator, kind: str, fragment: str) -> None:
    assert emu.violations, "expected a violation"
    violation = emu.violations[-1]
    assert violation.kind == kind, violation
    assert fragment in violation.description
    emu.clear_violations()


@pytest.mark.parametrize(
    ("method", "params", "kind", "fragment"),
    [
        (
            "sendMessage",
            {"chat_id": USER, "text": "x", "colour": "red"},
            "unknown_parameter",
            '"colour"',
        ),
        ("sendMessage", {"chat_id": USER}, "missing_parameter", "message text is empty"),
        ("deleteMessage", {"chat_id": USER}, "missing_parameter", '"message_id" is required'),
        ("deleteMessage", {"chat_id": USER, "message_id": "first"}, "wrong_type", "message_id"),
        (
            "sendMessage",
            {"chat_id": USER, "text": "x", "reply_markup": "{not json"},
            "wrong_type",
            "reply_markup",
        ),
        ("sendMessage", {"chat_id": USER, "text": "x" * 4097}, "limit", "message is too long"),
        ("sendMessage", {"chat_id": USER, "text": "  \n "}, "limit", "message text is empty"),
        (
            "sendMessage",
            {"chat_id": USER, "text": "<b>x", "parse_mode": "HTML"},
            "markup",
            "can't parse entities",
        ),
        (
            "sendMessage",
            {"chat_id": USER, "text": "3.5", "parse_mode": "MarkdownV2"},
            "markup",
            "reserved",
        ),
        (
            "sendPhoto",
            {"chat_id": USER, "photo": "https://a.vn/p.jpg", "caption": "c" * 1025},
            "limit",
            "caption is too long",
        ),
        ("sendChatAction", {"chat_id": USER, "action": "dancing"}, "limit", "action"),
        ("answerCallbackQuery", {"callback_query_id": "1", "text": "t" * 201}, "limit", "200"),
        (
            "setMyCommands",
            {"commands": [{"command": "Start", "description": "d"}]},
            "limit",
            "BOT_COMMAND_INVALID",
        ),
        (
            "setMyCommands",
            {"commands": [], "language_code": "vie"},
            "limit",
            "LANGUAGE_CODE_INVALID",
        ),
        (
            "setWebhook",
            {"url": "http://127.0.0.1:1/", "secret_token": "a b"},
            "limit",
            "secret token",
        ),
    ],
)
async def test_each_violation_is_answered_and_recorded(
    emu: Emulator, call: CallApi, method: str, params: dict[str, Any], kind: str, fragment: str
) -> None:
    status, body = await call(method, **params)
    assert status == 400
    assert body["ok"] is False and body["error_code"] == 400
    assert body["description"].startswith("Bad Request: ")
    await _assert_violation(emu, kind, fragment)


def _keyboard(rows: list[list[dict[str, Any]]]) -> dict[str, Any]:
    return {"inline_keyboard": rows}


@pytest.mark.parametrize(
    ("markup", "fragment"),
    [
        (
            _keyboard([[{"text": "a", "callback_data": "ắ" * 22}]]),
            "callback_data must be 1-64 bytes",
        ),
        (_keyboard([[{"text": "a", "callback_data": ""}]]), "callback_data must be 1-64 bytes"),
        (_keyboard([[{"text": str(i), "callback_data": str(i)} for i in range(9)]]), "at most 8"),
        (_keyboard([[{"text": "b", "callback_data": "b"}] * 8] * 13), "at most 100"),
        (_keyboard([[{"text": "plain"}]]), "text buttons are unallowed"),
        (
            _keyboard([[{"text": "x", "url": "https://a.vn", "callback_data": "y"}]]),
            "exactly one action",
        ),
    ],
)
async def test_keyboard_limits(
    emu: Emulator, call: CallApi, markup: dict[str, Any], fragment: str
) -> None:
    status, _ = await call("sendMessage", chat_id=USER, text="x", reply_markup=markup)
    assert status == 400
    await _assert_violation(emu, "limit", fragment)


async def test_keyboard_at_the_limits_is_accepted(emu: Emulator, call: CallApi) -> None:
    rows = [[{"text": f"{r}{c}", "callback_data": "ắ" * 21} for c in range(8)] for r in range(12)]
    rows.append([{"text": "last", "callback_data": "z" * 64}] * 4)
    status, body = await call("sendMessage", chat_id=USER, text="x", reply_markup=_keyboard(rows))
    assert status == 200, body
    assert emu.violations == []


async def test_length_is_counted_after_entity_parsing(emu: Emulator, call: CallApi) -> None:
    text = "<b>" + "ậ" * 4000 + "</b>" + "&amp;" * 96
    status, body = await call("sendMessage", chat_id=USER, text=text, parse_mode="HTML")
    assert status == 200, body
    assert len(body["result"]["text"]) == 4096
    assert emu.violations == []


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        ({"type": "quiz"}, "a quiz needs correct_option_ids"),
        ({"options": [{"text": "only"}]}, "2-12 options"),
        ({"options": [{"text": str(i)} for i in range(13)]}, "2-12 options"),
        ({"question": "?" * 301}, "poll question is too long"),
        ({"type": "quiz", "correct_option_ids": [2]}, "increasing indexes"),
        (
            {"type": "quiz", "correct_option_ids": [0], "explanation": "e" * 201},
            "explanation is too long",
        ),
        ({"type": "quiz", "correct_option_ids": [0], "explanation": "a\nb\nc\nd"}, "line feeds"),
        ({"correct_option_ids": [0]}, "only for quizzes"),
        ({"options": [{"text": "x" * 101}, {"text": "b"}]}, "poll option text is too long"),
    ],
)
async def test_poll_rules(
    emu: Emulator, call: CallApi, changes: dict[str, Any], fragment: str
) -> None:
    params: dict[str, Any] = {
        "chat_id": USER,
        "question": "Q?",
        "options": [{"text": "a"}, {"text": "b"}],
    }
    params.update(changes)
    status, _ = await call("sendPoll", **params)
    assert status == 400
    await _assert_violation(emu, "limit", fragment)


async def test_unknown_method_is_404_and_a_violation(emu: Emulator, call: CallApi) -> None:
    emu.assert_no_violations()
    status, body = await call("sendTelepathy", chat_id=USER)
    with pytest.raises(AssertionError, match="sendTelepathy: Not Found"):
        emu.assert_no_violations()
    assert (status, body) == (404, {"ok": False, "error_code": 404, "description": "Not Found"})
    await _assert_violation(emu, "unknown_method", "Not Found")


async def test_bad_token_is_401_and_not_a_violation(emu: Emulator, call: CallApi) -> None:
    for token in ("abc:def", "123", "12:a b"):
        status, body = await call("getMe", token=token)
        assert (status, body["description"]) == (401, "Unauthorized")
    status, body = await call("getMe", token="12:ab/c")
    assert (status, body["ok"]) == (404, False)
    assert emu.violations == []


async def test_query_string_form_and_multipart_are_read(
    emu: Emulator, call: CallApi, http: aiohttp.ClientSession
) -> None:
    base = f"{emu.base_url}/bot{TOKEN}"
    async with http.get(
        f"{base}/sendmessage", params={"chat_id": str(USER), "text": "q"}
    ) as response:
        assert response.status == 200
    status, body = await call(
        "sendMessage", form=True, chat_id=str(USER), text="f", protect_content="true"
    )
    assert status == 200 and body["result"]["has_protected_content"] is True
    form = aiohttp.FormData()
    form.add_field("chat_id", str(USER))
    form.add_field("document", b"%PDF-1.4", filename="bao-cao.pdf", content_type="application/pdf")
    async with http.post(f"{base}/sendDocument", data=form) as response:
        body = await response.json()
    assert body["result"]["document"]["file_name"] == "bao-cao.pdf"
    assert emu.last_message(USER).document == b"%PDF-1.4"  # type: ignore[union-attr]
    assert emu.violations == []


async def test_attach_reference_must_point_to_a_part(
    emu: Emulator, http: aiohttp.ClientSession
) -> None:
    form = aiohttp.FormData()
    form.add_field("chat_id", str(USER))
    form.add_field("photo", "attach://missing")
    form.add_field("stray", b"x", filename="x.bin")
    async with http.post(f"{emu.base_url}/bot{TOKEN}/sendPhoto", data=form) as response:
        assert response.status == 400
    assert emu.violations[-1].kind == "unknown_parameter"
