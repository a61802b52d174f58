"""Records the emulator keeps for tests: violations, calls and the messages a bot sent."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Violation:
    """A call that broke the Bot API contract."""

    method: str
    description: str
    params: dict[str, Any]
    kind: str = ""
    token: str | None = None
    at: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "description": self.description,
            "params": self.params,
            "kind": self.kind,
            "at": self.at,
        }


@dataclass(frozen=True)
class Call:
    """One Bot API call as the emulator saw and answered it."""

    method: str
    params: dict[str, Any]
    status: int
    at: float
    token: str | None = None
    description: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "params": self.params,
            "status": self.status,
            "at": self.at,
            "description": self.description,
        }


Button = tuple[str, str | None]


@dataclass
class SentMessage:
    """A message the bot sent, with later edits applied.

    `text` is what the user sees (after entity parsing); `html` keeps the raw
    text as the bot sent it, whatever its parse_mode.
    """

    message_id: int
    chat_id: int
    method: str
    date: int
    text: str | None = None
    html: str | None = None
    parse_mode: str | None = None
    entities: list[dict[str, Any]] = field(default_factory=list)
    caption: str | None = None
    reply_markup: dict[str, Any] | None = None
    photo: bytes | None = None
    document: bytes | None = None
    filename: str | None = None
    file_ref: str | None = None
    poll: dict[str, Any] | None = None
    deleted: bool = False
    edits: int = 0
    payload: dict[str, Any] = field(default_factory=dict, repr=False)

    def buttons(self) -> list[list[Button]]:
        """Rows of (text, callback_data or url) of an inline or reply keyboard."""
        markup = self.reply_markup or {}
        rows = markup.get("inline_keyboard") or markup.get("keyboard") or []
        result: list[list[Button]] = []
        for row in rows:
            line: list[Button] = []
            for button in row:
                if isinstance(button, str):
                    line.append((button, None))
                    continue
                target = button.get("callback_data", button.get("url"))
                line.append((str(button.get("text", "")), target))
            result.append(line)
        return result

    def callback_data(self) -> list[str]:
        """Every callback_data of the inline keyboard, row by row."""
        return [data for row in self.buttons() for _, data in row if data is not None]

    def as_dict(self) -> dict[str, Any]:
        return {
            "message_id": self.message_id,
            "chat_id": self.chat_id,
            "method": self.method,
            "date": self.date,
            "text": self.text,
            "html": self.html,
            "parse_mode": self.parse_mode,
            "entities": self.entities,
            "caption": self.caption,
            "reply_markup": self.reply_markup,
            "buttons": [[list(b) for b in row] for row in self.buttons()],
            "filename": self.filename,
            "photo_size": len(self.photo) if self.photo is not None else None,
            "document_size": len(self.document) if self.document is not None else None,
            "file_ref": self.file_ref,
            "poll": self.poll,
            "deleted": self.deleted,
            "edits": self.edits,
        }
