"""Emulated users acting on a bot: writing, pressing buttons, voting, blocking."""

from __future__ import annotations

import copy
import re
import secrets
import time
from typing import Any

from bot.emulator.entities import utf16_len
from bot.emulator.state import BotState, CallbackRecord, ChatRecord, State, UserRecord

# The senders Telegram puts in `from` of messages sent on behalf of a chat.
ANONYMOUS_ADMIN = {
    "id": 1087968824,
    "is_bot": True,
    "first_name": "Group",
    "username": "GroupAnonymousBot",
}
CHANNEL_BOT = {"id": 136817688, "is_bot": True, "first_name": "Channel", "username": "Channel_Bot"}
_COMMAND = re.compile(r"(?<![\w/@])/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?(?![\w/])")


def command_entities(text: str) -> list[dict[str, Any]]:
    """bot_command entities Telegram adds to a user's text."""
    return [
        {
            "type": "bot_command",
            "offset": utf16_len(text[: match.start()]),
            "length": utf16_len(match.group()),
        }
        for match in _COMMAND.finditer(text)
    ]


def user_of(state: State, user_id: int) -> UserRecord:
    user = state.users.get(user_id)
    if user is None:
        user = state.add_user(UserRecord(user_id, first_name=f"User {user_id}", language_code="vi"))
    return user


def group_of(state: State, chat_id: int, user: UserRecord) -> ChatRecord:
    chat = state.chats.get(chat_id)
    if chat is None or chat.is_private:
        raise LookupError(f"no group {chat_id}: call add_group first")
    chat.members.add(user.id)
    return chat


def _member_update(
    bot: BotState, chat: ChatRecord, user: UserRecord, old: str, new: str
) -> dict[str, Any]:
    def member(status: str) -> dict[str, Any]:
        data: dict[str, Any] = {"status": status, "user": bot.as_user()}
        if status == "kicked":
            data["until_date"] = 0
        return data

    return {
        "chat": chat.as_chat(),
        "from": user.as_user(),
        "date": int(time.time()),
        "old_chat_member": member(old),
        "new_chat_member": member(new),
    }


def set_blocked(state: State, bot: BotState, user_id: int, blocked: bool) -> None:
    user = user_of(state, user_id)
    if (user_id in bot.blocked) == blocked:
        return
    chat = state.chats[user_id]
    if blocked:
        bot.blocked.add(user_id)
        update = _member_update(bot, chat, user, "member", "kicked")
    else:
        bot.blocked.discard(user_id)
        update = _member_update(bot, chat, user, "kicked", "member")
    state.queue_update(bot, "my_chat_member", update)


def send_text(
    state: State, bot: BotState, user_id: int, text: str, chat_id: int | None
) -> dict[str, Any]:
    user = user_of(state, user_id)
    if chat_id is None or chat_id == user_id:
        chat = state.chats[user_id]
        # Writing to a bot one blocked means pressing "Restart" first.
        set_blocked(state, bot, user_id, False)
    else:
        chat = group_of(state, chat_id, user)
    message: dict[str, Any] = {
        "message_id": bot.take_message_id(chat.id),
        "from": user.as_user(),
        "chat": chat.as_chat(),
        "date": int(time.time()),
        "text": text,
    }
    entities = command_entities(text)
    if entities:
        message["entities"] = entities
    bot.user_messages[(chat.id, message["message_id"])] = message
    state.queue_update(bot, "message", message)
    return message


def send_anonymous(
    state: State, bot: BotState, chat_id: int, text: str, sender_chat_id: int | None
) -> dict[str, Any]:
    """A message in group `chat_id` on behalf of a chat: the group itself (an anonymous
    admin) or a channel (`sender_chat_id`); `from` is then Telegram's placeholder bot."""
    chat = state.chats.get(chat_id)
    if chat is None or chat.is_private:
        raise LookupError(f"no group {chat_id}: call add_group first")
    if sender_chat_id is None or sender_chat_id == chat_id:
        sender, placeholder = chat.as_chat(), ANONYMOUS_ADMIN
    else:
        sender = {"id": sender_chat_id, "type": "channel", "title": f"Channel {sender_chat_id}"}
        placeholder = CHANNEL_BOT
    message: dict[str, Any] = {
        "message_id": bot.take_message_id(chat.id),
        "from": dict(placeholder),
        "sender_chat": sender,
        "chat": chat.as_chat(),
        "date": int(time.time()),
        "text": text,
    }
    entities = command_entities(text)
    if entities:
        message["entities"] = entities
    bot.user_messages[(chat.id, message["message_id"])] = message
    state.queue_update(bot, "message", message)
    return message


def press_button(
    state: State,
    bot: BotState,
    user_id: int,
    chat_id: int,
    message_id: int,
    data: str,
    *,
    forged: bool = False,
) -> str:
    """`forged`: data the message's buttons do not carry, as a modified client can send."""
    user = user_of(state, user_id)
    sent = bot.by_id.get((chat_id, message_id))
    if sent is None:
        raise LookupError(f"no live message {message_id} from the bot in chat {chat_id}")
    if not forged and data not in sent.callback_data():
        raise LookupError(
            f"message {message_id} has no button with callback_data {data!r}: "
            f"{sent.callback_data()}"
        )
    query_id = str(secrets.randbelow(10**18) + 10**18)
    bot.callbacks[query_id] = CallbackRecord(query_id, user_id, chat_id, message_id, data)
    query = {
        "id": query_id,
        "from": user.as_user(),
        "message": copy.deepcopy(sent.payload),
        "chat_instance": str(abs(hash((bot.id, chat_id))) % 10**18),
        "data": data,
    }
    state.queue_update(bot, "callback_query", query)
    return query_id
