"""Typo-tolerant search over explainers, with or without Vietnamese diacritics.

Every explainer gives the index a few short fields (title, document number with its spoken
variants, tags, summary) and two per section (title, text). Each field becomes a bag of
folded tokens (see `text.fold`). A query is folded the same way; each query token is
matched exactly, or, if it is not a known word, by edit distance against the vocabulary
(rapidfuzz) or cut into known words ("luadao" → "lua dao"). A field's score is the share of
the query's weight it covers, each token weighted by how rare it is (IDF), times the
field's weight; a field where the query's words are not side by side loses up to 40%.
Short fields are also indexed without spaces so "chithi48" finds "Chỉ thị 48-CT/TW" as a
whole. An explainer's score is its best field (its own or a section's) plus a tenth of the
best of the other kind. Everything but the query is computed once, at load.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise

import numpy as np
from rapidfuzz import fuzz, process

from bot.domain.content_model import Explainer
from bot.domain.document_names import document_variants
from bot.domain.text import fold_aligned, shorten, tokens

SNIPPET_WIDTH = 120
MIN_SCORE = 0.3
FIELD_WEIGHTS: dict[str, float] = {
    "title": 1.0,
    "document": 1.0,
    "tags": 0.9,
    "section_title": 0.85,
    "summary": 0.75,
    "section_text": 0.7,
}
_SHORT_FIELDS = frozenset({"title", "document", "tags", "section_title"})
_FUZZY_CUTOFF = 75.0
_FUZZY_DISCOUNT = 0.85
_COMPACT_CUTOFF = 88.0
_SCATTER_PENALTY = 0.4


@dataclass(frozen=True)
class SearchHit:
    """One explainer found. `section_index` is the section that matched best, or None
    when the explainer as a whole (title, number, tags, summary) matched better."""

    explainer: Explainer
    section_index: int | None
    score: float
    snippet: str


class SearchIndex:
    """The search index of one language's explainers.

    Fields are numbered in explainer order (an explainer's own fields, then its sections'
    fields in section order), so per-explainer maxima are `reduceat` slices; the inverted
    lists are numpy arrays, so a query costs a few vector operations per query word."""

    def __init__(self, explainers: Sequence[Explainer]) -> None:
        self._explainers = list(explainers)
        postings: dict[str, list[int]] = {}
        pairs: dict[str, list[int]] = {}
        compact: dict[str, list[int]] = {}
        owners: list[int] = []
        sections: list[int] = []
        weights: list[float] = []
        starts: list[int] = []
        self._folded: dict[tuple[int, int], str] = {}

        def add(number: int, section: int, kind: str, texts: list[str]) -> None:
            runs = [tokens(text) for text in texts]
            doc = len(owners)
            owners.append(number)
            sections.append(section)
            weights.append(FIELD_WEIGHTS[kind])
            for token in {token for run in runs for token in run}:
                postings.setdefault(token, []).append(doc)
            for pair in {f"{a} {b}" for run in runs for a, b in pairwise(run)}:
                pairs.setdefault(pair, []).append(doc)
            if kind in _SHORT_FIELDS:
                for key in {"".join(run) for run in runs}:
                    if len(key) >= 3:
                        compact.setdefault(key, []).append(doc)

        for number, explainer in enumerate(self._explainers):
            starts.append(len(owners))
            add(number, -1, "title", [explainer.title])
            if explainer.document:
                add(number, -1, "document", document_variants(explainer.document))
            add(number, -1, "tags", list(explainer.tags))
            add(number, -1, "summary", [explainer.summary])
            for section in explainer.sections:
                add(number, section.index, "section_title", [section.title])
                add(number, section.index, "section_text", [section.text])
                self._folded[(number, section.index)] = fold_aligned(section.text)

        self._size = len(owners)
        self._postings = {token: np.array(docs, dtype=np.int32) for token, docs in postings.items()}
        self._pairs = {pair: np.array(docs, dtype=np.int32) for pair, docs in pairs.items()}
        self._compact = {key: np.array(docs, dtype=np.int32) for key, docs in compact.items()}
        self._compact_keys = list(compact)
        self._weights = np.array(weights, dtype=np.float64)
        self._sections = np.array(sections, dtype=np.int32)
        self._is_own = self._sections < 0
        self._starts = np.array(starts, dtype=np.int64)
        self._ends = np.append(self._starts[1:], self._size)
        by_id = sorted(range(len(self._explainers)), key=lambda i: self._explainers[i].id)
        self._id_rank = np.empty(len(self._explainers), dtype=np.int64)
        self._id_rank[by_id] = np.arange(len(by_id))
        count = max(self._size, 1)
        self._idf = {token: math.log(1 + count / len(docs)) for token, docs in postings.items()}
        self._unknown_idf = math.log(1 + count)
        self._vocabulary = sorted(token for token in postings if token.isalpha())

    def __len__(self) -> int:
        return len(self._explainers)

    def search(self, query: str, limit: int = 5) -> list[SearchHit]:
        """The best `limit` explainers for `query`, best first."""
        typed = tokens(query)
        if not typed or limit <= 0 or not self._explainers:
            return []
        sequence = self._split_glued(typed)
        words = {token: self._candidates(token) for token in dict.fromkeys(sequence)}
        coverage = self._coverage(words)
        self._weigh_phrases(sequence, words, coverage)
        self._match_compact("".join(typed), coverage)
        phrase = [words[token][0][0] if words[token] else token for token in sequence]
        rare_first = sorted(
            {word for options in words.values() for word, _ in options},
            key=lambda word: -self._idf[word],
        )
        return [
            self._hit(number, section, score, phrase, rare_first)
            for number, section, score in self._rank(coverage, limit)
        ]

    def _split_glued(self, typed: list[str]) -> list[str]:
        out: list[str] = []
        for token in typed:
            if token in self._postings or not token.isalpha() or len(token) < 4:
                out.append(token)
            else:
                out.extend(self._segment(token) or [token])
        return out

    def _segment(self, token: str) -> list[str] | None:
        """`token` as known words, fewest pieces first, then the most common ones."""
        best: list[tuple[int, float, list[str]] | None] = [None] * (len(token) + 1)
        best[0] = (0, 0.0, [])
        for end in range(1, len(token) + 1):
            for start in range(max(0, end - 8), end):
                previous = best[start]
                piece = token[start:end]
                if previous is None or piece not in self._postings:
                    continue
                candidate = (
                    previous[0] + 1,
                    previous[1] - len(self._postings[piece]),
                    [*previous[2], piece],
                )
                current = best[end]
                if current is None or candidate[:2] < current[:2]:
                    best[end] = candidate
        found = best[len(token)]
        return found[2] if found is not None and found[0] >= 2 else None

    def _candidates(self, token: str) -> list[tuple[str, float]]:
        """Index words that stand for `token`, with how similar they are (0..1)."""
        if token in self._postings:
            return [(token, 1.0)]
        if not token.isalpha() or len(token) < 3:
            return []
        found = process.extract(
            token, self._vocabulary, scorer=fuzz.ratio, score_cutoff=_FUZZY_CUTOFF, limit=3
        )
        return [(word, _FUZZY_DISCOUNT * score / 100) for word, score, _ in found]

    def _coverage(self, words: dict[str, list[tuple[str, float]]]) -> np.ndarray:
        """Per field: the share of the query's weight it covers (0..1)."""
        coverage = np.zeros(self._size)
        total = 0.0
        for token, candidates in words.items():
            weight = self._idf.get(token) or max(
                (self._idf[word] for word, _ in candidates), default=self._unknown_idf
            )
            total += weight
            if len(candidates) == 1:
                word, similarity = candidates[0]
                coverage[self._postings[word]] += weight * similarity
            elif candidates:
                best = np.zeros(self._size)
                for word, similarity in candidates:
                    docs = self._postings[word]
                    best[docs] = np.maximum(best[docs], weight * similarity)
                coverage += best
        return coverage / total

    def _weigh_phrases(
        self,
        sequence: list[str],
        words: dict[str, list[tuple[str, float]]],
        coverage: np.ndarray,
    ) -> None:
        """Fields holding the query's words side by side keep their share; fields where
        they are scattered lose up to 40% of it."""
        pairs = list(pairwise(sequence))
        if not pairs:
            return
        together = np.zeros(self._size)
        for first, second in pairs:
            present = np.zeros(self._size, dtype=bool)
            for left, _ in words[first]:
                for right, _ in words[second]:
                    docs = self._pairs.get(f"{left} {right}")
                    if docs is not None:
                        present[docs] = True
            together += present
        coverage *= 1 - _SCATTER_PENALTY * (1 - together / len(pairs))

    def _match_compact(self, key: str, coverage: np.ndarray) -> None:
        """Short fields written without spaces: "chithi48" is "Chỉ thị 48" whole."""
        if len(key) < 4:
            return
        exact = self._compact.get(key)
        if exact is not None:
            coverage[exact] = 1.0
        for _, score, position in process.extract(
            key, self._compact_keys, scorer=fuzz.ratio, score_cutoff=_COMPACT_CUTOFF, limit=10
        ):
            docs = self._compact[self._compact_keys[position]]
            coverage[docs] = np.maximum(coverage[docs], _FUZZY_DISCOUNT * score / 100)

    def _rank(self, coverage: np.ndarray, limit: int) -> list[tuple[int, int | None, float]]:
        """The best explainers as (number, section or None, score 0..1)."""
        values = coverage * self._weights
        own = np.maximum.reduceat(np.where(self._is_own, values, 0.0), self._starts)
        part = np.maximum.reduceat(np.where(self._is_own, 0.0, values), self._starts)
        scores = 0.9 * np.maximum(own, part) + 0.1 * np.minimum(own, part)
        kept = np.flatnonzero(scores >= MIN_SCORE)
        order = kept[np.lexsort((self._id_rank[kept], -scores[kept]))][:limit]
        ranked: list[tuple[int, int | None, float]] = []
        for number in order.tolist():
            start, end = int(self._starts[number]), int(self._ends[number])
            own_values = np.where(self._is_own[start:end], values[start:end], -1.0)
            part_values = np.where(self._is_own[start:end], -1.0, values[start:end])
            best_own, best_part = int(np.argmax(own_values)), int(np.argmax(part_values))
            section: int | None = None
            if part_values[best_part] > 0 and (
                coverage[start + best_part] >= coverage[start + best_own]
            ):
                section = int(self._sections[start + best_part])
            ranked.append((number, section, float(scores[number])))
        return ranked

    def _hit(
        self,
        number: int,
        section: int | None,
        score: float,
        phrase: list[str],
        rare_first: list[str],
    ) -> SearchHit:
        explainer = self._explainers[number]
        snippet = ""
        if section is not None:
            snippet = self._snippet(number, section, phrase, rare_first)
        return SearchHit(
            explainer=explainer,
            section_index=section,
            score=round(score * 100, 1),
            snippet=snippet or shorten(explainer.summary, SNIPPET_WIDTH),
        )

    def _snippet(self, number: int, section: int, phrase: list[str], rare_first: list[str]) -> str:
        """The section's text around the query: the whole phrase if it occurs, else the
        rarest matched word; a line of at most SNIPPET_WIDTH characters."""
        folded = self._folded.get((number, section), "")
        text = self._explainers[number].sections[section].text
        patterns = [_phrase_pattern(tuple(phrase))] if len(phrase) > 1 else []
        patterns += [_phrase_pattern((word,)) for word in rare_first]
        for pattern in patterns:
            found = pattern.search(folded)
            if found is None:
                continue
            start = max(0, found.start() - 30)
            if start:
                space = text.rfind(" ", 0, start + 1)
                start = space + 1 if space >= 0 else start
            prefix = "…" if start else ""
            window = text[start : start + 2 * SNIPPET_WIDTH]
            return prefix + shorten(window, SNIPPET_WIDTH - len(prefix))
        return shorten(text[: 2 * SNIPPET_WIDTH], SNIPPET_WIDTH)


@lru_cache(maxsize=4096)
def _phrase_pattern(words: tuple[str, ...]) -> re.Pattern[str]:
    """A regex finding `words` in text folded by `fold_aligned`, where numbers keep their
    leading zeros and letters may touch digits ("v28")."""
    parts: list[str] = []
    for position, word in enumerate(words):
        if position:
            mixed = word.isdigit() != words[position - 1].isdigit()
            parts.append(r"[^a-z0-9]*" if mixed else r"[^a-z0-9]+")
        parts.append(f"0*{word}" if word.isdigit() else re.escape(word))
    first, last = words[0], words[-1]
    before = r"(?<![0-9])" if first.isdigit() else r"(?<![a-z])"
    after = r"(?![0-9])" if last.isdigit() else r"(?![a-z])"
    return re.compile(before + "".join(parts) + after)
