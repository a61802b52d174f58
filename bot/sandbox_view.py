"""How the sandbox shows the bot in a terminal: messages with their buttons and poll options
numbered, the answers to button presses (toasts and alerts), and the files the bot sends, saved
to a folder so they can be opened."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.chat_driver import is_link, plain_text
from bot.emulator import SentMessage

_UNSAFE = re.compile(r"[^\w.\-]+", re.UNICODE)


@dataclass(frozen=True)
class Action:
    """What typing a number does: press a button, or answer a poll with one option."""

    message: SentMessage
    label: str
    data: str | None = None  # a button's callback data
    option: int | None = None  # a poll option


class FileShelf:
    """Saves each file the bot sends once, under its own name (numbered when a name repeats in
    one session; files of an earlier session are replaced)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._saved: dict[tuple[int, int], Path] = {}
        self._names: set[str] = set()

    def save(self, message: SentMessage) -> Path | None:
        data = message.document if message.document is not None else message.photo
        if data is None:
            return None
        key = (message.chat_id, message.message_id)
        if key in self._saved:
            return self._saved[key]
        name = self._free_name(self._name_of(message))
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / name
        path.write_bytes(data)
        self._saved[key] = path
        return path

    @staticmethod
    def _name_of(message: SentMessage) -> str:
        given = Path(message.filename or "").name
        safe = _UNSAFE.sub("-", given).strip("-.")
        if safe:
            return safe
        kind = "picture" if message.photo is not None else "file"
        suffix = ".png" if message.photo is not None and message.photo[:4] == b"\x89PNG" else ""
        return f"{kind}-{message.message_id}{suffix}"

    def _free_name(self, name: str) -> str:
        stem, dot, suffix = name.partition(".")
        candidate, number = name, 1
        while candidate in self._names:
            number += 1
            candidate = f"{stem}-{number}{dot}{suffix}"
        self._names.add(candidate)
        return candidate


def _size(data: bytes) -> str:
    return f"{len(data)} bytes"


def render(
    message: SentMessage, *, first_number: int | None, saved: Path | None = None
) -> tuple[list[str], list[Action]]:
    """The lines a person reads and the actions typed numbers stand for. Buttons and poll
    options are numbered from `first_number`; None shows them without numbers (a chat the
    person is not in cannot be acted on)."""
    body = plain_text(message).splitlines()
    if message.poll is not None:
        closed = " (closed)" if message.poll.get("is_closed") else ""
        body.append(f"[poll] {message.poll.get('question', '')}{closed}")
    if message.document is not None:
        body.append(f"[file: {saved or message.filename or 'document'}, {_size(message.document)}]")
    if message.photo is not None:
        body.append(f"[picture: {saved or 'not saved'}, {_size(message.photo)}]")
    lines = [("< " if i == 0 else "  ") + line for i, line in enumerate(body or [""])]
    actions: list[Action] = []

    def label(text: str, action: Action | None) -> str:
        if action is None or first_number is None:
            return f"[{text}]"
        actions.append(action)
        return f"[{first_number + len(actions) - 1}] {text}"

    if message.poll is not None:
        options = message.poll.get("options", [])
        open_poll = not message.poll.get("is_closed")
        cells = [
            label(text, Action(message, text, option=i) if open_poll else None)
            for i, text in enumerate(str(option.get("text", "")) for option in options)
        ]
        if cells:
            lines.append("  " + "   ".join(cells))
    for row in message.buttons():
        cells = []
        for text, data in row:
            if data is None or is_link(data):
                cells.append(f"[{text}: {data}]" if data else f"[{text}]")
            else:
                cells.append(label(text, Action(message, text, data=data)))
        lines.append("  " + "   ".join(cells))
    return lines, actions


def answer_lines(answer: dict[str, Any] | None) -> list[str]:
    """A callback answer as the person sees it: a toast, an alert box, or nothing."""
    if not answer or not answer.get("text"):
        return []
    kind = "alert" if answer.get("show_alert") else "toast"
    return [f"  [{kind}] {line}" for line in str(answer["text"]).splitlines()]
