"""Read one explainer file: front matter, body, rendered and split sections."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from bot.domain.content_frontmatter import FrontMatter, split_file
from bot.domain.content_links import DOC_SCHEME
from bot.domain.content_markdown import DocLink, Inline, ParsedSection, parse_body
from bot.domain.content_model import Explainer, Problem, Section
from bot.domain.content_render import body_segments, plain, section_segments
from bot.domain.content_schema import Meta, check_front_matter
from bot.domain.content_split import SplitError, split_html


@dataclass(frozen=True)
class ExplainerFile:
    """What reading one file gave: the explainer (None when the file is broken), the
    problems found in the file alone, and what later cross-file checks need."""

    path: Path
    lang: str
    explainer: Explainer | None
    problems: list[Problem]
    front: FrontMatter | None = None
    doc_links: list[DocLink] = field(default_factory=list)


def read_text(path: Path) -> str:
    """The file as NFC text with `\\n` line ends and no byte-order mark."""
    raw = path.read_bytes().decode("utf-8")
    text = raw.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    return unicodedata.normalize("NFC", text)


def read_explainer(path: Path, lang: str) -> ExplainerFile:
    """Parse, check and render the explainer at `path`, written in `lang`."""
    try:
        text = read_text(path)
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[: exc.start].count(b"\n") + 1
        return ExplainerFile(path, lang, None, [Problem(path, line, "not valid UTF-8 text")])
    except OSError as exc:
        return ExplainerFile(path, lang, None, [Problem(path, 0, f"cannot read: {exc.strerror}")])
    split = split_file(path, text)
    problems = list(split.problems)
    meta: Meta | None = None
    if split.front is not None:
        meta, found = check_front_matter(path, split.front)
        problems += found
    body = parse_body(split.body, split.body_line)
    problems += [Problem(path, line, message) for line, message in body.problems]
    title = meta.title if meta is not None else path.stem
    sections, found = _sections(path, title, body.sections, split.body_line)
    problems += found
    explainer = None
    if meta is not None and not problems:
        explainer = Explainer(
            id=meta.id,
            lang=lang,
            path=path,
            document=meta.document,
            title=meta.title,
            issuer=meta.issuer,
            issued=meta.issued,
            status=meta.status,
            replaced_by=meta.replaced_by,
            category=meta.category,
            tags=meta.tags,
            summary=meta.summary,
            sources=meta.sources,
            min_read_seconds=meta.min_read_seconds,
            sections=tuple(sections),
        )
    return ExplainerFile(path, lang, explainer, problems, split.front, body.doc_links)


def _sections(
    path: Path, title: str, parsed: list[ParsedSection], body_line: int
) -> tuple[list[Section], list[Problem]]:
    sections: list[Section] = []
    problems: list[Problem] = []
    if not parsed:
        problems.append(Problem(path, body_line, "the body has no text: add '## ' sections"))
    for part in parsed:
        heading = part.title if part.title is not None else title
        if not part.blocks:
            problems.append(Problem(path, part.line, f"section '{heading}' has no text"))
            continue
        segments = section_segments(heading, part.blocks)
        try:
            messages = split_html(segments)
        except SplitError as exc:
            problems.append(
                Problem(
                    path, part.line, f"section '{heading}' cannot be split into messages: {exc}"
                )
            )
            continue
        body_text = plain(body_segments(part.blocks))
        related = _doc_targets(
            [node for block in part.blocks for item in block.items for node in item]
        )
        sections.append(
            Section(
                index=len(sections),
                title=heading,
                messages=messages,
                text=body_text,
                related=tuple(dict.fromkeys(related)),
                line=part.line,
            )
        )
    return sections, problems


def _doc_targets(nodes: list[Inline]) -> list[str]:
    found: list[str] = []
    for node in nodes:
        if node.kind == "a" and node.href.startswith(DOC_SCHEME):
            found.append(node.href[len(DOC_SCHEME) :])
        found.extend(_doc_targets(list(node.children)))
    return found
