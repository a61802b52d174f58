"""The explainer catalogue's data: fixed keys, and the frozen records the loader builds."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from bot.domain.content_links import fill_bot_username

LANGUAGES: tuple[str, ...] = ("vi", "en")
BASE_LANGUAGE = "vi"
CATEGORIES: tuple[str, ...] = ("chi-thi", "van-ban", "tieu-chuan", "chu-de")
STATUSES: tuple[str, ...] = ("in_force", "replaced", "amended")
# Explainers every learner may ask for in English; all others may stay Vietnamese only.
REQUIRED_IN_ENGLISH: tuple[str, ...] = ("chi-thi-07", "tt-124-2021")

# Ids end up in deep links (`?start=doc-<id>`): Telegram allows 64 characters of
# A-Z a-z 0-9 _ - in a start parameter, and "doc-" takes four of them.
ID_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
ID_MAX_LENGTH = 60

CATEGORY_LABELS: dict[str, dict[str, str]] = {
    "vi": {
        "chi-thi": "Chỉ thị 07/CT-BCA-V28",
        "van-ban": "Văn bản được Chỉ thị viện dẫn",
        "tieu-chuan": "Tiêu chuẩn “An toàn về an ninh, trật tự”",
        "chu-de": "Chủ đề cảnh giác",
    },
    "en": {
        "chi-thi": "Directive 07/CT-BCA-V28",
        "van-ban": "Documents the Directive cites",
        "tieu-chuan": "The “Safe in security and order” standard",
        "chu-de": "Vigilance topics",
    },
}


@dataclass(frozen=True, order=True)
class Problem:
    """Something wrong in a content file, at a 1-based line (0 when it is about the file)."""

    path: Path
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


@dataclass(frozen=True)
class Section:
    """One `##` part of an explainer, ready to send.

    `messages` are Telegram HTML chunks (parse_mode HTML), each at most 4096 characters
    both as sent and after entity parsing. Links to other explainers inside them carry the
    placeholder of `content_links`; send `messages_for(bot_username)` instead of `messages`
    when the section links elsewhere (`related` is not empty)."""

    index: int
    title: str
    messages: tuple[str, ...]
    text: str
    related: tuple[str, ...] = ()
    line: int = 0

    def messages_for(self, bot_username: str) -> tuple[str, ...]:
        """The messages with explainer links turned into deep links to this bot."""
        return tuple(fill_bot_username(message, bot_username) for message in self.messages)

    @property
    def word_count(self) -> int:
        return len(self.text.split())


@dataclass(frozen=True)
class Explainer:
    """One explainer in one language: its front matter and its rendered sections."""

    id: str
    lang: str
    path: Path
    document: str | None
    title: str
    issuer: str | None
    issued: date | None
    status: str
    replaced_by: str | None
    category: str
    tags: tuple[str, ...]
    summary: str
    sources: tuple[str, ...]
    min_read_seconds: int
    sections: tuple[Section, ...] = field(default=(), repr=False)

    @property
    def related(self) -> tuple[str, ...]:
        """Ids of the explainers this one links to, in order of first mention."""
        seen: dict[str, None] = {}
        for section in self.sections:
            seen.update(dict.fromkeys(section.related))
        return tuple(seen)

    def section(self, index: int) -> Section | None:
        return self.sections[index] if 0 <= index < len(self.sections) else None
