"""Typo-tolerant search over explainers, with or without Vietnamese diacritics.

Every explainer gives the index a few short fields (title, document number with its spoken
variants, tags, summary, and the three together) and up to three per section: its title,
its body (with the title), and its
cross-reference lines ("Xem thêm: …", "See also: …"), which weigh least so that an
explainer merely pointing elsewhere does not outrank one that explains. Each field becomes a
bag of folded tokens (see `text.fold`, with English plurals cut), and each synonym phrase
of `content/synonyms.yaml` in it also stands as its group's term.

A query becomes terms (`search_terms`): stop words weigh a fifth, unknown words are
corrected or cut, synonym phrases become their group. A field's score is the share of the
query's weight it covers, each term weighted by how rare it is (IDF), times the field's
weight; a field where the query's words are not side by side loses up to 40% (less for
long questions, whose word order rarely follows the text's). Short fields
are also indexed without spaces so "chithi48" finds "Chỉ thị 48-CT/TW" as a whole. An
explainer's score is its best field (its own or a section's) plus a tenth of the best of
the other kind. A query naming a document ("circular 23", "chỉ thị 07 có mấy nhiệm vụ")
keeps that document's explainers on top whatever else it asks. Everything but the query is
computed once, at load.
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
from bot.domain.search_terms import Term, Vocabulary, query_terms
from bot.domain.search_words import stem
from bot.domain.synonyms import TERM_PREFIX, Synonyms
from bot.domain.text import fold_aligned, shorten, tokens

__all__ = ["MIN_SCORE", "SNIPPET_WIDTH", "SearchHit", "SearchIndex", "document_variants"]

SNIPPET_WIDTH = 120
MIN_SCORE = 0.3
FIELD_WEIGHTS: dict[str, float] = {
    "title": 1.0,
    "document": 1.0,
    "tags": 0.9,
    "section_title": 0.85,
    "card": 0.8,
    "summary": 0.75,
    "section_text": 0.7,
    "section_refs": 0.3,
}
STOP_WEIGHT = 0.2
UNKNOWN_WEIGHT = 0.5
_SHORT_FIELDS = frozenset({"title", "document", "tags", "section_title"})
_COMPACT_CUTOFF = 88.0
_FUZZY_DISCOUNT = 0.85
_SCATTER_PENALTY = 0.4
# A query that names a document ("circular 23", "chỉ thị 07") is about that document, whatever
# else it asks ("… still in force?"): its number field covers at least this share.
NAMED_DOCUMENT = 0.85
_CROSS_REFERENCE = re.compile(r"^(xem them|see also|doc them|read more)\b")


@dataclass(frozen=True)
class SearchHit:
    """One explainer found. `section_index` is the section that matched best, or None
    when the explainer as a whole (title, number, tags, summary) matched better."""

    explainer: Explainer
    section_index: int | None
    score: float
    snippet: str


def _words(text: str) -> list[str]:
    return [stem(token) for token in tokens(text)]


def _split_references(text: str) -> tuple[str, str]:
    """A section's body without its cross-reference paragraphs, and those paragraphs."""
    body: list[str] = []
    references: list[str] = []
    for paragraph in text.split("\n\n"):
        folded = " ".join(tokens(paragraph[:24]))  # the opening words are enough
        (references if _CROSS_REFERENCE.match(folded) else body).append(paragraph)
    return "\n\n".join(body), "\n\n".join(references)


class SearchIndex:
    """The search index of one language's explainers.

    Fields are numbered in explainer order (an explainer's own fields, then its sections'
    fields in section order), so per-explainer maxima are `reduceat` slices; the inverted
    lists are numpy arrays, so a query costs a few vector operations per query term."""

    def __init__(self, explainers: Sequence[Explainer], synonyms: Synonyms | None = None) -> None:
        self._explainers = list(explainers)
        self._synonyms = synonyms or Synonyms()
        postings: dict[str, list[int]] = {}
        pairs: dict[str, list[int]] = {}
        compact: dict[str, list[int]] = {}
        owners: list[int] = []
        sections: list[int] = []
        weights: list[float] = []
        kinds: list[str] = []
        starts: list[int] = []
        self._folded: dict[tuple[int, int], str] = {}

        def add(number: int, section: int, kind: str, texts: list[str]) -> None:
            add_runs(number, section, kind, [_words(text) for text in texts if text])

        def add_runs(number: int, section: int, kind: str, runs: list[list[str]]) -> None:
            if not runs:
                return
            compact_runs = list(runs)
            for run in compact_runs:
                rewritten = self._synonyms.rewrite(run)
                if rewritten != run:
                    runs.append(rewritten)
            doc = len(owners)
            owners.append(number)
            sections.append(section)
            weights.append(FIELD_WEIGHTS[kind])
            kinds.append(kind)
            for token in {token for run in runs for token in run}:
                postings.setdefault(token, []).append(doc)
            for pair in {f"{a} {b}" for run in runs for a, b in pairwise(run)}:
                pairs.setdefault(pair, []).append(doc)
            if kind in _SHORT_FIELDS:
                for key in {"".join(run) for run in compact_runs}:
                    if len(key) >= 3:
                        compact.setdefault(key, []).append(doc)

        for number, explainer in enumerate(self._explainers):
            starts.append(len(owners))
            title = [_words(explainer.title)]
            tags = [_words(tag) for tag in explainer.tags]
            summary = [_words(explainer.summary)]
            add_runs(number, -1, "title", title)
            if explainer.document:
                add(number, -1, "document", document_variants(explainer.document))
            add_runs(number, -1, "tags", tags)
            add_runs(number, -1, "summary", summary)
            # A question's words may be spread over the title, the tags and the summary.
            add_runs(number, -1, "card", [*title, *tags, *summary])
            for section in explainer.sections:
                body, references = _split_references(section.text)
                heading = _words(section.title)
                add_runs(number, section.index, "section_title", [heading])
                add_runs(number, section.index, "section_text", [heading, _words(body)])
                add(number, section.index, "section_refs", [references])
                self._folded[(number, section.index)] = fold_aligned(section.text)

        self._size = len(owners)
        self._postings = {token: np.array(docs, dtype=np.int32) for token, docs in postings.items()}
        self._pairs = {pair: np.array(docs, dtype=np.int32) for pair, docs in pairs.items()}
        self._compact = {key: np.array(docs, dtype=np.int32) for key, docs in compact.items()}
        self._compact_keys = list(compact)
        self._weights = np.array(weights, dtype=np.float64)
        self._sections = np.array(sections, dtype=np.int32)
        self._is_own = self._sections < 0
        self._is_document = np.array([kind == "document" for kind in kinds], dtype=bool)
        self._starts = np.array(starts, dtype=np.int64)
        self._ends = np.append(self._starts[1:], self._size)
        by_id = sorted(range(len(self._explainers)), key=lambda i: self._explainers[i].id)
        self._id_rank = np.empty(len(self._explainers), dtype=np.int64)
        self._id_rank[by_id] = np.arange(len(by_id))
        count = max(self._size, 1)
        self._idf = {token: math.log(1 + count / len(docs)) for token, docs in postings.items()}
        self._unknown_idf = math.log(1 + count)
        self._vocabulary = Vocabulary(
            postings=self._postings,
            pairs=self._pairs,
            words=sorted(token for token in postings if token.isalpha()),
            frequency=lambda word: len(self._postings[word]) if word in self._postings else 0,
        )

    def __len__(self) -> int:
        return len(self._explainers)

    def search(self, query: str, limit: int = 5) -> list[SearchHit]:
        """The best `limit` explainers for `query`, best first."""
        if limit <= 0 or not self._explainers:
            return []
        terms = query_terms(query, self._vocabulary, self._synonyms)
        if not any(term.candidates for term in terms):
            return []
        if all(term.stop for term in terms if term.candidates):
            # Nothing but common words ("là gì"): weigh them as typed, not as fillers.
            terms = [Term(term.typed, term.candidates) for term in terms]
        coverage = self._coverage(terms)
        content = [term for term in terms if not term.stop]
        self._weigh_phrases(content, coverage)
        self._match_documents(content, coverage)
        self._match_compact("".join(term.typed for term in terms if not term.stop), coverage)
        phrase = [term.best for term in terms if not term.stop]
        rare_first = sorted(
            {
                word
                for term in terms
                if not term.stop
                for word, _ in term.candidates
                if not word.startswith(TERM_PREFIX)
            },
            key=lambda word: -self._idf[word],
        )
        return [
            self._hit(number, section, score, phrase, rare_first)
            for number, section, score in self._rank(coverage, limit)
        ]

    def _weight(self, term: Term) -> float:
        known = max((self._idf[word] for word, _ in term.candidates), default=None)
        weight = self._idf.get(term.typed) or known or self._unknown_idf * UNKNOWN_WEIGHT
        return weight * (STOP_WEIGHT if term.stop else 1.0)

    def _coverage(self, terms: list[Term]) -> np.ndarray:
        """Per field: the share of the query's weight it covers (0..1)."""
        coverage = np.zeros(self._size)
        total = 0.0
        seen: set[str] = set()
        for term in terms:
            key = term.candidates[0][0] if term.candidates else term.typed
            if key in seen:
                continue
            seen.add(key)
            weight = self._weight(term)
            total += weight
            if len(term.candidates) == 1:
                word, similarity = term.candidates[0]
                coverage[self._postings[word]] += weight * similarity
            elif term.candidates:
                best = np.zeros(self._size)
                for word, similarity in term.candidates:
                    docs = self._postings[word]
                    best[docs] = np.maximum(best[docs], weight * similarity)
                coverage += best
        return coverage / total if total else coverage

    def _weigh_phrases(self, terms: list[Term], coverage: np.ndarray) -> None:
        """Fields holding the query's words side by side keep their share; fields where
        they are scattered lose up to 40% of it (stop words are left out of this)."""
        pairs = [(a, b) for a, b in pairwise(terms) if a.candidates and b.candidates]
        if not pairs:
            return
        # A long question rarely keeps the text's word order: the penalty shrinks with it.
        penalty = _SCATTER_PENALTY * min(1.0, 2 / len(pairs))
        together = np.zeros(self._size)
        for first, second in pairs:
            present = np.zeros(self._size, dtype=bool)
            for left, _ in first.candidates:
                for right, _ in second.candidates:
                    docs = self._pairs.get(f"{left} {right}")
                    if docs is not None:
                        present[docs] = True
            together += present
        coverage *= 1 - penalty * (1 - together / len(pairs))

    def _match_documents(self, terms: list[Term], coverage: np.ndarray) -> None:
        """Number fields holding a kind and a number the query names side by side ("circular
        23", "thông tư 23/2012"): the document field's variants hold nothing else."""
        for first, second in pairwise(terms):
            if not second.best.isdigit():
                continue
            for left, _ in first.candidates:
                for right, _ in second.candidates:
                    docs = self._pairs.get(f"{left} {right}")
                    if docs is not None:
                        named = docs[self._is_document[docs]]
                        coverage[named] = np.maximum(coverage[named], NAMED_DOCUMENT)

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
        ordered = kept[np.lexsort((self._id_rank[kept], -scores[kept]))].tolist()
        chosen: list[int] = []
        for number in ordered:
            if len(chosen) >= limit:
                break
            if number not in chosen:
                chosen.append(number)
        return [
            (number, self._best_section(number, values, coverage), float(scores[number]))
            for number in chosen[:limit]
        ]

    def _best_section(self, number: int, values: np.ndarray, coverage: np.ndarray) -> int | None:
        start, end = int(self._starts[number]), int(self._ends[number])
        own_values = np.where(self._is_own[start:end], values[start:end], -1.0)
        part_values = np.where(self._is_own[start:end], -1.0, values[start:end])
        best_own, best_part = int(np.argmax(own_values)), int(np.argmax(part_values))
        if part_values[best_part] > 0 and coverage[start + best_part] >= coverage[start + best_own]:
            return int(self._sections[start + best_part])
        return None

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
        plain = [word for word in phrase if not word.startswith(TERM_PREFIX)]
        patterns = [_phrase_pattern(tuple(plain))] if len(plain) > 1 else []
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
    leading zeros, letters may touch digits ("v28") and an English plural may follow."""
    parts: list[str] = []
    for position, word in enumerate(words):
        if position:
            mixed = word.isdigit() != words[position - 1].isdigit()
            parts.append(r"[^a-z0-9]*" if mixed else r"[^a-z0-9]+")
        parts.append(f"0*{word}" if word.isdigit() else re.escape(word) + "(?:e?s)?")
    first, last = words[0], words[-1]
    before = r"(?<![0-9])" if first.isdigit() else r"(?<![a-z])"
    after = r"(?![0-9])" if last.isdigit() else r"(?![a-z])"
    return re.compile(before + "".join(parts) + after)
