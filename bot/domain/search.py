"""Typo-tolerant search over explainers, with or without Vietnamese diacritics.

Every explainer gives the index a few short fields (title, document number with its spoken
variants, tags, summary) and two per section (title, text). Each field becomes a bag of
folded tokens (see `text.fold`). A query is folded the same way; each query token is
matched exactly, or, if it is not a known word, by edit distance against the vocabulary
(rapidfuzz) or cut into known words ("luadao" → "lua dao"). A field's score is the share of
the query's weight it covers, each token weighted by how rare it is (IDF), times the
field's weight. Short fields are also indexed without spaces so "chithi48" finds
"Chỉ thị 48-CT/TW" as a whole. An explainer's score is its best field plus a little of its
second best kind of evidence. Everything but the query is computed once, at load.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

from rapidfuzz import fuzz, process

from bot.domain.content_model import Explainer
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
# Official document numbers carry a kind ("CT", "NĐ-CP", ...); people say the kind's name.
_KIND_NAMES: dict[str, tuple[str, ...]] = {
    "ct": ("chi thi", "directive"),
    "nq": ("nghi quyet", "resolution"),
    "nd": ("nghi dinh", "decree"),
    "tt": ("thong tu", "circular"),
    "qd": ("quyet dinh", "decision"),
    "kl": ("ket luan", "conclusion"),
    "qh": ("luat", "law"),
}


@dataclass(frozen=True)
class SearchHit:
    """One explainer found. `section_index` is the section that matched best, or None
    when the explainer as a whole (title, number, tags, summary) matched better."""

    explainer: Explainer
    section_index: int | None
    score: float
    snippet: str


def document_variants(number: str) -> list[str]:
    """Ways people write or say an official number: "48-CT/TW" → "48 ct tw", "ct 48",
    "chi thi 48", "chi thi so 48", "directive 48"; with the year when the number has one."""
    parts = tokens(number)
    variants = [" ".join(parts)]
    numbers = [part for part in parts if part.isdigit()]
    kinds = [part for part in parts if part in _KIND_NAMES]
    if not numbers or not kinds:
        return variants
    main, kind = numbers[0], kinds[0]
    years = [part for part in numbers[1:] if len(part) == 4]
    variants.append(f"{kind} {main}")
    for name in _KIND_NAMES[kind]:
        variants += [f"{name} {main}", f"{name} so {main}", f"{name} {' '.join(parts)}"]
        variants += [f"{name} {main} {year}" for year in years]
    return variants


@dataclass(frozen=True)
class _Doc:
    explainer: int
    section: int  # -1 for the explainer's own fields
    weight: float


class SearchIndex:
    """The search index of one language's explainers."""

    def __init__(self, explainers: Sequence[Explainer]) -> None:
        self._explainers = list(explainers)
        self._docs: list[_Doc] = []
        self._postings: dict[str, list[int]] = {}
        self._pairs: dict[str, list[int]] = {}
        self._compact: dict[str, list[int]] = {}
        self._folded: dict[tuple[int, int], str] = {}
        for number, explainer in enumerate(self._explainers):
            self._add_explainer(number, explainer)
        count = max(len(self._docs), 1)
        self._idf = {
            token: math.log(1 + count / len(docs)) for token, docs in self._postings.items()
        }
        self._unknown_idf = math.log(1 + count)
        self._vocabulary = sorted(token for token in self._postings if token.isalpha())
        self._compact_keys = list(self._compact)

    def __len__(self) -> int:
        return len(self._explainers)

    # --- building ----------------------------------------------------------------

    def _add_explainer(self, number: int, explainer: Explainer) -> None:
        self._add(number, -1, "title", [explainer.title])
        if explainer.document:
            self._add(number, -1, "document", document_variants(explainer.document))
        self._add(number, -1, "tags", list(explainer.tags))
        self._add(number, -1, "summary", [explainer.summary])
        for section in explainer.sections:
            self._add(number, section.index, "section_title", [section.title])
            self._add(number, section.index, "section_text", [section.text])
            self._folded[(number, section.index)] = fold_aligned(section.text)

    def _add(self, explainer: int, section: int, kind: str, texts: list[str]) -> None:
        runs = [tokens(text) for text in texts]
        bag = {token for run in runs for token in run}
        if not bag:
            return
        doc = len(self._docs)
        self._docs.append(_Doc(explainer, section, FIELD_WEIGHTS[kind]))
        for token in bag:
            self._postings.setdefault(token, []).append(doc)
        for pair in {f"{a} {b}" for run in runs for a, b in pairwise(run)}:
            self._pairs.setdefault(pair, []).append(doc)
        if kind in _SHORT_FIELDS:
            for run in runs:
                key = "".join(run)
                if len(key) >= 3:
                    self._compact.setdefault(key, []).append(doc)

    # --- querying ----------------------------------------------------------------

    def search(self, query: str, limit: int = 5) -> list[SearchHit]:
        """The best `limit` explainers for `query`, best first."""
        typed = tokens(query)
        if not typed or limit <= 0:
            return []
        sequence = self._split_glued(typed)
        words = {token: self._candidates(token) for token in dict.fromkeys(sequence)}
        coverage = self._coverage(words)
        self._weigh_phrases(sequence, words, coverage)
        self._match_compact("".join(typed), coverage)
        found = self._rank(coverage)[:limit]
        phrase = [words[token][0][0] if words[token] else token for token in sequence]
        rare_first = sorted(
            {word for options in words.values() for word, _ in options},
            key=lambda word: -self._idf[word],
        )
        return [
            self._hit(number, section, score, phrase, rare_first)
            for number, section, score in found
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

    def _coverage(self, words: dict[str, list[tuple[str, float]]]) -> dict[int, float]:
        """Per field: the share of the query's weight it covers (0..1)."""
        gathered: dict[int, float] = {}
        total = 0.0
        for token, candidates in words.items():
            weight = self._idf.get(token) or max(
                (self._idf[word] for word, _ in candidates), default=self._unknown_idf
            )
            total += weight
            best: dict[int, float] = {}
            for word, similarity in candidates:
                value = weight * similarity
                for doc in self._postings[word]:
                    if best.get(doc, 0.0) < value:
                        best[doc] = value
            for doc, value in best.items():
                gathered[doc] = gathered.get(doc, 0.0) + value
        return {doc: value / total for doc, value in gathered.items()}

    def _weigh_phrases(
        self,
        sequence: list[str],
        words: dict[str, list[tuple[str, float]]],
        coverage: dict[int, float],
    ) -> None:
        """Fields holding the query's words side by side keep their share; fields where
        they are scattered lose up to 40% of it."""
        pairs = list(pairwise(sequence))
        if not pairs:
            return
        together: dict[int, int] = {}
        for first, second in pairs:
            docs: set[int] = set()
            for left, _ in words[first]:
                for right, _ in words[second]:
                    docs.update(self._pairs.get(f"{left} {right}", ()))
            for doc in docs:
                together[doc] = together.get(doc, 0) + 1
        for doc in coverage:
            coverage[doc] *= 1 - _SCATTER_PENALTY * (1 - together.get(doc, 0) / len(pairs))

    def _match_compact(self, key: str, coverage: dict[int, float]) -> None:
        if len(key) < 4:
            return
        for doc in self._compact.get(key, ()):
            coverage[doc] = 1.0
        for _, score, position in process.extract(
            key, self._compact_keys, scorer=fuzz.ratio, score_cutoff=_COMPACT_CUTOFF, limit=10
        ):
            value = _FUZZY_DISCOUNT * score / 100
            for doc in self._compact[self._compact_keys[position]]:
                if coverage.get(doc, 0.0) < value:
                    coverage[doc] = value

    def _rank(self, coverage: dict[int, float]) -> list[tuple[int, int | None, float]]:
        own: dict[int, tuple[float, float]] = {}  # explainer → (weighted, share)
        parts: dict[int, tuple[float, float, int]] = {}  # + section index
        for doc_number, share in coverage.items():
            doc = self._docs[doc_number]
            value = share * doc.weight
            if doc.section < 0:
                if value > own.get(doc.explainer, (0.0, 0.0))[0]:
                    own[doc.explainer] = (value, share)
                continue
            current = parts.get(doc.explainer)
            if current is None or (value, -doc.section) > (current[0], -current[2]):
                parts[doc.explainer] = (value, share, doc.section)
        ranked: list[tuple[int, int | None, float]] = []
        for number in own.keys() | parts.keys():
            whole, whole_share = own.get(number, (0.0, 0.0))
            part, part_share, section = parts.get(number, (0.0, 0.0, 0))
            score = 0.9 * max(whole, part) + 0.1 * min(whole, part)
            if score < MIN_SCORE:
                continue
            chosen = section if number in parts and part_share >= whole_share else None
            ranked.append((number, chosen, score))
        ranked.sort(key=lambda item: (-item[2], self._explainers[item[0]].id))
        return ranked

    def _hit(
        self,
        number: int,
        section: int | None,
        score: float,
        sequence: list[str],
        rare_first: list[str],
    ) -> SearchHit:
        explainer = self._explainers[number]
        snippet = ""
        if section is not None:
            snippet = self._snippet(number, section, sequence, rare_first)
        return SearchHit(
            explainer=explainer,
            section_index=section,
            score=round(score * 100, 1),
            snippet=snippet or shorten(explainer.summary, SNIPPET_WIDTH),
        )

    def _snippet(
        self, number: int, section: int, sequence: list[str], rare_first: list[str]
    ) -> str:
        """The section's text around the query: the whole phrase if it occurs, else the
        rarest matched word; a line of at most SNIPPET_WIDTH characters."""
        folded = self._folded.get((number, section), "")
        text = self._explainers[number].sections[section].text
        patterns = [_phrase_pattern(sequence)] if len(sequence) > 1 else []
        patterns += [_phrase_pattern([word]) for word in rare_first]
        for pattern in patterns:
            found = re.search(pattern, folded)
            if found is None:
                continue
            start = max(0, found.start() - 30)
            if start:
                space = text.rfind(" ", 0, start + 1)
                start = space + 1 if space >= 0 else start
            prefix = "…" if start else ""
            return prefix + shorten(text[start:], SNIPPET_WIDTH - len(prefix))
        return shorten(text, SNIPPET_WIDTH)


def _phrase_pattern(words: list[str]) -> str:
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
    return before + "".join(parts) + after
