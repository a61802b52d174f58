"""Telegram's HTML parse mode: the allowed tags and entities, and its error messages."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.emulator.entities import FormattedText, TextBuilder, byte_offset
from bot.emulator.errors import ApiError, entity_error

_SIMPLE_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "code": "code",
    "pre": "pre",
}
_TAGS = {*_SIMPLE_TAGS, "a", "span", "tg-emoji", "tg-time", "blockquote"}
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_ENTITY = re.compile(r"&(?:#(\d{1,7})|#[xX]([0-9a-fA-F]{1,6})|([a-zA-Z]+));")
_ATTRIBUTE_NAME = re.compile(r"[A-Za-z0-9_-]+")
_SPACES = " \t\r\n"


@dataclass
class _OpenTag:
    name: str
    start: int
    source_index: int
    attributes: dict[str, str] = field(default_factory=dict)
    language: str | None = None


class _HtmlParser:
    def __init__(self, source: str) -> None:
        self.source = source
        self.index = 0
        self.out = TextBuilder()
        self.stack: list[_OpenTag] = []

    def error(self, message: str, index: int | None = None) -> ApiError:
        if index is not None:
            message = f"{message} at byte offset {byte_offset(self.source, index)}"
        return entity_error(message)

    def decode_entity(self, index: int) -> tuple[str, int]:
        """The character an HTML entity at `index` stands for, and its length."""
        match = _ENTITY.match(self.source, index)
        if match is None:
            raise self.error('Character "&" must be written as "&amp;"', index)
        decimal, hexadecimal, name = match.groups()
        if name is not None:
            if name not in _NAMED:
                raise self.error(f'Unsupported HTML entity "&{name};"', index)
            return _NAMED[name], match.end() - index
        code = int(decimal) if decimal is not None else int(hexadecimal, 16)
        if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
            raise self.error("Invalid numeric HTML entity", index)
        return chr(code), match.end() - index

    def decode_value(self, raw: str, index: int) -> str:
        parts: list[str] = []
        position = 0
        while position < len(raw):
            if raw[position] == "&":
                char, length = self.decode_entity(index + position)
                parts.append(char)
                position += length
            else:
                parts.append(raw[position])
                position += 1
        return "".join(parts)

    def parse(self) -> FormattedText:
        source = self.source
        while self.index < len(source):
            char = source[self.index]
            if char == "&":
                decoded, length = self.decode_entity(self.index)
                self.out.append(decoded)
                self.index += length
            elif char != "<":
                end = self.index + 1
                while end < len(source) and source[end] not in "<&":
                    end += 1
                self.out.append(source[self.index : end])
                self.index = end
            elif source.startswith("</", self.index):
                self.end_tag()
            else:
                self.start_tag()
        if self.stack:
            raise self.error(
                f'Can\'t find end tag corresponding to start tag "{self.stack[-1].name}"'
            )
        return self.out.build()

    def start_tag(self) -> None:
        source, begin = self.source, self.index
        position = begin + 1
        while position < len(source) and source[position] not in _SPACES + ">":
            position += 1
        if position >= len(source):
            raise self.error("Unclosed start tag", begin)
        name = source[begin + 1 : position].lower()
        if name not in _TAGS:
            raise self.error(f'Unsupported start tag "{name}"', begin)
        attributes: dict[str, str] = {}
        while True:
            while position < len(source) and source[position] in _SPACES:
                position += 1
            if position >= len(source):
                raise self.error("Unclosed start tag", begin)
            if source[position] == ">":
                position += 1
                break
            match = _ATTRIBUTE_NAME.match(source, position)
            if match is None:
                raise self.error(f'Empty attribute name in the tag "{name}"', position)
            attribute = match.group().lower()
            position = match.end()
            while position < len(source) and source[position] in _SPACES:
                position += 1
            if position >= len(source) or source[position] != "=":
                attributes[attribute] = ""
                continue
            position += 1
            while position < len(source) and source[position] in _SPACES:
                position += 1
            if position >= len(source):
                raise self.error("Unclosed start tag", begin)
            quote = source[position]
            if quote in "\"'":
                close = source.find(quote, position + 1)
                if close < 0:
                    raise self.error(f'Unclosed attribute value in the tag "{name}"', position)
                value = self.decode_value(source[position + 1 : close], position + 1)
                position = close + 1
            else:
                stop = position
                while stop < len(source) and source[stop] not in _SPACES + ">":
                    stop += 1
                value = self.decode_value(source[position:stop], position)
                position = stop
            attributes[attribute] = value
        self.check_attributes(name, attributes, begin)
        self.stack.append(_OpenTag(name, self.out.position, begin, attributes))
        self.index = position

    def check_attributes(self, name: str, attributes: dict[str, str], index: int) -> None:
        if name == "span" and attributes.get("class") != "tg-spoiler":
            raise self.error('Tag "span" must have class "tg-spoiler"', index)
        if name == "tg-emoji" and not attributes.get("emoji-id", "").isdigit():
            raise self.error('Tag "tg-emoji" must have a numeric attribute "emoji-id"', index)
        if name == "tg-time" and not re.fullmatch(r"-?\d+", attributes.get("unix", "")):
            raise self.error('Tag "tg-time" must have an integer attribute "unix"', index)

    def end_tag(self) -> None:
        source, begin = self.source, self.index
        close = source.find(">", begin)
        if close < 0:
            raise self.error("Unclosed end tag", begin)
        name = source[begin + 2 : close].strip(_SPACES).lower()
        if not self.stack:
            raise self.error("Unexpected end tag", begin)
        tag = self.stack.pop()
        if name != tag.name:
            offset = byte_offset(source, begin)
            raise self.error(
                f"Unmatched end tag at byte offset {offset}, "
                f'expected "</{tag.name}>", found "</{name}>"'
            )
        self.close(tag)
        self.index = close + 1

    def close(self, tag: _OpenTag) -> None:
        out, attributes = self.out, tag.attributes
        parent = self.stack[-1] if self.stack else None
        if tag.name == "code" and parent is not None and parent.name == "pre":
            # <pre><code class="language-x"> gives the pre block its language.
            css = attributes.get("class", "")
            if css.startswith("language-") and parent.start == tag.start:
                parent.language = css[len("language-") :]
            return
        if tag.name in _SIMPLE_TAGS:
            language = tag.language if tag.name == "pre" else None
            out.add_entity(_SIMPLE_TAGS[tag.name], tag.start, language=language)
        elif tag.name == "span":
            out.add_entity("spoiler", tag.start)
        elif tag.name == "a":
            href = attributes.get("href", "")
            if href:
                out.add_entity("text_link", tag.start, url=href)
        elif tag.name == "tg-emoji":
            out.add_entity("custom_emoji", tag.start, custom_emoji_id=attributes["emoji-id"])
        elif tag.name == "tg-time":
            out.add_entity(
                "date_time",
                tag.start,
                unix_time=int(attributes["unix"]),
                date_time_format=attributes.get("format") or None,
            )
        elif tag.name == "blockquote":
            kind = "expandable_blockquote" if "expandable" in attributes else "blockquote"
            out.add_entity(kind, tag.start)


def parse_html(source: str) -> FormattedText:
    """Plain text and entities of an HTML-formatted text, or a 400 `can't parse entities`."""
    return _HtmlParser(source).parse()
