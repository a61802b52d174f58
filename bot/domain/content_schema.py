"""The front-matter schema of an explainer, checked field by field with line numbers."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from bot.domain.content_frontmatter import FrontMatter
from bot.domain.content_model import (
    CATEGORIES,
    ID_MAX_LENGTH,
    ID_PATTERN,
    STATUSES,
    Problem,
)

FIELDS: tuple[str, ...] = (
    "id",
    "document",
    "title",
    "issuer",
    "issued",
    "status",
    "replaced_by",
    "category",
    "tags",
    "summary",
    "sources",
    "min_read_seconds",
)
DOCUMENT_CATEGORIES = frozenset({"chi-thi", "van-ban", "tieu-chuan"})
SOURCE_PATTERN = re.compile(r"^(SEED|P[1-9][0-9]*)$")
DATE_PATTERN = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# An official number: digits, then "/" or "-" and a kind in letters: 07/CT-BCA-V28, 28-NQ/TW.
DOCUMENT_PATTERN = re.compile(r"^\d+[-/]\S*[^\W\d_]\S*$")
TITLE_MAX = 200
SUMMARY_MAX = 300


@dataclass(frozen=True)
class Meta:
    """Front matter that passed the schema, typed."""

    id: str
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


def looks_like_document_number(value: str) -> bool:
    return bool(DOCUMENT_PATTERN.match(value))


class _Checker:
    def __init__(self, path: Path, front: FrontMatter) -> None:
        self.path = path
        self.front = front
        self.data = front.data
        self.problems: list[Problem] = []

    def problem(self, key: str, message: str, item: int | None = None) -> None:
        self.problems.append(Problem(self.path, self.front.line_of(key, item), message))

    def text(self, key: str, *, nullable: bool = False, limit: int | None = None) -> str | None:
        value = self.data.get(key)
        if value is None and nullable:
            return None
        if not isinstance(value, str) or not value.strip():
            expected = "a text or null" if nullable else "a non-empty text"
            self.problem(key, f"'{key}' must be {expected}")
            return None
        value = value.strip()
        if "\n" in value:
            self.problem(key, f"'{key}' must fit on one line")
        if limit is not None and len(value) > limit:
            self.problem(key, f"'{key}' is {len(value)} characters long (at most {limit})")
        return value

    def text_list(self, key: str) -> tuple[str, ...]:
        value = self.data.get(key)
        if not isinstance(value, list) or not value:
            self.problem(key, f"'{key}' must be a non-empty list")
            return ()
        items: list[str] = []
        for position, item in enumerate(value):
            if not isinstance(item, str) or not item.strip():
                self.problem(key, f"every item of '{key}' must be a non-empty text", position)
            else:
                items.append(item.strip())
        return tuple(items)

    def check(self) -> Meta | None:
        for key in self.data:
            if key not in FIELDS:
                self.problem(key, f"unknown field '{key}' (known: {', '.join(FIELDS)})")
        missing = [key for key in FIELDS if key not in self.data]
        for key in missing:
            self.problems.append(Problem(self.path, self.front.end_line, f"missing field '{key}'"))
        explainer_id = self._id()
        category = self._choice("category", CATEGORIES)
        status = self._choice("status", STATUSES)
        document = self._document(category)
        title = self.text("title", limit=TITLE_MAX)
        issuer = self.text("issuer", nullable=True)
        if issuer is None and document is not None and "issuer" in self.data:
            self.problem("issuer", "an explainer of an official document must name its issuer")
        issued = self._date("issued")
        replaced_by = self.text("replaced_by", nullable=True)
        if status == "replaced" and replaced_by is None and "replaced_by" in self.data:
            self.problem(
                "replaced_by",
                "status is 'replaced': name the successor in "
                "'replaced_by' (an explainer id or a document number)",
            )
        tags = self.text_list("tags")
        summary = self.text("summary", limit=SUMMARY_MAX)
        sources = self.text_list("sources")
        for position, source in enumerate(sources):
            if not SOURCE_PATTERN.match(source):
                self.problem(
                    "sources", f"source tag '{source}' must be SEED or P<number>", position
                )
        seconds = self.data.get("min_read_seconds")
        if isinstance(seconds, bool) or not isinstance(seconds, int) or seconds <= 0:
            self.problem("min_read_seconds", "'min_read_seconds' must be a positive whole number")
        if (
            self.problems
            or explainer_id is None
            or title is None
            or summary is None
            or category is None
            or status is None
            or not isinstance(seconds, int)
        ):
            return None
        return Meta(
            explainer_id,
            document,
            title,
            issuer,
            issued,
            status,
            replaced_by,
            category,
            tags,
            summary,
            sources,
            seconds,
        )

    def _id(self) -> str | None:
        value = self.text("id")
        if value is None:
            return None
        if not ID_PATTERN.match(value) or len(value) > ID_MAX_LENGTH:
            self.problem(
                "id",
                f"id '{value}' must be lower-case letters, digits and single "
                f"hyphens, at most {ID_MAX_LENGTH} characters",
            )
        elif value != self.path.stem:
            self.problem("id", f"id '{value}' differs from the file name '{self.path.name}'")
        return value

    def _choice(self, key: str, allowed: tuple[str, ...]) -> str | None:
        value = self.data.get(key)
        if value not in allowed:
            if key in self.data:
                self.problem(key, f"'{key}' is {value!r}; expected one of {', '.join(allowed)}")
            return None
        return str(value)

    def _document(self, category: str | None) -> str | None:
        value = self.text("document", nullable=True)
        if value is not None and not looks_like_document_number(value):
            self.problem(
                "document",
                f"'{value}' does not look like an official number "
                "such as 07/CT-BCA-V28 or 28-NQ/TW",
            )
        if category in DOCUMENT_CATEGORIES and value is None and "document" in self.data:
            self.problem(
                "document", f"category '{category}' needs the official number in 'document'"
            )
        if category == "chu-de" and value is not None:
            self.problem("document", "a topic explainer (chu-de) has 'document: null'")
        return value

    def _date(self, key: str) -> date | None:
        value: Any = self.data.get(key)
        if value is None:
            return None
        if isinstance(value, str) and DATE_PATTERN.match(value.strip()):
            try:
                return date.fromisoformat(value.strip())
            except ValueError:
                pass
        self.problem(key, f"'{key}' must be a date YYYY-MM-DD or null (got {value!r})")
        return None


def check_front_matter(path: Path, front: FrontMatter) -> tuple[Meta | None, list[Problem]]:
    """The typed front matter, or None with the problems found."""
    checker = _Checker(path, front)
    meta = checker.check()
    return meta, checker.problems
