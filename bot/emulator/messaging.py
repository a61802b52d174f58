"""Sending, editing, copying and deleting messages."""

from __future__ import annotations

import time
from typing import Any

from bot.emulator.context import Context, Handler
from bot.emulator.entities import FormattedText
from bot.emulator.errors import bad_request, refused
from bot.emulator.media import (
    DOCUMENT_LIMIT,
    PHOTO_LIMIT,
    document_object,
    photo_sizes,
    resolve_input,
)
from bot.emulator.models import SentMessage
from bot.emulator.request import Upload
from bot.emulator.state import ChatRecord

_NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
_CONTENT_KEYS = ("text", "entities", "photo", "document", "caption", "caption_entities", "poll")


def chat_of(ctx: Context, key: str = "chat_id") -> ChatRecord:
    return ctx.state.resolve_chat(ctx.params[key])


def inline_markup(markup: Any) -> dict[str, Any] | None:
    if isinstance(markup, dict) and "inline_keyboard" in markup:
        return markup
    return None


def find_message(ctx: Context, chat_id: int, message_id: int) -> dict[str, Any] | None:
    """The Message object of a live bot or user message in a chat."""
    sent = ctx.bot.by_id.get((chat_id, message_id))
    if sent is not None:
        return sent.payload
    return ctx.bot.user_messages.get((chat_id, message_id))


def _reply_to(ctx: Context, chat: ChatRecord) -> dict[str, Any] | None:
    reply = ctx.params.get("reply_parameters")
    if not reply:
        return None
    target_chat = chat if "chat_id" not in reply else ctx.state.resolve_chat(reply["chat_id"])
    target = find_message(ctx, target_chat.id, reply["message_id"])
    if target is None:
        if reply.get("allow_sending_without_reply"):
            return None
        raise refused("message to be replied not found")
    return {k: v for k, v in target.items() if k != "reply_to_message"}


def with_text(content: dict[str, Any], key: str, formatted: FormattedText | None) -> None:
    if formatted is None or not formatted.text:
        return
    content[key] = formatted.text
    if formatted.entities:
        content["entities" if key == "text" else f"{key}_entities"] = formatted.entities


def deliver(ctx: Context, chat: ChatRecord, content: dict[str, Any], **fields: Any) -> SentMessage:
    """Accept a send (after the refusals that may stop it) and record the message."""
    reply = _reply_to(ctx, chat)
    ctx.state.check_send(ctx.bot, chat)
    bot, params = ctx.bot, ctx.params
    message_id = bot.take_message_id(chat.id)
    date = ctx.now()
    payload: dict[str, Any] = {
        "message_id": message_id,
        "from": bot.as_user(),
        "chat": chat.as_chat(),
        "date": date,
    }
    if reply is not None:
        payload["reply_to_message"] = reply
    payload.update(content)
    markup = params.get("reply_markup")
    if inline_markup(markup):
        payload["reply_markup"] = markup
    if params.get("protect_content"):
        payload["has_protected_content"] = True
    sent = SentMessage(
        message_id=message_id,
        chat_id=chat.id,
        method=ctx.method.name,
        date=date,
        reply_markup=markup,
        payload=payload,
        **fields,
    )
    bot.sent.setdefault(chat.id, []).append(sent)
    bot.by_id[(chat.id, message_id)] = sent
    counters = ctx.state.counters
    counters.accepted_per_chat[chat.id] += 1
    counters.send_times.append((time.time(), chat.id, ctx.method.name))
    ctx.state.notify()
    return sent


def send_message(ctx: Context) -> dict[str, Any]:
    chat = chat_of(ctx)
    formatted = ctx.prepared.texts["text"]
    content: dict[str, Any] = {}
    with_text(content, "text", formatted)
    if "link_preview_options" in ctx.params:
        content["link_preview_options"] = ctx.params["link_preview_options"]
    sent = deliver(
        ctx,
        chat,
        content,
        text=formatted.text,
        html=ctx.params["text"],
        parse_mode=ctx.params.get("parse_mode"),
        entities=formatted.entities,
    )
    return sent.payload


def _caption_fields(ctx: Context, content: dict[str, Any]) -> dict[str, Any]:
    caption = ctx.prepared.texts.get("caption")
    with_text(content, "caption", caption)
    return {
        "caption": caption.text if caption and caption.text else None,
        "html": ctx.params.get("caption"),
        "parse_mode": ctx.params.get("parse_mode"),
        "entities": caption.entities if caption else [],
    }


def send_photo(ctx: Context) -> dict[str, Any]:
    chat = chat_of(ctx)
    data, filename, mime, ref = resolve_input(
        ctx.state, ctx.params["photo"], kind="photo", limit=PHOTO_LIMIT
    )
    content: dict[str, Any] = {"photo": photo_sizes(ctx.state, data, filename, mime, ref)}
    fields = _caption_fields(ctx, content)
    if ctx.params.get("has_spoiler"):
        content["has_media_spoiler"] = True
    if ctx.params.get("show_caption_above_media"):
        content["show_caption_above_media"] = True
    sent = deliver(ctx, chat, content, photo=data, filename=filename, file_ref=ref, **fields)
    return sent.payload


def send_document(ctx: Context) -> dict[str, Any]:
    chat = chat_of(ctx)
    data, filename, mime, ref = resolve_input(
        ctx.state, ctx.params["document"], kind="document", limit=DOCUMENT_LIMIT
    )
    content: dict[str, Any] = {"document": document_object(ctx.state, data, filename, mime, ref)}
    fields = _caption_fields(ctx, content)
    sent = deliver(ctx, chat, content, document=data, filename=filename, file_ref=ref, **fields)
    return sent.payload


def send_other(ctx: Context) -> dict[str, Any]:
    """A send the emulator does not model in detail: counted and recorded, content omitted."""
    chat = chat_of(ctx)
    content: dict[str, Any] = {}
    fields = _caption_fields(ctx, content)
    return deliver(ctx, chat, content, **fields).payload


def send_media_group(ctx: Context) -> list[dict[str, Any]]:
    chat = chat_of(ctx)
    results: list[dict[str, Any]] = []
    for item in ctx.params["media"]:
        media = item["media"]
        if media.startswith("attach://"):
            media = ctx.raw.files[media.removeprefix("attach://")]
        value: Upload | str = media
        content: dict[str, Any] = {}
        data, filename, mime, ref = resolve_input(
            ctx.state, value, kind=item["type"], limit=DOCUMENT_LIMIT
        )
        if item["type"] == "photo":
            content["photo"] = photo_sizes(ctx.state, data, filename, mime, ref)
        elif item["type"] == "document":
            content["document"] = document_object(ctx.state, data, filename, mime, ref)
        if item.get("caption"):
            content["caption"] = item["caption"]
        sent = deliver(
            ctx,
            chat,
            content,
            filename=filename,
            file_ref=ref,
            caption=item.get("caption"),
            photo=data if item["type"] == "photo" else None,
            document=data if item["type"] == "document" else None,
        )
        results.append(sent.payload)
    return results


def _edit_target(ctx: Context) -> SentMessage:
    params = ctx.params
    if "inline_message_id" in params:
        raise refused("message to edit not found")
    if "chat_id" not in params or "message_id" not in params:
        raise bad_request("message identifier is not specified")
    chat = chat_of(ctx)
    key = (chat.id, params["message_id"])
    sent = ctx.bot.by_id.get(key)
    if sent is None:
        if key in ctx.bot.user_messages:
            raise refused("message can't be edited")
        raise refused("message to edit not found")
    return sent


def _apply_edit(ctx: Context, sent: SentMessage, markup: dict[str, Any] | None) -> dict[str, Any]:
    sent.reply_markup = markup
    if markup is None:
        sent.payload.pop("reply_markup", None)
    else:
        sent.payload["reply_markup"] = markup
    sent.payload["edit_date"] = ctx.now()
    sent.edits += 1
    ctx.state.notify()
    return sent.payload


def edit_message_text(ctx: Context) -> dict[str, Any]:
    sent = _edit_target(ctx)
    if "text" not in ctx.params:
        raise bad_request("text is empty")
    if sent.text is None:
        raise refused("there is no text in the message to edit")
    formatted = ctx.prepared.texts["text"]
    markup = inline_markup(ctx.params.get("reply_markup"))
    same_text = formatted.text == sent.text and formatted.entities == sent.entities
    if same_text and markup == inline_markup(sent.reply_markup):
        raise refused(_NOT_MODIFIED)
    sent.text, sent.entities = formatted.text, formatted.entities
    sent.html, sent.parse_mode = ctx.params["text"], ctx.params.get("parse_mode")
    for key in ("text", "entities"):
        sent.payload.pop(key, None)
    with_text(sent.payload, "text", formatted)
    return _apply_edit(ctx, sent, markup)


def edit_message_caption(ctx: Context) -> dict[str, Any]:
    sent = _edit_target(ctx)
    if sent.text is not None:
        raise refused("there is no caption in the message to edit")
    caption = ctx.prepared.texts.get("caption")
    new_caption = caption.text if caption and caption.text else None
    entities = caption.entities if caption else []
    markup = inline_markup(ctx.params.get("reply_markup"))
    same = new_caption == sent.caption and entities == sent.entities
    if same and markup == inline_markup(sent.reply_markup):
        raise refused(_NOT_MODIFIED)
    sent.caption, sent.entities = new_caption, entities
    sent.html, sent.parse_mode = ctx.params.get("caption"), ctx.params.get("parse_mode")
    for key in ("caption", "caption_entities"):
        sent.payload.pop(key, None)
    with_text(sent.payload, "caption", caption)
    return _apply_edit(ctx, sent, markup)


def edit_message_reply_markup(ctx: Context) -> dict[str, Any]:
    sent = _edit_target(ctx)
    markup = inline_markup(ctx.params.get("reply_markup"))
    if markup == inline_markup(sent.reply_markup):
        raise refused(_NOT_MODIFIED)
    return _apply_edit(ctx, sent, markup)


def _delete(ctx: Context, chat_id: int, message_id: int) -> bool:
    bot = ctx.bot
    sent = bot.by_id.pop((chat_id, message_id), None)
    if sent is not None:
        sent.deleted = True
        ctx.state.notify()
        return True
    return bot.user_messages.pop((chat_id, message_id), None) is not None


def delete_message(ctx: Context) -> bool:
    chat = chat_of(ctx)
    if not _delete(ctx, chat.id, ctx.params["message_id"]):
        raise refused("message to delete not found")
    return True


def delete_messages(ctx: Context) -> bool:
    chat = chat_of(ctx)
    ids = ctx.params["message_ids"]
    if not 1 <= len(ids) <= 100:
        raise bad_request("message_ids must list 1-100 messages", kind="limit")
    for message_id in ids:
        _delete(ctx, chat.id, message_id)
    return True


def _copy(ctx: Context, forward: bool) -> SentMessage:
    source_chat = chat_of(ctx, "from_chat_id")
    chat = chat_of(ctx)
    source = find_message(ctx, source_chat.id, ctx.params["message_id"])
    if source is None:
        raise refused(f"message to {'forward' if forward else 'copy'} not found")
    content = {key: source[key] for key in _CONTENT_KEYS if key in source}
    if forward:
        content["forward_origin"] = {
            "type": "user",
            "date": source["date"],
            "sender_user": source["from"],
        }
    elif "caption" in ctx.prepared.texts:
        content.pop("caption_entities", None)
        with_text(content, "caption", ctx.prepared.texts["caption"])
    return deliver(
        ctx,
        chat,
        content,
        text=content.get("text"),
        html=content.get("text"),
        caption=content.get("caption"),
        entities=list(content.get("entities", [])),
        poll=content.get("poll"),
    )


def copy_message(ctx: Context) -> dict[str, Any]:
    return {"message_id": _copy(ctx, forward=False).message_id}


def forward_message(ctx: Context) -> dict[str, Any]:
    return _copy(ctx, forward=True).payload


def send_chat_action(ctx: Context) -> bool:
    chat = chat_of(ctx)
    if chat.is_private and chat.id in ctx.bot.blocked:
        raise refused("bot was blocked by the user", 403)
    return True


HANDLERS: dict[str, Handler] = {
    "sendMessage": send_message,
    "sendPhoto": send_photo,
    "sendDocument": send_document,
    "sendMediaGroup": send_media_group,
    "editMessageText": edit_message_text,
    "editMessageCaption": edit_message_caption,
    "editMessageReplyMarkup": edit_message_reply_markup,
    "deleteMessage": delete_message,
    "deleteMessages": delete_messages,
    "copyMessage": copy_message,
    "forwardMessage": forward_message,
    "sendChatAction": send_chat_action,
}
