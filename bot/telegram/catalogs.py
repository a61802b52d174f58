"""Keeping the gettext catalogs in step with the code: extract msgids, update, find gaps."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

from bot.telegram.i18n import DOMAIN, LOCALES_DIR

SOURCE_DIR = Path(__file__).resolve().parent.parent
KEYWORDS = {"_": None, "gettext": None, "N_": None, "__": None, "lazy_gettext": None}
HEADER = "# Messages of Cảnh Giác ({locale}). `canhgiac i18n update` adds new ones.\n\n"
SOURCE_LANGUAGE = "en"  # msgids are English; the source catalog needs no translation


@dataclass(frozen=True)
class Gap:
    locale: str
    msgid: str


def extract(source_dir: Path = SOURCE_DIR) -> Catalog:
    template = Catalog(project="canhgiac", fuzzy=False)
    method_map = [("**/emulator/**", "ignore"), ("**.py", "python")]
    for _filename, lineno, message, comments, context in extract_from_dir(
        str(source_dir), method_map=method_map, keywords=KEYWORDS, strip_comment_tags=True
    ):
        template.add(message, None, [], auto_comments=comments, context=context)
        del lineno
    return template


def po_path(locale: str, locales_dir: Path = LOCALES_DIR) -> Path:
    return locales_dir / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


def load(locale: str, locales_dir: Path = LOCALES_DIR) -> Catalog:
    path = po_path(locale, locales_dir)
    if not path.exists():
        return Catalog(locale=locale, project="canhgiac", fuzzy=False)
    with path.open("rb") as source:
        return read_po(source, locale=locale)


def update(locales: list[str], locales_dir: Path = LOCALES_DIR) -> None:
    """Add new msgids to each catalog and drop those the code no longer uses."""
    template = extract()
    for locale in locales:
        catalog = load(locale, locales_dir)
        catalog.update(template, no_fuzzy_matching=True)
        catalog.fuzzy = False
        path = po_path(locale, locales_dir)
        path.parent.mkdir(parents=True, exist_ok=True)
        buffer = io.BytesIO()
        # No header: babel would stamp dates and placeholders into it on every update.
        write_po(
            buffer, catalog, no_location=True, width=100, ignore_obsolete=True, omit_header=True
        )
        path.write_bytes(HEADER.format(locale=locale).encode() + buffer.getvalue())


def gaps(locales: list[str], locales_dir: Path = LOCALES_DIR) -> list[Gap]:
    """msgids used in the code but missing or untranslated in a catalog."""
    wanted = [message.id for message in extract() if message.id]
    found: list[Gap] = []
    for locale in locales:
        catalog = load(locale, locales_dir)
        for msgid in wanted:
            message = catalog.get(msgid)
            translated = message is not None and bool(message.string) and not message.fuzzy
            if (not translated and locale != SOURCE_LANGUAGE) or message is None:
                found.append(Gap(locale, str(msgid)))
    return found
