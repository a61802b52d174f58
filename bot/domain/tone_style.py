"""One tone-mark style everywhere a learner reads Vietnamese: find and fix the other one.

The texts are the explainers (`content/<lang>/*.md`), the search word lists (`content/*.yaml`),
the quiz banks (`quizzes/*.yaml`) and the translations of the Vietnamese interface catalog
(only its `msgstr` lines: the English msgids are the lookup keys and stay as they are).
`text.classic_tones` does the converting; this module knows the files.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from bot.domain.text import classic_tones, modern_tone_words


@dataclass(frozen=True)
class ToneSpot:
    """A word written in the other style, at a 1-based line of a file."""

    path: Path
    line: int
    word: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: '{self.word}' → '{classic_tones(self.word)}'"


def _po_translation_lines(lines: list[str]) -> Iterator[int]:
    """Indexes of the lines that belong to a `msgstr` (its first line and continuations)."""
    inside = False
    for index, line in enumerate(lines):
        stripped = line.lstrip()
        if stripped.startswith("msgstr"):
            inside = True
        elif not stripped.startswith('"'):
            inside = False
        if inside:
            yield index


def _lines_to_check(path: Path, lines: list[str]) -> Iterator[int]:
    if path.suffix == ".po":
        yield from _po_translation_lines(lines)
    else:
        yield from range(len(lines))


def spots_in(path: Path, text: str) -> list[ToneSpot]:
    """Every word of `text` (the contents of `path`) written in the newer style."""
    lines = text.split("\n")
    return [
        ToneSpot(path, index + 1, word)
        for index in _lines_to_check(path, lines)
        for word in modern_tone_words(lines[index])
    ]


def fixed(path: Path, text: str) -> str:
    """`text` (the contents of `path`) converted to the classic style where it is read."""
    lines = text.split("\n")
    for index in _lines_to_check(path, lines):
        lines[index] = classic_tones(lines[index])
    return "\n".join(lines)


def tone_files(content_dir: Path, quizzes_dir: Path, catalog: Path) -> list[Path]:
    """The files whose Vietnamese must keep one style, in a stable order."""
    # The explainers of each language and the search word lists; not content/README.md,
    # which quotes the other style to describe it.
    found = sorted(content_dir.glob("*/*.md")) + sorted(content_dir.glob("*.yaml"))
    found += sorted(quizzes_dir.glob("*.yaml"))
    if catalog.is_file():
        found.append(catalog)
    return found
