"""Message entities: UTF-16 offsets and a builder that parsers append text to."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def byte_offset(text: str, index: int) -> int:
    """Telegram reports parse errors at UTF-8 byte offsets of the source."""
    return len(text[:index].encode("utf-8"))


@dataclass
class FormattedText:
    text: str
    entities: list[dict[str, Any]] = field(default_factory=list)


class TextBuilder:
    """Accumulates output text and the UTF-16 position entities are measured in."""

    def __init__(self) -> None:
        self._parts: list[str] = []
        self.position = 0
        self.entities: list[dict[str, Any]] = []

    def append(self, text: str) -> None:
        self._parts.append(text)
        self.position += utf16_len(text)

    def ends_with(self, suffix: str) -> bool:
        return bool(self._parts) and "".join(self._parts[-len(suffix) :]).endswith(suffix)

    def add_entity(self, kind: str, start: int, *, end: int | None = None, **extra: Any) -> None:
        length = (self.position if end is None else end) - start
        if length <= 0:
            return
        entity: dict[str, Any] = {"type": kind, "offset": start, "length": length}
        entity.update({key: value for key, value in extra.items() if value is not None})
        self.entities.append(entity)

    def build(self) -> FormattedText:
        entities = sorted(self.entities, key=lambda e: (e["offset"], -e["length"]))
        return FormattedText("".join(self._parts), entities)
