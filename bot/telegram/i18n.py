"""Gettext catalogs for the bot: `.po` files under `bot/locales`, compiled in memory at start.

Keeping only the `.po` sources in the repository means no build step and no stale `.mo` files.
"""

from __future__ import annotations

import gettext
import io
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from aiogram.utils.i18n import I18n
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
DOMAIN = "messages"


def compile_catalog(po_path: Path) -> gettext.GNUTranslations:
    with po_path.open("rb") as source:
        catalog = read_po(source)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


class CatalogI18n(I18n):
    """aiogram's I18n, reading `.po` catalogs directly."""

    @contextmanager
    def context(self) -> Iterator[I18n]:
        # aiogram's `gettext` looks the instance up on the base class, and every subclass of
        # its context mixin gets a context variable of its own: register on the base.
        token = I18n.set_current(self)
        try:
            yield self
        finally:
            I18n.reset_current(token)

    def find_locales(self) -> dict[str, gettext.GNUTranslations]:
        translations: dict[str, gettext.GNUTranslations] = {}
        for po_path in sorted(self.path.glob(f"*/LC_MESSAGES/{self.domain}.po")):
            translations[po_path.parent.parent.name] = compile_catalog(po_path)
        return translations


def N_(message: str) -> str:
    """Mark a message for extraction; it is translated later, where it is shown."""
    return message


def create_i18n(default_locale: str = "vi") -> CatalogI18n:
    return CatalogI18n(path=LOCALES_DIR, default_locale=default_locale, domain=DOMAIN)
