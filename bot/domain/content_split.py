"""Cut a section into messages that Telegram accepts.

Each chunk stays within the limit twice over: the visible text (after entity parsing) and
the raw HTML, both counted in UTF-16 code units as Telegram does, with explainer links
counted at the longest possible bot username. A chunk ends, in order of preference, at a
blank line, a line break, the end of a sentence, a space, or (only for a word longer than a
message) anywhere but before a combining mark. Tags open at a cut are closed at the end of
one chunk and opened again at the start of the next; text is never cut inside an entity
because escaping happens after the cut. Whitespace at the cut is dropped, nothing else.
"""

from __future__ import annotations

import unicodedata
from bisect import bisect_right

from bot.domain.content_links import BOT_USERNAME_PLACEHOLDER, MAX_BOT_USERNAME
from bot.domain.content_render import Segment, Tags, closing, to_html

MESSAGE_LIMIT = 4096
SENTENCE_ENDS = frozenset(".!?…;:")
_CLOSERS_AFTER_SENTENCE = frozenset("\"'”’)»")
_ESCAPED_LENGTH = {"&": 5, "<": 4, ">": 4}
_PLACEHOLDER_EXTRA = MAX_BOT_USERNAME - len(BOT_USERNAME_PLACEHOLDER)


class SplitError(ValueError):
    """A piece of text cannot fit in one message whatever the cut (a huge link target)."""


def _tag_cost(tag: str) -> int:
    return _units(tag) + tag.count(BOT_USERNAME_PLACEHOLDER) * _PLACEHOLDER_EXTRA


def _units(text: str) -> int:
    return len(text) + sum(1 for char in text if ord(char) > 0xFFFF)


def _char_cost(char: str) -> int:
    return _ESCAPED_LENGTH.get(char, 2 if ord(char) > 0xFFFF else 1)


class _Text:
    """The section's plain text with, for every character, the tags around it."""

    def __init__(self, segments: list[Segment]) -> None:
        self.segments = [(text, tags) for text, tags in segments if text]
        self.starts: list[int] = []
        offset = 0
        for text, _ in self.segments:
            self.starts.append(offset)
            offset += len(text)
        self.text = "".join(text for text, _ in self.segments)

    def tags_at(self, position: int) -> Tags:
        return self.segments[bisect_right(self.starts, position) - 1][1]

    def slice(self, start: int, end: int) -> list[Segment]:
        out: list[Segment] = []
        first = bisect_right(self.starts, start) - 1
        for index in range(first, len(self.segments)):
            seg_start = self.starts[index]
            if seg_start >= end:
                break
            text, tags = self.segments[index]
            piece = text[max(start - seg_start, 0) : end - seg_start]
            if piece:
                out.append((piece, tags))
        return out

    def longest_fit(self, start: int, limit: int) -> int:
        """The largest end such that text[start:end] fits, both visibly and as HTML."""
        visible = raw = closers = 0
        stack: Tags = ()
        end = start
        text = self.text
        index = bisect_right(self.starts, start) - 1
        next_start = self.starts[index + 1] if index + 1 < len(self.starts) else len(text)
        tags = self.segments[index][1]
        while end < len(text):
            if end == next_start:
                index += 1
                next_start = self.starts[index + 1] if index + 1 < len(self.starts) else len(text)
                tags = self.segments[index][1]
            if tags != stack:
                common = 0
                while common < min(len(stack), len(tags)) and stack[common] == tags[common]:
                    common += 1
                for tag in stack[common:]:
                    cost = len(closing(tag))
                    raw += cost
                    closers -= cost
                for tag in tags[common:]:
                    raw += _tag_cost(tag)
                    closers += len(closing(tag))
                stack = tags
            char = text[end]
            visible += 2 if ord(char) > 0xFFFF else 1
            raw += _char_cost(char)
            if visible > limit or raw + closers > limit:
                break
            end += 1
        return end


def _break_before(text: str, start: int, fit: int) -> int:
    """Where to end a chunk that starts at `start` and may run to `fit` (exclusive)."""
    if fit >= len(text):
        return len(text)
    for separator in ("\n\n", "\n"):
        found = text.rfind(separator, start + 1, fit + len(separator))
        if found > start:
            return found
    for position in range(fit, start, -1):
        if text[position].isspace() and _ends_sentence(text, start, position):
            return position
    for position in range(fit, start, -1):
        if text[position].isspace():
            return position
    position = fit
    while position > start + 1 and unicodedata.combining(text[position]):
        position -= 1
    return position


def _ends_sentence(text: str, start: int, position: int) -> bool:
    back = position - 1
    while back > start and text[back] in _CLOSERS_AFTER_SENTENCE:
        back -= 1
    return text[back] in SENTENCE_ENDS


def _fits(segments: list[Segment], limit: int) -> bool:
    html = to_html(segments)
    visible = sum(_units(text) for text, _ in segments)
    return visible <= limit and _units(html) + _placeholder_extra(html) <= limit


def _placeholder_extra(html: str) -> int:
    return html.count(BOT_USERNAME_PLACEHOLDER) * _PLACEHOLDER_EXTRA


def split_segments(segments: list[Segment], limit: int = MESSAGE_LIMIT) -> list[list[Segment]]:
    """The segments cut into chunks that each render within `limit`."""
    source = _Text(segments)
    text = source.text
    chunks: list[list[Segment]] = []
    start = 0
    while True:
        while start < len(text) and text[start].isspace():
            start += 1
        if start >= len(text):
            return chunks
        rest = source.slice(start, len(text.rstrip()))
        if _fits(rest, limit):  # the common case: all that is left fits in one message
            chunks.append(rest)
            return chunks
        fit = source.longest_fit(start, limit)
        if fit == start:
            raise SplitError(f"the text at {text[start : start + 20]!r} cannot fit in a message")
        end = _break_before(text, start, fit)
        trimmed = end
        while trimmed > start and text[trimmed - 1].isspace():
            trimmed -= 1
        chunks.append(source.slice(start, trimmed))
        start = end


def split_html(segments: list[Segment], limit: int = MESSAGE_LIMIT) -> tuple[str, ...]:
    """The segments as a tuple of Telegram HTML messages."""
    return tuple(to_html(chunk) for chunk in split_segments(segments, limit))
