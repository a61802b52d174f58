"""Every message the code shows has a Vietnamese translation with the same placeholders and tags."""

from __future__ import annotations

import re

import pytest

from bot.telegram.catalogs import extract, gaps, load
from bot.telegram.i18n import create_i18n

PLACEHOLDER = re.compile(r"\{[a-z_]*\}")
TAG = re.compile(r"</?[a-z]+[^>]*>")


def test_no_untranslated_messages() -> None:
    assert gaps(["vi", "en"]) == []


@pytest.mark.parametrize("locale", ["vi", "en"])
def test_translations_keep_placeholders_and_tags(locale: str) -> None:
    catalog = load(locale)
    used = {message.id for message in extract() if message.id}
    for message in catalog:
        if not message.id or not message.string or message.id not in used:
            continue
        msgid, text = str(message.id), str(message.string)
        assert sorted(PLACEHOLDER.findall(msgid)) == sorted(PLACEHOLDER.findall(text)), msgid
        assert sorted(TAG.findall(msgid)) == sorted(TAG.findall(text)), msgid


def test_vietnamese_is_the_default_and_loads_from_po() -> None:
    i18n = create_i18n("vi")
    assert set(i18n.available_locales) >= {"vi", "en"}
    assert i18n.gettext("Saved.") == "Đã lưu."
    assert i18n.gettext("Saved.", locale="en") == "Saved."
