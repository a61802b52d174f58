"""Citations of replaced documents: wherever one is cited, its successor must be named too.

An explainer whose front matter says `status: replaced` stands for a document no longer in
force; `replaced_by` names its successor (an explainer id or an official number). Any other
text that cites the replaced document (by number, by a spoken name such as "Thông tư 23" or
"Circular 23", or by a `doc:` link) must name the successor in the same place: the same
section of an explainer, the explanation of a quiz question. Otherwise a learner could take a
rule that is no longer in force for today's.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bot.domain.content_model import Explainer
from bot.domain.document_names import document_variants
from bot.domain.text import tokens


@dataclass(frozen=True)
class ReplacedDocument:
    """A replaced document and its successor, with the words that cite each."""

    explainer_id: str
    document: str
    successor: str
    successor_id: str | None
    cites: tuple[tuple[str, ...], ...]
    names_successor: tuple[tuple[str, ...], ...]


def _phrases(number: str | None) -> tuple[tuple[str, ...], ...]:
    if not number:
        return ()
    return tuple(tuple(variant.split()) for variant in document_variants(number))


def replaced_documents(explainers: Iterable[Explainer]) -> list[ReplacedDocument]:
    """One entry per replaced document, from the explainers' front matter (any language)."""
    found: dict[str, ReplacedDocument] = {}
    items = list(explainers)
    numbers = {item.id: item.document for item in items if item.document}
    for item in items:
        if item.status != "replaced" or not item.replaced_by or item.id in found:
            continue
        successor_id = item.replaced_by if item.replaced_by in numbers else None
        successor_number = numbers.get(item.replaced_by, item.replaced_by)
        found[item.id] = ReplacedDocument(
            explainer_id=item.id,
            document=item.document or item.id,
            successor=successor_number,
            successor_id=successor_id,
            cites=_phrases(item.document),
            names_successor=_phrases(successor_number),
        )
    return list(found.values())


def _contains(words: Sequence[str], phrase: Sequence[str]) -> bool:
    size = len(phrase)
    return any(tuple(words[i : i + size]) == tuple(phrase) for i in range(len(words) - size + 1))


def cites(text: str, document: ReplacedDocument, links: Iterable[str] = ()) -> bool:
    """Whether `text` (or one of its `doc:` link targets) cites the replaced document."""
    words = tokens(text)
    return document.explainer_id in links or any(
        _contains(words, phrase) for phrase in document.cites
    )


def names_successor(text: str, document: ReplacedDocument, links: Iterable[str] = ()) -> bool:
    """Whether `text` (or one of its `doc:` link targets) names the successor."""
    words = tokens(text)
    linked = document.successor_id is not None and document.successor_id in links
    return linked or any(_contains(words, phrase) for phrase in document.names_successor)


def unnamed_successors(
    cited_in: str,
    named_in: str,
    documents: Iterable[ReplacedDocument],
    *,
    links: Sequence[str] = (),
    own_id: str | None = None,
) -> list[ReplacedDocument]:
    """The replaced documents `cited_in` cites while `named_in` does not name their successor
    (the explainer `own_id` is about itself is exempt: its banner names the successor)."""
    return [
        document
        for document in documents
        if document.explainer_id != own_id
        and cites(cited_in, document, links)
        and not names_successor(named_in, document, links)
    ]
