"""Synonyms for the search: `content/synonyms.yaml`, groups of words meaning one thing.

    groups:
      - [lừa đảo, bị lừa, scam, fraud, phishing]
      - [cấp cứu, xe cấp cứu, ambulance]

Each group becomes one search term: an explainer that says "lừa đảo" is found for "scam",
and one that says "scam" for "lừa đảo", in either language. Entries are folded and stemmed
like everything the index holds, so they may be written with or without marks; a phrase may
have several words, and the longest phrase wins where two overlap. A phrase may belong to
one group only. `check_synonyms` reports problems with file and line, for `content check`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from bot.domain.content_model import Problem
from bot.domain.quiz_yaml import LineDict, LineList, error_line, error_message, load_with_lines
from bot.domain.search_words import stem
from bot.domain.text import tokens

SYNONYMS_FILE = "synonyms.yaml"
TERM_PREFIX = "~"  # group terms cannot collide with folded words: those are letters and digits


def phrase_of(text: str) -> tuple[str, ...]:
    """A phrase as the index sees it: folded, stemmed tokens."""
    return tuple(stem(token) for token in tokens(text))


class Synonyms:
    """Phrase (folded tokens) → the term of its group."""

    def __init__(self, phrases: dict[tuple[str, ...], str] | None = None) -> None:
        self.phrases: dict[tuple[str, ...], str] = dict(phrases or {})
        # Phrase lengths by first word, longest first: a text is scanned once, and at each
        # word only the lengths of phrases starting with it are tried.
        sizes: dict[str, set[int]] = {}
        for phrase in self.phrases:
            sizes.setdefault(phrase[0], set()).add(len(phrase))
        self._sizes = {word: sorted(found, reverse=True) for word, found in sizes.items()}

    def spans(self, words: Sequence[str]) -> list[tuple[int, int, str | None]]:
        """`words` cut into (start, end, group term or None), synonym phrases longest first."""
        out: list[tuple[int, int, str | None]] = []
        position = 0
        while position < len(words):
            for size in self._sizes.get(words[position], ()):
                term = self.phrases.get(tuple(words[position : position + size]))
                if term is not None:
                    out.append((position, position + size, term))
                    position += size
                    break
            else:
                out.append((position, position + 1, None))
                position += 1
        return out

    def rewrite(self, words: Sequence[str]) -> list[str]:
        """`words` with every synonym phrase (longest first) replaced by its group term."""
        if not any(word in self._sizes for word in words):
            return list(words)
        return [term if term is not None else words[start] for start, _, term in self.spans(words)]


@dataclass(frozen=True)
class SynonymFile:
    synonyms: Synonyms
    problems: list[Problem]


def read_synonyms(path: Path) -> SynonymFile:
    """Read and check a synonyms file; a missing file is an empty list, not a problem."""
    if not path.is_file():
        return SynonymFile(Synonyms(), [])
    try:
        data = load_with_lines(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        return SynonymFile(Synonyms(), [Problem(path, 1, "not valid UTF-8 text")])
    except yaml.YAMLError as exc:
        return SynonymFile(Synonyms(), [Problem(path, error_line(exc), error_message(exc))])
    groups = data.get("groups") if isinstance(data, LineDict) else None
    if not isinstance(groups, LineList):
        return SynonymFile(Synonyms(), [Problem(path, 1, "expected 'groups:' with a list")])
    problems: list[Problem] = []
    phrases: dict[tuple[str, ...], str] = {}
    first_line: dict[tuple[str, ...], int] = {}
    for number, group in enumerate(groups):
        line = groups.line_of(number)
        if not isinstance(group, list) or len(group) < 2:
            problems.append(Problem(path, line, "a group is a list of at least two phrases"))
            continue
        term = f"{TERM_PREFIX}{number}"
        for entry in group:
            phrase = phrase_of(entry) if isinstance(entry, str) else ()
            if not phrase:
                problems.append(Problem(path, line, f"{entry!r} is not a phrase"))
            elif phrase in phrases and phrases[phrase] != term:
                message = f"'{entry}' is already in the group of line {first_line[phrase]}"
                problems.append(Problem(path, line, message))
            else:
                phrases[phrase] = term
                first_line.setdefault(phrase, line)
    return SynonymFile(Synonyms(phrases), problems)


def load_synonyms(content_dir: Path) -> Synonyms:
    """The synonyms of a content folder (groups with problems are still used as read)."""
    return read_synonyms(content_dir / SYNONYMS_FILE).synonyms
