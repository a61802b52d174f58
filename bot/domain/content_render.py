"""From parsed Markdown to Telegram HTML.

A section is first flattened into *segments*: runs of plain text, each with the stack of
formatting tags around it (outermost first). The splitter cuts segments, and `to_html`
writes any run of them as balanced HTML, closing and reopening tags where the stack changes.
Only what Telegram's HTML mode knows is produced: `<b>`, `<i>`, `<a href="…">`, and the
entities `&amp;`, `&lt;`, `&gt;`, `&quot;`.
"""

from __future__ import annotations

from html import escape

from bot.domain.content_links import DOC_SCHEME, doc_link_href
from bot.domain.content_markdown import Block, Inline

Tags = tuple[str, ...]
Segment = tuple[str, Tags]

BOLD = "<b>"
ITALIC = "<i>"
PARAGRAPH_BREAK = "\n\n"
LINE_BREAK = "\n"


def closing(tag: str) -> str:
    """The closing tag of an opening tag such as `<a href="…">`."""
    name = tag[1:].split(" ", 1)[0].rstrip(">")
    return f"</{name}>"


def link_tag(href: str) -> str:
    target = doc_link_href(href[len(DOC_SCHEME) :]) if href.startswith(DOC_SCHEME) else href
    return f'<a href="{escape(target, quote=True)}">'


def inline_segments(nodes: tuple[Inline, ...], tags: Tags = ()) -> list[Segment]:
    segments: list[Segment] = []
    for node in nodes:
        if node.kind == "text":
            segments.append((node.text, tags))
        elif node.kind == "b":
            segments.extend(inline_segments(node.children, (*tags, BOLD)))
        elif node.kind == "i":
            segments.extend(inline_segments(node.children, (*tags, ITALIC)))
        else:
            segments.extend(inline_segments(node.children, (*tags, link_tag(node.href))))
    return segments


def block_segments(block: Block) -> list[Segment]:
    segments: list[Segment] = []
    for position, (marker, item) in enumerate(zip(block.markers, block.items, strict=True)):
        if position:
            segments.append((LINE_BREAK, ()))
        if marker:
            segments.append((marker, ()))
        segments.extend(inline_segments(item))
    return segments


def body_segments(blocks: list[Block]) -> list[Segment]:
    """The blocks as segments: a blank line between blocks, a line break between list
    entries."""
    segments: list[Segment] = []
    for block in blocks:
        if segments:
            segments.append((PARAGRAPH_BREAK, ()))
        segments.extend(block_segments(block))
    return segments


def section_segments(title: str, blocks: list[Block]) -> list[Segment]:
    """The whole section as segments: the title in bold, a blank line, the blocks."""
    return [(title, (BOLD,)), (PARAGRAPH_BREAK, ()), *body_segments(blocks)]


def plain(segments: list[Segment]) -> str:
    return "".join(text for text, _ in segments)


def to_html(segments: list[Segment]) -> str:
    """Balanced Telegram HTML for a run of segments."""
    out: list[str] = []
    stack: Tags = ()
    for text, tags in segments:
        if not text:
            continue
        common = _common_prefix(stack, tags)
        out.extend(closing(tag) for tag in reversed(stack[common:]))
        out.extend(tags[common:])
        out.append(escape(text, quote=False))
        stack = tags
    out.extend(closing(tag) for tag in reversed(stack))
    return "".join(out)


def _common_prefix(left: Tags, right: Tags) -> int:
    count = 0
    for a, b in zip(left, right, strict=False):
        if a != b:
            break
        count += 1
    return count
