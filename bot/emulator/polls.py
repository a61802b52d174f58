"""Polls and quizzes: sending, stopping, and votes cast by emulated users."""

from __future__ import annotations

import copy
import secrets
from typing import Any

from bot.emulator.context import Context, Handler
from bot.emulator.errors import refused
from bot.emulator.formatting import parse, trim
from bot.emulator.messaging import chat_of, deliver
from bot.emulator.state import BotState, PollRecord, State, UserRecord

_COPIED = ("open_period", "close_date", "country_codes", "correct_option_ids")


def _option(raw: dict[str, Any]) -> dict[str, Any]:
    formatted = trim(parse(raw["text"], raw.get("text_parse_mode"), raw.get("text_entities")))
    option: dict[str, Any] = {
        "persistent_id": secrets.token_hex(4),
        "text": formatted.text,
        "voter_count": 0,
    }
    if formatted.entities:
        option["text_entities"] = formatted.entities
    return option


def send_poll(ctx: Context) -> dict[str, Any]:
    chat = chat_of(ctx)
    params, texts = ctx.params, ctx.prepared.texts
    kind = params.get("type", "regular")
    question = texts["question"]
    poll: dict[str, Any] = {
        "id": str(secrets.randbelow(10**18) + 10**18),
        "question": question.text,
        "options": [_option(option) for option in params["options"]],
        "total_voter_count": 0,
        "is_closed": bool(params.get("is_closed", False)),
        "is_anonymous": bool(params.get("is_anonymous", True)),
        "type": kind,
        "allows_multiple_answers": bool(params.get("allows_multiple_answers", False)),
        "allows_revoting": bool(params.get("allows_revoting", kind == "regular")),
        "members_only": bool(params.get("members_only", False)),
    }
    if question.entities:
        poll["question_entities"] = question.entities
    for key in ("explanation", "description"):
        formatted = texts.get(key)
        if formatted is not None and formatted.text:
            poll[key] = formatted.text
            if formatted.entities:
                poll[f"{key}_entities"] = formatted.entities
    for key in _COPIED:
        if key in params:
            poll[key] = params[key]
    content: dict[str, Any] = {"poll": poll}
    sent = deliver(ctx, chat, content, poll=poll, html=params["question"])
    ctx.bot.polls[poll["id"]] = PollRecord(poll["id"], chat.id, sent.message_id, poll)
    return sent.payload


def stop_poll(ctx: Context) -> dict[str, Any]:
    chat = chat_of(ctx)
    sent = ctx.bot.by_id.get((chat.id, ctx.params["message_id"]))
    if sent is None or sent.poll is None:
        raise refused("message with poll to stop not found")
    poll = sent.poll
    if poll["is_closed"]:
        raise refused("poll has already been closed")
    poll["is_closed"] = True
    markup = ctx.params.get("reply_markup")
    if markup is not None:
        sent.reply_markup = markup
        sent.payload["reply_markup"] = markup
    ctx.state.queue_update(ctx.bot, "poll", copy.deepcopy(poll))
    return copy.deepcopy(poll)


def cast_vote(
    state: State, bot: BotState, user: UserRecord, poll_id: str, option_ids: list[int]
) -> None:
    """A user's answer (empty: vote retracted), queued as `poll_answer` and `poll` updates."""
    record = bot.polls.get(poll_id)
    if record is None:
        raise LookupError(f"no poll {poll_id!r} sent by this bot")
    poll = record.data
    if poll["is_closed"]:
        raise ValueError("the poll is closed")
    count = len(poll["options"])
    if any(not 0 <= i < count for i in option_ids) or len(set(option_ids)) != len(option_ids):
        raise ValueError(f"option ids must be distinct and in 0..{count - 1}")
    if len(option_ids) > 1 and not poll["allows_multiple_answers"]:
        raise ValueError("this poll allows one answer")
    previous = record.votes.get(user.id)
    if previous is not None and not poll["allows_revoting"]:
        raise ValueError("this poll does not allow changing the answer")
    for index in previous or []:
        poll["options"][index]["voter_count"] -= 1
    for index in option_ids:
        poll["options"][index]["voter_count"] += 1
    if option_ids:
        record.votes[user.id] = list(option_ids)
    else:
        record.votes.pop(user.id, None)
    poll["total_voter_count"] = len(record.votes)
    if not poll["is_anonymous"]:
        answer = {
            "poll_id": poll_id,
            "user": user.as_user(),
            "option_ids": list(option_ids),
            "option_persistent_ids": [poll["options"][i]["persistent_id"] for i in option_ids],
        }
        state.queue_update(bot, "poll_answer", answer)
    state.queue_update(bot, "poll", copy.deepcopy(poll))


HANDLERS: dict[str, Handler] = {"sendPoll": send_poll, "stopPoll": stop_poll}
