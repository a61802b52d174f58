"""The lesson pages as the bot renders them: the banner over replaced documents."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.domain.content import Library, load_library
from bot.telegram.i18n import create_i18n
from bot.telegram.lesson_views import page_view, pages_of

BOT = "canhgiac_test_bot"
FRONT = """---
id: {id}
document: {document}
title: "{title}"
issuer: Bộ Công an
issued: 2012-04-27
status: {status}
replaced_by: {replaced_by}
category: tieu-chuan
tags: [thử]
summary: Một dòng.
sources: [SEED]
min_read_seconds: 30
---

## Phần một

Nội dung phần một.

## Phần hai

Nội dung phần hai.
"""


def write(root: Path, lang: str, explainer_id: str, **front: str) -> None:
    path = root / lang / f"{explainer_id}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(FRONT.format(id=explainer_id, **front), encoding="utf-8")


@pytest.fixture
def library(tmp_path: Path) -> Library:
    """A small library of its own: the banner must come from front matter alone."""
    for lang, old, new in (("vi", "Thông tư cũ", "Thông tư mới"), ("en", "Old", "New")):
        common = {"document": "124/2021/TT-BCA", "status": "in_force", "replaced_by": "null"}
        write(tmp_path, lang, "moi", title=f"{new}: tiêu chuẩn", **common)
        write(
            tmp_path,
            lang,
            "cu",
            title=f"{old}: tiêu chuẩn",
            document="23/2012/TT-BCA",
            status="replaced",
            replaced_by="moi",
        )
        write(
            tmp_path,
            lang,
            "nq",
            title=f"{old}: nghị quyết",
            document="28-NQ/TW",
            status="replaced",
            replaced_by="44-NQ/TW",
        )
        write(
            tmp_path,
            lang,
            "sua",
            title=f"{new}: sửa",
            document="125/2021/TT-BCA",
            status="amended",
            replaced_by="null",
        )
    return load_library(tmp_path)


@pytest.fixture(autouse=True)
def vietnamese() -> Iterator[None]:
    i18n = create_i18n("vi")
    with i18n.context(), i18n.use_locale("vi"):
        yield


def texts(library: Library, explainer_id: str, lang: str = "vi") -> list[str]:
    explainer = library.get(explainer_id, lang)
    assert explainer is not None
    return [
        page_view(library, explainer, page, bot_username=BOT)[0]
        for page in range(len(pages_of(explainer)))
    ]


def test_a_replaced_explainer_shows_its_successor_on_every_page(library: Library) -> None:
    link = f'<a href="https://t.me/{BOT}?start=doc-moi">Thông tư 124/2021/TT-BCA</a>'
    pages = texts(library, "cu")
    assert len(pages) == 2
    for text in pages:
        assert f"⚠️ Văn bản này đã được thay thế bởi {link}." in text


def test_a_successor_without_an_explainer_is_named_not_linked(library: Library) -> None:
    for text in texts(library, "nq"):
        assert "⚠️ Văn bản này đã được thay thế bởi Nghị quyết 44-NQ/TW." in text
    english = texts(library, "nq", "en")[0]
    assert "Resolution 44-NQ/TW" in english


def test_documents_in_force_and_amended_have_no_replacement_banner(library: Library) -> None:
    assert not any("thay thế" in text for text in texts(library, "moi"))
    amended = texts(library, "sua")
    assert "sửa đổi" in amended[0] and "sửa đổi" not in amended[1]
    assert not any("thay thế" in text for text in amended)


def test_the_real_replaced_explainers_get_the_banner() -> None:
    real = load_library(Path(__file__).resolve().parents[2] / "content")
    assert "doc-tt-124-2021" in texts(real, "tt-23-2012")[-1]
    assert "Nghị quyết 44-NQ/TW" in texts(real, "nq-28-tw")[0]
    replaced = [e.id for e in real.explainers() if e.status == "replaced"]
    assert sorted(replaced) == ["nq-28-tw", "tt-23-2012"]
