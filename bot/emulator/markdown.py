"""Telegram's MarkdownV2 and legacy Markdown parse modes."""

from __future__ import annotations

from dataclasses import dataclass

from bot.emulator.entities import FormattedText, TextBuilder, byte_offset
from bot.emulator.errors import ApiError, entity_error

_RESERVED = set("_*[]()~`>#+-=|{}.!")
_NAMES = {
    "bold": "Bold",
    "italic": "Italic",
    "underline": "Underline",
    "strikethrough": "Strikethrough",
    "spoiler": "Spoiler",
    "text_link": "TextUrl",
    "custom_emoji": "CustomEmoji",
    "code": "Code",
    "pre": "Pre",
}

_DOUBLE_DELIMITERS = {"underline": "__", "spoiler": "||"}


@dataclass
class _Open:
    kind: str
    start: int
    source_index: int
    language: str | None = None


class _MarkdownV2:
    def __init__(self, source: str) -> None:
        self.source = source
        self.i = 0
        self.out = TextBuilder()
        self.stack: list[_Open] = []
        self.quote: _Open | None = None

    def error(self, message: str) -> ApiError:
        return entity_error(message)

    def at_line_start(self) -> bool:
        return self.i == 0 or self.source[self.i - 1] == "\n"

    def parse(self) -> FormattedText:
        source = self.source
        while self.i < len(source):
            if self.at_line_start() and not self.in_code():
                self.line_start()
                if self.i >= len(source):
                    break
            char = source[self.i]
            if char == "\\" and self.i + 1 < len(source) and 0 < ord(source[self.i + 1]) <= 126:
                self.out.append(source[self.i + 1])
                self.i += 2
                continue
            if self.in_code():
                self.code_char(char)
                continue
            if char not in _RESERVED:
                self.out.append(char)
                self.i += 1
                continue
            if not self.close_entity(char):
                self.open_entity(char)
        if self.quote is not None:
            self.finish_quote()
        if self.stack:
            top = self.stack[-1]
            offset = byte_offset(source, top.source_index)
            raise self.error(f"Can't find end of {_NAMES[top.kind]} entity at byte offset {offset}")
        return self.out.build()

    def in_code(self) -> bool:
        return bool(self.stack) and self.stack[-1].kind in ("code", "pre")

    def line_start(self) -> None:
        source = self.source
        expandable = source.startswith("**>", self.i)
        if source.startswith(">", self.i) or expandable:
            if self.quote is None:
                kind = "expandable_blockquote" if expandable else "blockquote"
                self.quote = _Open(kind, self.out.position, self.i)
            self.i += 3 if expandable else 1
        elif self.quote is not None:
            self.finish_quote()

    def finish_quote(self) -> None:
        assert self.quote is not None
        # The line feed that ends the last quoted line is not part of the quotation.
        end = self.out.position - 1 if self.out.ends_with("\n") else None
        self.out.add_entity(self.quote.kind, self.quote.start, end=end)
        self.quote = None

    def code_char(self, char: str) -> None:
        top = self.stack[-1]
        closing = "```" if top.kind == "pre" else "`"
        if self.source.startswith(closing, self.i):
            self.stack.pop()
            self.out.add_entity(top.kind, top.start, language=top.language)
            self.i += len(closing)
            return
        self.out.append(char)
        self.i += 1

    def close_entity(self, char: str) -> bool:
        if not self.stack:
            return self.close_quote_marker(char)
        top = self.stack[-1]
        source, i = self.source, self.i
        width = 0
        # "___" closes italic first: `___a___` is italic inside underline.
        italic_end = char == "_" and (not source.startswith("__", i) or source.startswith("___", i))
        single = {"bold": char == "*", "italic": italic_end, "strikethrough": char == "~"}
        double = _DOUBLE_DELIMITERS.get(top.kind)
        if single.get(top.kind):
            width = 1
        elif double is not None and source.startswith(double, i):
            width = 2
        elif top.kind in ("text_link", "custom_emoji") and char == "]":
            self.i += 1
            self.stack.pop()
            url = self.link_target()
            if top.kind == "custom_emoji":
                emoji_id = url.removeprefix("tg://emoji?id=")
                if not emoji_id.isdigit():
                    raise self.error("Custom emoji entity must contain a tg://emoji URL")
                self.out.add_entity("custom_emoji", top.start, custom_emoji_id=emoji_id)
            elif url:
                self.out.add_entity("text_link", top.start, url=url)
            return True
        if width == 0:
            return self.close_quote_marker(char)
        self.stack.pop()
        self.out.add_entity(top.kind, top.start)
        self.i += width
        return True

    def close_quote_marker(self, char: str) -> bool:
        """`||` at the end of an expandable quotation's last line closes it."""
        source, i = self.source, self.i
        if (
            self.quote is not None
            and self.quote.kind == "expandable_blockquote"
            and source.startswith("||", i)
            and (i + 2 == len(source) or source[i + 2] == "\n")
        ):
            self.finish_quote()
            self.i += 2
            return True
        return False

    def link_target(self) -> str:
        source = self.source
        if not source.startswith("(", self.i):
            return ""
        parts: list[str] = []
        position = self.i + 1
        while position < len(source) and source[position] != ")":
            if source[position] == "\\" and position + 1 < len(source):
                position += 1
            parts.append(source[position])
            position += 1
        if position >= len(source):
            raise self.error(
                f"Can't find end of a url at byte offset {byte_offset(source, self.i)}"
            )
        self.i = position + 1
        return "".join(parts)

    def open_entity(self, char: str) -> None:
        source, i = self.source, self.i
        kind, width = "", 1
        if char == "*":
            kind = "bold"
        elif char == "_":
            kind, width = ("underline", 2) if source.startswith("__", i) else ("italic", 1)
        elif char == "~":
            kind = "strikethrough"
        elif char == "|" and source.startswith("||", i):
            kind, width = "spoiler", 2
        elif char == "[":
            kind = "text_link"
        elif char == "!" and source.startswith("![", i):
            kind, width = "custom_emoji", 2
        elif char == "`":
            if source.startswith("```", i):
                self.open_pre()
                return
            kind = "code"
        if not kind:
            raise self.error(
                f"Character '{char}' is reserved and must be escaped with the preceding '\\'"
            )
        if any(item.kind == kind for item in self.stack):
            offset = byte_offset(source, i)
            raise self.error(f"Can't find end of {_NAMES[kind]} entity at byte offset {offset}")
        self.stack.append(_Open(kind, self.out.position, i))
        self.i += width

    def open_pre(self) -> None:
        source, start = self.source, self.i
        position = start + 3
        newline = source.find("\n", position)
        language = None
        if newline >= 0:
            header = source[position:newline]
            if header and not any(c in header for c in " `"):
                language = header
                position = newline + 1
        self.stack.append(_Open("pre", self.out.position, start, language))
        self.i = position


def parse_markdown_v2(source: str) -> FormattedText:
    """Plain text and entities of a MarkdownV2 text, or a 400 `can't parse entities`."""
    return _MarkdownV2(source).parse()


_LEGACY = {"*": "bold", "_": "italic", "`": "code"}


def parse_markdown(source: str) -> FormattedText:
    """Plain text and entities of a legacy Markdown text (no nesting, few escapes)."""
    out = TextBuilder()
    i = 0
    while i < len(source):
        char = source[i]
        if char == "\\" and i + 1 < len(source) and source[i + 1] in "_*`[":
            out.append(source[i + 1])
            i += 2
            continue
        if char not in "_*`[":
            out.append(char)
            i += 1
            continue
        begin = i
        if source.startswith("```", i):
            end = source.find("```", i + 3)
            if end < 0:
                raise _unclosed(source, begin)
            body = source[i + 3 : end]
            language = None
            first, newline, rest = body.partition("\n")
            if newline and first and " " not in first:
                language, body = first, rest
            start = out.position
            out.append(body)
            out.add_entity("pre", start, language=language)
            i = end + 3
            continue
        if char == "[":
            end = source.find("]", i + 1)
            if end < 0:
                raise _unclosed(source, begin)
            start = out.position
            out.append(source[i + 1 : end])
            i = end + 1
            if source.startswith("(", i):
                close = source.find(")", i)
                if close < 0:
                    raise _unclosed(source, begin)
                url = source[i + 1 : close]
                if url:
                    out.add_entity("text_link", start, url=url)
                i = close + 1
            continue
        end = source.find(char, i + 1)
        if end < 0:
            raise _unclosed(source, begin)
        start = out.position
        out.append(source[i + 1 : end])
        out.add_entity(_LEGACY[char], start)
        i = end + 1
    return out.build()


def _unclosed(source: str, index: int) -> ApiError:
    offset = byte_offset(source, index)
    return entity_error(f"Can't find end of the entity starting at byte offset {offset}")
