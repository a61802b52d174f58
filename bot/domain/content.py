"""The explainer library: load `content/<lang>/<id>.md` once, then browse and search it.

    library = load_library(settings.content_dir)
    explainer = library.get("chi-thi-07", "en")     # falls back to Vietnamese
    for message in explainer.sections[0].messages_for(bot_username):
        ...                                          # send with parse_mode="HTML"

Explainers are ordered in a category by date of issue (oldest first; topics, which have no
date, by title). See `content_links` for how links between explainers are sent.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from bot.domain.content_check import check_content, scan_content
from bot.domain.content_links import (
    BOT_USERNAME_PLACEHOLDER,
    doc_deep_link,
    explainer_id_from_start,
    fill_bot_username,
)
from bot.domain.content_model import (
    BASE_LANGUAGE,
    CATEGORIES,
    CATEGORY_LABELS,
    LANGUAGES,
    Explainer,
    Problem,
    Section,
)
from bot.domain.document_names import document_label
from bot.domain.search import SearchHit, SearchIndex
from bot.domain.synonyms import Synonyms, load_synonyms
from bot.domain.text import fold

__all__ = [
    "BOT_USERNAME_PLACEHOLDER",
    "CATEGORIES",
    "CATEGORY_LABELS",
    "ContentError",
    "Explainer",
    "Library",
    "Problem",
    "SearchHit",
    "Section",
    "Successor",
    "check_content",
    "doc_deep_link",
    "explainer_id_from_start",
    "fill_bot_username",
    "load_library",
]


class ContentError(Exception):
    """The content folder has problems; `problems` lists them all."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        shown = "\n".join(str(problem) for problem in problems[:10])
        more = f"\n… and {len(problems) - 10} more" if len(problems) > 10 else ""
        super().__init__(f"{len(problems)} content problem(s):\n{shown}{more}")


@dataclass(frozen=True)
class Successor:
    """What replaced a document: a label such as "Thông tư 124/2021/TT-BCA", and the
    successor's explainer id when the library has one (to link to it)."""

    label: str
    explainer_id: str | None


def _order(explainer: Explainer) -> tuple[bool, date, str, str]:
    return (
        explainer.issued is None,
        explainer.issued or date.min,
        fold(explainer.title),
        explainer.id,
    )


class Library:
    """All explainers in every language, with a search index per language."""

    def __init__(self, explainers: Iterable[Explainer], synonyms: Synonyms | None = None) -> None:
        self._by_lang: dict[str, dict[str, Explainer]] = {lang: {} for lang in LANGUAGES}
        for explainer in explainers:
            self._by_lang.setdefault(explainer.lang, {})[explainer.id] = explainer
        self._visible = {lang: self._resolve(lang) for lang in self._by_lang}
        self._indexes = {
            lang: SearchIndex(items, synonyms) for lang, items in self._visible.items()
        }

    def _resolve(self, lang: str) -> list[Explainer]:
        """What a reader of `lang` sees: their language where it exists, else Vietnamese."""
        merged = dict(self._by_lang[BASE_LANGUAGE])
        merged.update(self._by_lang.get(lang, {}))
        return sorted(merged.values(), key=_order)

    def _lang(self, lang: str) -> str:
        return lang if lang in self._visible else BASE_LANGUAGE

    def __len__(self) -> int:
        return len(self.ids())

    def get(self, explainer_id: str, lang: str = BASE_LANGUAGE) -> Explainer | None:
        """The explainer in `lang`, or in Vietnamese when it has no such version."""
        found = self._by_lang.get(lang, {}).get(explainer_id)
        return found or self._by_lang[BASE_LANGUAGE].get(explainer_id)

    def successor(self, explainer: Explainer, lang: str = BASE_LANGUAGE) -> Successor | None:
        """What replaced `explainer` (None unless its status is "replaced"), named in `lang`."""
        if explainer.status != "replaced" or not explainer.replaced_by:
            return None
        target = explainer.replaced_by
        found = self.get(target, lang)
        if found is None:
            return Successor(document_label(target, lang), None)
        label = document_label(found.document, lang) if found.document else found.title
        return Successor(label, found.id)

    def ids(self) -> list[str]:
        """Every explainer id, sorted."""
        return sorted({key for items in self._by_lang.values() for key in items})

    def languages_of(self, explainer_id: str) -> list[str]:
        """The languages an explainer is written in."""
        return [lang for lang in LANGUAGES if explainer_id in self._by_lang.get(lang, {})]

    def explainers(self, lang: str = BASE_LANGUAGE) -> list[Explainer]:
        """Every explainer as a reader of `lang` sees it, in catalogue order."""
        return list(self._visible[self._lang(lang)])

    def categories(self, lang: str = BASE_LANGUAGE) -> list[str]:
        """The category keys that hold at least one explainer, in their fixed order."""
        used = {explainer.category for explainer in self._visible[self._lang(lang)]}
        return [category for category in CATEGORIES if category in used]

    def in_category(self, category: str, lang: str = BASE_LANGUAGE) -> list[Explainer]:
        """The explainers of `category`, oldest document first (topics by title)."""
        return [item for item in self._visible[self._lang(lang)] if item.category == category]

    def search(self, query: str, lang: str = BASE_LANGUAGE, limit: int = 5) -> list[SearchHit]:
        """The explainers that best match `query`, best first (at most `limit`)."""
        return self._indexes[self._lang(lang)].search(query, limit)


def load_library(content_dir: Path, *, strict: bool = True) -> Library:
    """Read every explainer under `content_dir`.

    With `strict` (the default) any problem raises `ContentError`, so a broken edit stops the
    bot at start-up; with `strict=False` broken files are left out and the rest is served."""
    scan = scan_content(content_dir)
    if strict and scan.problems:
        raise ContentError(scan.problems)
    return Library(scan.explainers, load_synonyms(content_dir))
