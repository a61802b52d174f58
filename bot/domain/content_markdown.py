"""The Markdown subset explainers are written in, parsed into sections and blocks.

Supported: `## ` section headings; paragraphs (lines joined by spaces); `- ` bullet lists;
`1. ` numbered lists; inline `**bold**`, `*italic*`, `[text](https://…)` and
`[text](doc:<id>)`; a backslash before one of `* [ ] ( ) \\ _ # - .` writes that character
as is (`\\- ` starts a paragraph with a dash, `1\\. ` one with a number).
Anything else that looks like markup (other heading levels, `* ` bullets, code fences,
quotes, tables, raw HTML) is reported, so an author learns the text would not show as meant.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.domain.content_links import DOC_SCHEME
from bot.domain.content_model import ID_PATTERN

ESCAPABLE = frozenset("*[]()\\_#`-.")
_LINK = re.compile(r"\[((?:\\.|[^\]\\\n])*)\]\(([^()\s]*)\)")
_HEADING = re.compile(r"^(#{1,6})(?:\s+(.*?))?\s*$")
_BULLET = re.compile(r"^- +(.*)$")
_NUMBER = re.compile(r"^(\d{1,3})\. +(.*)$")
_OTHER_BULLET = re.compile(r"^[*+] +\S")
_RAW_HTML = re.compile(r"</?[A-Za-z][A-Za-z0-9]*(?:\s[^<>]*)?/?>")
_WEB_SCHEMES = ("https://", "http://", "mailto:", "tg://")


@dataclass(frozen=True)
class Inline:
    """A run of inline content: plain text, or bold / italic / link around children."""

    kind: str  # "text" | "b" | "i" | "a"
    text: str = ""
    href: str = ""
    children: tuple[Inline, ...] = ()

    @property
    def plain(self) -> str:
        return self.text if self.kind == "text" else "".join(c.plain for c in self.children)


@dataclass(frozen=True)
class Block:
    """A paragraph or a list. A paragraph has one item; lists have one per entry."""

    kind: str  # "paragraph" | "bullets" | "numbers"
    items: tuple[tuple[Inline, ...], ...]
    markers: tuple[str, ...]
    line: int


@dataclass(frozen=True)
class DocLink:
    """A `doc:` link found in the body, kept to check that its target exists."""

    target: str
    line: int


@dataclass
class ParsedSection:
    """A section as written: heading (None for text before the first heading) and blocks."""

    title: str | None
    line: int
    blocks: list[Block] = field(default_factory=list)


@dataclass
class ParsedBody:
    sections: list[ParsedSection]
    doc_links: list[DocLink]
    problems: list[tuple[int, str]]  # (line, message)


def plain_text(nodes: tuple[Inline, ...]) -> str:
    return "".join(node.plain for node in nodes)


# --- inline -------------------------------------------------------------------------


@dataclass
class _Frame:
    kind: str
    opened_at: int
    children: list[Inline] = field(default_factory=list)


def _marker(kind: str) -> str:
    return "**" if kind == "b" else "*"


class _InlineParser:
    def __init__(self, text: str, *, allow_links: bool, base: int) -> None:
        self.text = text
        self.allow_links = allow_links
        self.base = base
        self.root: list[Inline] = []
        self.stack: list[_Frame] = []
        self.buffer: list[str] = []
        self.errors: list[tuple[int, str]] = []
        self.links: list[tuple[int, str]] = []  # (offset of '[', href)

    def current(self) -> list[Inline]:
        return self.stack[-1].children if self.stack else self.root

    def flush(self) -> None:
        if self.buffer:
            self.current().append(Inline("text", "".join(self.buffer)))
            self.buffer.clear()

    def parse(self) -> tuple[Inline, ...]:
        text, i = self.text, 0
        while i < len(text):
            char = text[i]
            if char == "\\" and i + 1 < len(text) and text[i + 1] in ESCAPABLE:
                self.buffer.append(text[i + 1])
                i += 2
            elif char == "[" and (match := _LINK.match(text, i)) is not None:
                i = self._link(match) if self.allow_links else self._nested_link(match)
            elif char == "*":
                i = self._stars(i)
            else:
                self.buffer.append(char)
                i += 1
        self.flush()
        while self.stack:
            frame = self.stack.pop()
            self.errors.append(
                (self.base + frame.opened_at, f"'{_marker(frame.kind)}' is never closed")
            )
            self.current().extend([Inline("text", _marker(frame.kind)), *frame.children])
        return _merge_text(self.root)

    def _link(self, match: re.Match[str]) -> int:
        self.flush()
        label, href = match.group(1), match.group(2)
        inner = _InlineParser(label, allow_links=False, base=self.base + match.start(1))
        children = inner.parse()
        self.errors.extend(inner.errors)
        if not plain_text(children).strip():
            self.errors.append((self.base + match.start(), "a link needs some text in [ ]"))
        self.current().append(Inline("a", href=href, children=children))
        self.links.append((self.base + match.start(), href))
        return match.end()

    def _nested_link(self, match: re.Match[str]) -> int:
        self.errors.append((self.base + match.start(), "a link cannot sit inside another link"))
        self.buffer.append(match.group(0))
        return match.end()

    def _stars(self, start: int) -> int:
        text = self.text
        end = start
        while end < len(text) and text[end] == "*":
            end += 1
        run = end - start
        before = text[start - 1] if start > 0 else " "
        after = text[end] if end < len(text) else " "
        if run > 3:
            self.errors.append(
                (self.base + start, f"{run} '*' in a row: use ** for bold, * for italic")
            )
            self.buffer.append(text[start:end])
            return end
        kinds = {1: ["i"], 2: ["b"], 3: ["b", "i"]}[run]
        open_kinds = [frame.kind for frame in self.stack]
        if not before.isspace() and all(kind in open_kinds for kind in kinds):
            self._close(set(kinds), start)
        elif not after.isspace() and not any(kind in open_kinds for kind in kinds):
            self.flush()
            for kind in kinds:
                self.stack.append(_Frame(kind, start))
        else:
            self.buffer.append(text[start:end])
        return end

    def _close(self, kinds: set[str], at: int) -> None:
        self.flush()
        while kinds:
            frame = self.stack.pop()
            if frame.kind not in kinds:
                self.errors.append(
                    (self.base + at, "bold and italic overlap: close the inner one first")
                )
            kinds.discard(frame.kind)
            if not frame.children:
                self.errors.append((self.base + frame.opened_at, f"empty '{_marker(frame.kind)}'"))
                continue
            self.current().append(Inline(frame.kind, children=_merge_text(frame.children)))


def _merge_text(nodes: list[Inline]) -> tuple[Inline, ...]:
    merged: list[Inline] = []
    for node in nodes:
        if node.kind == "text" and not node.text:
            continue
        if node.kind == "text" and merged and merged[-1].kind == "text":
            merged[-1] = Inline("text", merged[-1].text + node.text)
        else:
            merged.append(node)
    return tuple(merged)


def parse_inline(
    text: str,
) -> tuple[tuple[Inline, ...], list[tuple[int, str]], list[tuple[int, str]]]:
    """Inline nodes of `text`, the problems found as (character offset, message), and the
    links as (character offset, href)."""
    parser = _InlineParser(text, allow_links=True, base=0)
    nodes = parser.parse()
    return nodes, parser.errors, parser.links


def link_problem(href: str) -> str | None:
    """Why a link target is not allowed, or None when it is fine."""
    if href.startswith(DOC_SCHEME):
        target = href[len(DOC_SCHEME) :]
        if not ID_PATTERN.match(target):
            return f"'{href}' does not name an explainer id (doc:<id>)"
        return None
    if not href.startswith(_WEB_SCHEMES) or len(href) <= len("https://"):
        return f"link target '{href}' must start with https://, http://, mailto:, tg:// or doc:"
    if len(href) > 1024:
        return "link target is longer than 1024 characters"
    return None


# --- blocks -------------------------------------------------------------------------


@dataclass
class _Item:
    parts: list[tuple[str, int]] = field(default_factory=list)  # (text, line)


@dataclass
class _OpenBlock:
    kind: str
    line: int
    markers: list[str] = field(default_factory=list)
    items: list[_Item] = field(default_factory=list)


class _BodyParser:
    def __init__(self, body: str, first_line: int) -> None:
        self.body = body
        self.first_line = first_line
        self.sections: list[ParsedSection] = []
        self.doc_links: list[DocLink] = []
        self.problems: list[tuple[int, str]] = []
        self.block: _OpenBlock | None = None

    def section(self, line: int) -> ParsedSection:
        if not self.sections:
            self.sections.append(ParsedSection(None, line))
        return self.sections[-1]

    def parse(self) -> ParsedBody:
        in_fence = False
        for number, raw in enumerate(self.body.split("\n"), start=self.first_line):
            stripped = raw.strip()
            if stripped.startswith("```"):
                if not in_fence:
                    self.problems.append((number, "code blocks are not supported"))
                in_fence = not in_fence
                self.end_block()
                continue
            if in_fence:
                continue
            if not stripped:
                self.end_block()
                continue
            self.line(raw, stripped, number)
        self.end_block()
        return ParsedBody(self.sections, self.doc_links, self.problems)

    def line(self, raw: str, stripped: str, number: int) -> None:
        heading = _HEADING.match(stripped)
        if heading:
            self.end_block()
            level, title = len(heading.group(1)), (heading.group(2) or "").strip()
            if level != 2:
                self.problems.append(
                    (number, f"only '## ' headings are supported (found '{heading.group(1)} ')")
                )
                return
            nodes, errors, links = parse_inline(title)
            for _, message in errors:
                self.problems.append((number, message))
            if links:
                self.problems.append((number, "a heading cannot hold a link"))
            text = plain_text(nodes).strip()
            if not text:
                self.problems.append((number, "a '## ' heading needs a title"))
            self.sections.append(ParsedSection(text, number))
            return
        self.check_markup(stripped, number)
        bullet, numbered = _BULLET.match(stripped), _NUMBER.match(stripped)
        indented = raw[:1].isspace()
        if bullet and not indented:
            self.list_item("bullets", "• ", bullet.group(1), number)
        elif numbered and not indented:
            self.list_item("numbers", f"{numbered.group(1)}. ", numbered.group(2), number)
        elif self.block is not None:
            self.block.items[-1].parts.append((stripped, number))
        else:
            self.block = _OpenBlock("paragraph", number, [""], [_Item([(stripped, number)])])

    def check_markup(self, stripped: str, number: int) -> None:
        if _OTHER_BULLET.match(stripped):
            self.problems.append((number, "write bullet lists with '- ', not '* ' or '+ '"))
        elif stripped.startswith(">"):
            self.problems.append((number, "quotes ('>') are not supported"))
        elif stripped.startswith("|") and stripped.endswith("|"):
            self.problems.append((number, "tables are not supported"))
        if _RAW_HTML.search(stripped):
            self.problems.append((number, "raw HTML would show as text: use Markdown"))

    def list_item(self, kind: str, marker: str, text: str, number: int) -> None:
        if self.block is None or self.block.kind != kind:
            self.end_block()
            self.block = _OpenBlock(kind, number)
        self.block.markers.append(marker)
        self.block.items.append(_Item([(text.strip(), number)]))

    def end_block(self) -> None:
        block, self.block = self.block, None
        if block is None:
            return
        items: list[tuple[Inline, ...]] = []
        for item in block.items:
            joined, starts = _join_parts(item.parts)
            nodes, errors, links = parse_inline(joined)
            for offset, message in errors:
                self.problems.append((_line_at(starts, offset), message))
            for offset, href in links:
                self._check_link(href, _line_at(starts, offset))
            items.append(nodes)
        self.section(block.line).blocks.append(
            Block(block.kind, tuple(items), tuple(block.markers), block.line)
        )

    def _check_link(self, href: str, line: int) -> None:
        problem = link_problem(href)
        if problem:
            self.problems.append((line, problem))
        elif href.startswith(DOC_SCHEME):
            self.doc_links.append(DocLink(href[len(DOC_SCHEME) :], line))


def _join_parts(parts: list[tuple[str, int]]) -> tuple[str, list[tuple[int, int]]]:
    pieces: list[str] = []
    starts: list[tuple[int, int]] = []
    offset = 0
    for text, line in parts:
        starts.append((offset, line))
        pieces.append(text)
        offset += len(text) + 1
    return " ".join(pieces), starts


def _line_at(starts: list[tuple[int, int]], offset: int) -> int:
    line = starts[0][1]
    for start, number in starts:
        if start <= offset:
            line = number
    return line


def parse_body(body: str, first_line: int) -> ParsedBody:
    """Sections, blocks and `doc:` links of a Markdown body whose first line is
    `first_line` in its file, with problems as (line, message)."""
    return _BodyParser(body, first_line).parse()
