"""What a delivery looks like and how it goes out: text, photo or document, buttons, silence.

A `Payload` is plain data (stored as JSON in `delivery_contents`), so every recipient, the
preview shown to the trainer and a restarted sender all send exactly the same message.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from aiogram import Bot
from aiogram.enums import ParseMode
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, Message

Media = Literal["photo", "document"]
TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024


@dataclass(frozen=True)
class Button:
    """An inline button: opens `url`, or sends `callback` (packed callback data) to the bot."""

    text: str
    url: str | None = None
    callback: str | None = None

    def __post_init__(self) -> None:
        if (self.url is None) == (self.callback is None):
            raise ValueError("a button has either a url or a callback")

    def markup(self) -> InlineKeyboardButton:
        if self.url is not None:
            return InlineKeyboardButton(text=self.text, url=self.url)
        return InlineKeyboardButton(text=self.text, callback_data=self.callback)


@dataclass(frozen=True)
class Payload:
    """One message: HTML `text` (the caption when there is media) and optional buttons.

    `file_id` is a Telegram file id, so a photo or document uploaded once is reused for
    every recipient.
    """

    text: str
    media: Media | None = None
    file_id: str | None = None
    buttons: tuple[tuple[Button, ...], ...] = field(default_factory=tuple)
    silent: bool = False

    def __post_init__(self) -> None:
        if (self.media is None) != (self.file_id is None):
            raise ValueError("media and file_id go together")
        if self.media is None and not self.text.strip():
            raise ValueError("a text message needs text")

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["buttons"] = [[asdict(button) for button in row] for row in self.buttons]
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Payload:
        rows = tuple(tuple(Button(**button) for button in row) for row in data.get("buttons") or ())
        return cls(
            text=str(data.get("text") or ""),
            media=data.get("media"),
            file_id=data.get("file_id"),
            buttons=rows,
            silent=bool(data.get("silent")),
        )

    def keyboard(self) -> InlineKeyboardMarkup | None:
        if not self.buttons:
            return None
        return InlineKeyboardMarkup(
            inline_keyboard=[[button.markup() for button in row] for row in self.buttons]
        )


async def send(
    bot: Bot,
    chat_id: int,
    payload: Payload,
    *,
    paid: bool = False,
    request_timeout: int | None = None,
) -> Message:
    """Send `payload` to `chat_id`; Telegram's errors propagate as aiogram exceptions."""
    common: dict[str, Any] = {
        "chat_id": chat_id,
        "reply_markup": payload.keyboard(),
        "parse_mode": ParseMode.HTML,
        "disable_notification": True if payload.silent else None,
        "allow_paid_broadcast": True if paid else None,
        "request_timeout": request_timeout,
    }
    caption = payload.text or None
    if payload.media == "photo":
        return await bot.send_photo(photo=payload.file_id or "", caption=caption, **common)
    if payload.media == "document":
        return await bot.send_document(document=payload.file_id or "", caption=caption, **common)
    return await bot.send_message(text=payload.text, **common)
