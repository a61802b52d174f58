"""The explainer library: the real content, the loader's API, Markdown rendering, links."""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from pathlib import Path

import pytest

from bot.domain.content import (
    CATEGORIES,
    ContentError,
    Library,
    check_content,
    doc_deep_link,
    explainer_id_from_start,
    fill_bot_username,
    load_library,
)
from bot.domain.content_file import read_explainer
from bot.domain.content_links import BOT_USERNAME_PLACEHOLDER

CONTENT = Path(__file__).resolve().parents[2] / "content"
TASKS = [f"chi-thi-07-nhiem-vu-{n}" for n in range(1, 8)]
EXPECTED = {
    "chi-thi": ["chi-thi-07", *TASKS],
    "van-ban": ["qd-521-ttg", "ct-48-tw", "ct-09-tw", "nd-06-2013", "nq-28-tw"],
    "tieu-chuan": ["tt-23-2012", "tt-124-2021"],
    "chu-de": [
        "an-toan-mang",
        "bao-ve-bi-mat-nha-nuoc",
        "lua-dao-tin-gia",
        "phong-chay-chua-chay",
        "phong-chong-toi-pham",
        "so-dien-thoai-khan-cap",
    ],
}
DOCUMENTS = {
    "chi-thi-07": "07/CT-BCA-V28",
    "nq-28-tw": "28-NQ/TW",
    "ct-48-tw": "48-CT/TW",
    "ct-09-tw": "09-CT/TW",
    "nd-06-2013": "06/2013/NĐ-CP",
    "tt-23-2012": "23/2012/TT-BCA",
    "tt-124-2021": "124/2021/TT-BCA",
    "qd-521-ttg": "521/QĐ-TTg",
    **dict.fromkeys(TASKS, "07/CT-BCA-V28"),
}
READER_HEADING = {"vi": "Điều này có nghĩa gì với bạn", "en": "What this means for you"}


@pytest.fixture(scope="module")
def library() -> Library:
    return load_library(CONTENT)


def all_text(library: Library, explainer_id: str, lang: str = "vi") -> str:
    explainer = library.get(explainer_id, lang)
    assert explainer is not None
    return "\n".join(f"{s.title}\n{s.text}" for s in explainer.sections)


# --- the real content ------------------------------------------------------------------


def test_the_real_content_passes_the_checker() -> None:
    assert [str(problem) for problem in check_content(CONTENT)] == []


def test_categories_and_ids(library: Library) -> None:
    assert library.categories() == list(CATEGORIES)
    for category, ids in EXPECTED.items():
        assert [e.id for e in library.in_category(category)] == ids
    assert library.ids() == sorted(i for ids in EXPECTED.values() for i in ids)


def test_official_numbers_and_topic_documents(library: Library) -> None:
    for explainer in library.explainers():
        assert explainer.document == DOCUMENTS.get(explainer.id)
        assert explainer.sources, explainer.id
        assert (explainer.category == "chu-de") == (explainer.document is None)


def test_every_explainer_has_an_english_version_with_the_same_sources(library: Library) -> None:
    for explainer_id in library.ids():
        assert library.languages_of(explainer_id) == ["vi", "en"], explainer_id
        vietnamese, english = library.get(explainer_id, "vi"), library.get(explainer_id, "en")
        assert vietnamese is not None and english is not None and english.lang == "en"
        assert english.sources == vietnamese.sources, explainer_id
        assert len(english.sections) == len(vietnamese.sections), explainer_id
    assert library.get("ct-48-tw", "fr") is not None  # other languages read Vietnamese
    assert library.get("no-such-thing") is None
    assert [e.id for e in library.in_category("tieu-chuan", "en")] == EXPECTED["tieu-chuan"]
    assert all(e.lang == "en" for e in library.explainers("en"))


def test_the_directive_is_a_short_overview_and_one_page_per_task(library: Library) -> None:
    for lang in ("vi", "en"):
        overview = library.get("chi-thi-07", lang)
        assert overview is not None and overview.issued == date(2014, 8, 15)
        assert sum(s.word_count for s in overview.sections) < 700
        assert list(overview.related[: len(TASKS)]) == TASKS
        text = all_text(library, "chi-thi-07", lang)
        assert "Trần Đại Quang" in text and "V28" in text
        for number, task in enumerate(TASKS, start=1):
            page = library.get(task, lang)
            assert page is not None and page.lang == lang
            assert f" {number}" in page.title.split(":")[0], page.title
            assert page.sections[-1].title == READER_HEADING[lang], (task, lang)


def test_replaced_documents_end_with_the_reader_s_angle(library: Library) -> None:
    for explainer_id in ("nq-28-tw", "tt-23-2012"):
        for lang in ("vi", "en"):
            explainer = library.get(explainer_id, lang)
            assert explainer is not None and explainer.status == "replaced"
            assert explainer.sections[-1].title == READER_HEADING[lang]


def test_every_section_reads_in_about_a_minute(library: Library) -> None:
    for lang in ("vi", "en"):
        for explainer in library.explainers(lang):
            for section in explainer.sections:
                assert 80 <= section.word_count <= 250, (explainer.id, lang, section.title)
                assert len(section.messages) == 1


def test_vietnamese_text_carries_its_diacritics(library: Library) -> None:
    for explainer in library.explainers("vi"):
        text = all_text(library, explainer.id)
        decomposed = unicodedata.normalize("NFD", text)
        marked = sum(1 for char in decomposed if unicodedata.combining(char))
        assert marked / len(text) > 0.1, explainer.id
        assert unicodedata.is_normalized("NFC", text)


def test_replaced_and_amended_documents_say_so_first(library: Library) -> None:
    nq28 = library.get("nq-28-tw")
    assert nq28 is not None and nq28.status == "replaced" and nq28.replaced_by == "44-NQ/TW"
    assert "44-NQ/TW" in nq28.sections[0].title
    # The successor's date comes from the fact sheet (P58): 24/11/2023, and no other.
    dated = r"44-NQ/TW(?:(?!KL/TW).){0,40}?(\d{1,2}/\d{1,2}/\d{4})"
    dates = re.findall(dated, all_text(library, "nq-28-tw"))
    assert dates and set(dates) == {"24/11/2023"}
    tt23 = library.get("tt-23-2012")
    assert tt23 is not None and tt23.status == "replaced" and tt23.replaced_by == "tt-124-2021"
    assert "124/2021/TT-BCA" in tt23.sections[0].title
    tt124 = library.get("tt-124-2021")
    assert tt124 is not None and tt124.status == "amended"
    assert "48/2025/TT-BCA" in tt124.sections[0].text


def test_the_2025_festival_is_twenty_years_not_the_twentieth(library: Library) -> None:
    text = all_text(library, "qd-521-ttg")
    assert "lần thứ 20" not in text and "20 năm Ngày hội" in text and "lần thứ 21" in text
    assert "20 years of the festival" in all_text(library, "qd-521-ttg", "en")


def test_replaced_rules_are_not_taught_in_the_present_tense(library: Library) -> None:
    """The 2018 secrets law's periods and its internet ban are named with that law."""
    for lang, years, internet in (("vi", "30 năm", "kết nối internet"), ("en", "30", "internet")):
        secrets = library.get("bao-ve-bi-mat-nha-nuoc", lang)
        assert secrets is not None
        for section in secrets.sections:
            if years in section.text or internet in section.text:
                assert "29/2018/QH14" in section.text and "117/2025/QH15" in section.text
    for explainer in library.explainers("vi"):
        for section in explainer.sections:
            if "23/2012" in section.text or "Thông tư 23" in section.text:
                assert "124" in section.text, (explainer.id, section.title)


@pytest.mark.parametrize(
    ("explainer_id", "old", "new"),
    [
        ("bao-ve-bi-mat-nha-nuoc", "29/2018/QH14", "117/2025/QH15"),
        ("an-toan-mang", "Luật An ninh mạng năm 2018", "116/2025/QH15"),
        ("phong-chay-chua-chay", "Luật Phòng cháy và chữa cháy năm 2001", "55/2024/QH15"),
    ],
)
def test_topics_name_the_laws_that_replaced_older_ones(
    library: Library, explainer_id: str, old: str, new: str
) -> None:
    text = all_text(library, explainer_id)
    assert old in text and new in text and "thay thế" in text


def test_emergency_numbers_are_the_five_in_the_facts(library: Library) -> None:
    for lang in ("vi", "en"):
        text = all_text(library, "so-dien-thoai-khan-cap", lang)
        assert set(re.findall(r"\b11\d\b", text)) == {"111", "112", "113", "114", "115"}
        assert "226/QĐ-TTg" in text


# --- loading and rendering -------------------------------------------------------------

FRONT = """---
id: {id}
document: null
title: Thử nghiệm
issuer: null
issued: null
status: in_force
replaced_by: null
category: chu-de
tags: [thử]
summary: Một dòng.
sources: [SEED]
min_read_seconds: 30
---
"""


def write(folder: Path, explainer_id: str, body: str, lang: str = "vi") -> Path:
    path = folder / lang / f"{explainer_id}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(FRONT.format(id=explainer_id) + body, encoding="utf-8")
    return path


def test_markdown_subset_renders_to_telegram_html(tmp_path: Path) -> None:
    body = (
        "Mở đầu **đậm *lồng nghiêng*** và *nghiêng*, ký tự & < > được thoát.\n"
        'Dòng nối tiếp [trang](https://example.org/?a=1&b="2") \\*không nghiêng\\*.\n'
        "\n"
        "## Danh sách\n"
        "\n"
        "- một\n"
        "- hai [bài khác](doc:khac)\n"
        "  tiếp tục mục hai\n"
        "\n"
        "1. bước một\n"
        "2. bước hai\n"
    )
    path = write(tmp_path, "thu", body)
    write(tmp_path, "khac", "Văn bản.\n")
    file = read_explainer(path, "vi")
    assert file.problems == []
    assert file.explainer is not None
    intro, listing = file.explainer.sections
    assert intro.title == "Thử nghiệm" and intro.index == 0
    assert intro.messages == (
        "<b>Thử nghiệm</b>\n\nMở đầu <b>đậm <i>lồng nghiêng</i></b> và <i>nghiêng</i>, "
        "ký tự &amp; &lt; &gt; được thoát. Dòng nối tiếp "
        '<a href="https://example.org/?a=1&amp;b=&quot;2&quot;">trang</a> *không nghiêng*.',
    )
    href = f"https://t.me/{BOT_USERNAME_PLACEHOLDER}?start=doc-khac"
    assert listing.messages == (
        f'<b>Danh sách</b>\n\n• một\n• hai <a href="{href}">bài khác</a> tiếp tục mục hai'
        "\n\n1. bước một\n2. bước hai",
    )
    assert listing.text.startswith("• một\n• hai bài khác")
    assert listing.related == ("khac",)
    assert file.explainer.related == ("khac",)


def test_links_are_filled_with_the_bot_username(library: Library) -> None:
    section = next(s for s in library.get("chi-thi-07").sections if s.related)  # type: ignore[union-attr]
    filled = section.messages_for("@CanhGiacBot")
    assert BOT_USERNAME_PLACEHOLDER not in "".join(filled)
    assert f"https://t.me/CanhGiacBot?start=doc-{section.related[0]}" in "".join(filled)
    assert doc_deep_link("CanhGiacBot", "tt-124-2021") == (
        "https://t.me/CanhGiacBot?start=doc-tt-124-2021"
    )
    with pytest.raises(ValueError):
        fill_bot_username("x", "not a username")


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ("doc-chi-thi-07", "chi-thi-07"),
        ("doc-tt-124-2021", "tt-124-2021"),
        ("doc-", None),
        ("unit-123", None),
        ("doc-Bad_Id", None),
        (None, None),
    ],
)
def test_start_payloads(payload: str | None, expected: str | None) -> None:
    assert explainer_id_from_start(payload) == expected


def test_every_start_payload_fits_telegram(library: Library) -> None:
    for explainer_id in library.ids():
        payload = f"doc-{explainer_id}"
        assert re.fullmatch(r"[A-Za-z0-9_-]{1,64}", payload)
        assert explainer_id_from_start(payload) == explainer_id


def test_strict_loading_refuses_a_broken_folder(tmp_path: Path) -> None:
    write(tmp_path, "tot", "Văn bản tốt.\n")
    write(tmp_path, "hong", "Liên kết tới [đâu đó](doc:khong-co).\n")
    with pytest.raises(ContentError) as caught:
        load_library(tmp_path)
    assert "hong.md:15: link to unknown explainer 'doc:khong-co'" in str(caught.value)
    lenient = load_library(tmp_path, strict=False)
    assert lenient.ids() == ["hong", "tot"]  # the bad link is not the file's own problem


def test_files_are_read_as_nfc_with_any_line_ends(tmp_path: Path) -> None:
    path = write(tmp_path, "nfd", "")
    text = FRONT.format(id="nfd") + unicodedata.normalize("NFD", "Bảo vệ bí mật.\r\n")
    path.write_bytes(("\ufeff" + text.replace("\n", "\r\n")).encode("utf-8"))
    file = read_explainer(path, "vi")
    assert file.problems == [] and file.explainer is not None
    assert file.explainer.sections[0].text == "Bảo vệ bí mật."
    assert unicodedata.is_normalized("NFC", file.explainer.sections[0].messages[0])


def test_a_long_section_is_split_into_several_messages(tmp_path: Path) -> None:
    paragraph = "Câu văn khá dài để lấp đầy tin nhắn, có **chữ đậm** ở giữa. " * 30
    path = write(tmp_path, "dai", "## Rất dài\n\n" + "\n\n".join([paragraph] * 4) + "\n")
    file = read_explainer(path, "vi")
    assert file.explainer is not None
    messages = file.explainer.sections[0].messages
    assert len(messages) >= 2
    assert messages[0].startswith("<b>Rất dài</b>\n\n")
    assert all(len(message) <= 4096 for message in messages)
