"""From a query to weighed search terms: stop words, spelling, glued words, synonyms.

A query such as "bị lừa chuyển tiền phải làm gì" becomes a list of `Term`s. Each term is
one thing the reader asked about, with the index words that stand for it and how similar
they are (1 for the word itself, less for a correction), and whether it is a stop word
(weighed lightly, see `search_words`). Unknown words are corrected against the index's
vocabulary: by similarity for longer words, by one edit for short ones ("thj" → "thi"),
preferring a correction that sits next to its neighbour somewhere in the index ("chỉ thj"
→ "chi thi"); glued words are cut ("luadao" → "lua dao"). Synonym phrases then become the
term of their group ("bị lừa" → the group of "lừa đảo", "scam", ...).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz, process
from rapidfuzz.distance import Levenshtein

from bot.domain.search_words import query_words
from bot.domain.synonyms import Synonyms

FUZZY_CUTOFF = 75.0
FUZZY_DISCOUNT = 0.85
# One edit in a word of three to five letters: too far for a similarity ratio, yet the most
# common slip on a phone keyboard.
SHORT_WORD = range(3, 6)
SHORT_DISCOUNT = 0.8
MAX_CANDIDATES = 3

Candidates = list[tuple[str, float]]


@dataclass(frozen=True)
class Term:
    """One thing asked about: the words typed for it, its index words, whether it is a stop
    word."""

    typed: str
    candidates: Candidates
    stop: bool = False

    @property
    def best(self) -> str:
        return self.candidates[0][0] if self.candidates else self.typed


@dataclass(frozen=True)
class Vocabulary:
    """What the index knows, as the term builder needs it."""

    postings: Mapping[str, object]
    pairs: Mapping[str, object]
    words: Sequence[str]  # alphabetic index words, for spelling
    frequency: Callable[[str], int]

    def knows(self, word: str) -> bool:
        return word in self.postings

    def adjacent(self, first: str, second: str) -> bool:
        return f"{first} {second}" in self.pairs


def _segment(token: str, vocabulary: Vocabulary) -> list[str] | None:
    """`token` as known words, fewest pieces first, then the most common ones."""
    best: list[tuple[int, float, list[str]] | None] = [None] * (len(token) + 1)
    best[0] = (0, 0.0, [])
    for end in range(1, len(token) + 1):
        for start in range(max(0, end - 8), end):
            previous = best[start]
            piece = token[start:end]
            if previous is None or not vocabulary.knows(piece):
                continue
            candidate = (
                previous[0] + 1,
                previous[1] - vocabulary.frequency(piece),
                [*previous[2], piece],
            )
            current = best[end]
            if current is None or candidate[:2] < current[:2]:
                best[end] = candidate
    found = best[len(token)]
    return found[2] if found is not None and found[0] >= 2 else None


def _split_glued(typed: list[tuple[str, bool]], vocabulary: Vocabulary) -> list[tuple[str, bool]]:
    out: list[tuple[str, bool]] = []
    for token, stop in typed:
        if stop or vocabulary.knows(token) or not token.isalpha() or len(token) < 4:
            out.append((token, stop))
        else:
            out += [(piece, False) for piece in _segment(token, vocabulary) or [token]]
    return out


def _spelled(token: str, near: Sequence[str], vocabulary: Vocabulary) -> Candidates:
    """Index words for an unknown `token`, best first; `near` are the typed neighbours."""
    if not token.isalpha() or len(token) < 3:
        return []
    similar = [
        (word, FUZZY_DISCOUNT * score / 100)
        for word, score, _ in process.extract(
            token, vocabulary.words, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF, limit=3
        )
    ]
    if len(token) not in SHORT_WORD:
        return similar
    one_edit = [
        word
        for word, _, _ in process.extract(
            token, vocabulary.words, scorer=Levenshtein.distance, score_cutoff=1, limit=40
        )
    ]
    fitting = [
        word
        for word in one_edit
        if any(vocabulary.adjacent(n, word) or vocabulary.adjacent(word, n) for n in near)
    ]
    chosen = (fitting or sorted(one_edit, key=lambda word: -vocabulary.frequency(word)))[:3]
    rest = [pair for pair in similar if pair[0] not in chosen]
    return ([(word, SHORT_DISCOUNT) for word in chosen] + rest)[:MAX_CANDIDATES]


def query_terms(query: str, vocabulary: Vocabulary, synonyms: Synonyms) -> list[Term]:
    """The terms of `query`, in the order typed."""
    typed = _split_glued(query_words(query), vocabulary)
    terms: list[Term] = []
    for position, (token, stop) in enumerate(typed):
        if vocabulary.knows(token):
            candidates: Candidates = [(token, 1.0)]
        elif stop:
            candidates = []
        else:
            near = [typed[i][0] for i in (position - 1, position + 1) if 0 <= i < len(typed)]
            candidates = _spelled(token, near, vocabulary)
        terms.append(Term(token, candidates, stop))
    return _with_synonyms(terms, vocabulary, synonyms)


def _with_synonyms(terms: list[Term], vocabulary: Vocabulary, synonyms: Synonyms) -> list[Term]:
    """Synonym phrases as their group's term: first as typed ("phishing"), then, where
    nothing matched, as corrected ("lua dao qua mnag" → "lừa đảo qua mạng")."""
    out: list[Term] = []
    for start, end, group in synonyms.spans([term.typed for term in terms]):
        if group is not None and vocabulary.knows(group):
            out.append(Term(" ".join(term.typed for term in terms[start:end]), [(group, 1.0)]))
            continue
        for inner_start, inner_end, inner in synonyms.spans([t.best for t in terms[start:end]]):
            part = terms[start + inner_start : start + inner_end]
            if inner is not None and vocabulary.knows(inner):
                out.append(Term(" ".join(term.typed for term in part), [(inner, 1.0)]))
            else:
                out += part
    return out
