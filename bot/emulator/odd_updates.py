"""Updates that ordinary chatting does not produce but real clients do.

Edited messages, stickers, contacts, photos, channel posts: the robustness tests send them to
check that the bot never crashes on them.
"""

from __future__ import annotations

import time
from typing import Any

from bot.emulator.actors import command_entities, group_of, user_of
from bot.emulator.state import BotState, ChatRecord, State

# Content of non-text messages, the way Telegram describes them (ids are opaque strings).
ATTACHMENTS: dict[str, dict[str, Any]] = {
    "sticker": {
        "sticker": {
            "file_id": "CAACAgIAAxkBAAIBsticker",
            "file_unique_id": "AgADsticker",
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": "😀",
        }
    },
    "photo": {
        "photo": [
            {
                "file_id": "AgACAgIAAxkBAAIBphoto",
                "file_unique_id": "AQADphoto",
                "width": 90,
                "height": 90,
            }
        ]
    },
    "location": {"location": {"latitude": 21.0285, "longitude": 105.8542}},
    "document": {
        "document": {
            "file_id": "BQACAgIAAxkBAAIBdoc",
            "file_unique_id": "AgADdoc",
            "file_name": "bao-cao.xlsx",
            "mime_type": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "file_size": 2048,
        }
    },
    "voice": {
        "voice": {"file_id": "AwACAgIAAxkBAAIBvoice", "file_unique_id": "AgADvoice", "duration": 3}
    },
}


def _chat_for(state: State, bot: BotState, user_id: int, chat_id: int | None) -> ChatRecord:
    user = user_of(state, user_id)
    if chat_id is None or chat_id == user_id:
        bot.blocked.discard(user_id)
        return state.chats[user_id]
    return group_of(state, chat_id, user)


def _new_message(bot: BotState, chat: ChatRecord, sender: dict[str, Any]) -> dict[str, Any]:
    return {
        "message_id": bot.take_message_id(chat.id),
        "from": sender,
        "chat": chat.as_chat(),
        "date": int(time.time()),
    }


def send_attachment(
    state: State, bot: BotState, user_id: int, kind: str, chat_id: int | None, caption: str | None
) -> dict[str, Any]:
    """A sticker, photo, location, document or voice message from the user."""
    chat = _chat_for(state, bot, user_id, chat_id)
    message = _new_message(bot, chat, user_of(state, user_id).as_user())
    message.update(ATTACHMENTS[kind])
    if caption and kind in ("photo", "document", "voice"):
        message["caption"] = caption
    bot.user_messages[(chat.id, message["message_id"])] = message
    state.queue_update(bot, "message", message)
    return message


def send_contact(
    state: State, bot: BotState, user_id: int, phone: str, chat_id: int | None
) -> dict[str, Any]:
    """The user shares a contact card (their own or someone else's)."""
    chat = _chat_for(state, bot, user_id, chat_id)
    message = _new_message(bot, chat, user_of(state, user_id).as_user())
    message["contact"] = {"phone_number": phone, "first_name": "Liên hệ", "user_id": user_id}
    bot.user_messages[(chat.id, message["message_id"])] = message
    state.queue_update(bot, "message", message)
    return message


def edit_text(
    state: State, bot: BotState, user_id: int, chat_id: int, message_id: int, text: str
) -> dict[str, Any]:
    """The user edits a text they sent earlier: an `edited_message` update."""
    original = bot.user_messages.get((chat_id, message_id))
    if original is None or original.get("from", {}).get("id") != user_id:
        raise LookupError(f"user {user_id} sent no message {message_id} in chat {chat_id}")
    edited = dict(original)
    edited["text"] = text
    edited.pop("entities", None)
    entities = command_entities(text)
    if entities:
        edited["entities"] = entities
    edited["edit_date"] = int(time.time())
    bot.user_messages[(chat_id, message_id)] = edited
    state.queue_update(bot, "edited_message", edited)
    return edited


def channel_post(state: State, bot: BotState, chat_id: int, text: str) -> dict[str, Any]:
    """A post in a channel the bot administers: no `from` at all."""
    chat = state.chats.get(chat_id)
    if chat is None or chat.type != "channel":
        chat = ChatRecord(chat_id, "channel", title=f"Kênh {chat_id}")
        state.chats[chat_id] = chat
    message = {
        "message_id": bot.take_message_id(chat.id),
        "sender_chat": chat.as_chat(),
        "chat": chat.as_chat(),
        "date": int(time.time()),
        "text": text,
    }
    state.queue_update(bot, "channel_post", message)
    return message
