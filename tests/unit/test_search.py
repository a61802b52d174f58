"""Search: folding, the reference queries, typos, glued words, snippets, speed."""

from __future__ import annotations

import unicodedata
from dataclasses import replace
from pathlib import Path

import pytest

from bot.domain.content import Library, load_library
from bot.domain.content_model import Explainer
from bot.domain.search import SNIPPET_WIDTH, SearchIndex, document_variants
from bot.domain.search_words import is_greeting, query_words
from bot.domain.synonyms import read_synonyms
from bot.domain.text import compact, fold, fold_aligned, tokens

CONTENT = Path(__file__).resolve().parents[2] / "content"


@pytest.fixture(scope="module")
def library() -> Library:
    return load_library(CONTENT)


def top(library: Library, query: str, lang: str = "vi") -> str | None:
    hits = library.search(query, lang)
    return hits[0].explainer.id if hits else None


# --- folding ---------------------------------------------------------------------------


def test_fold_removes_marks_and_punctuation() -> None:
    assert fold("Chỉ thị 48-CT/TW") == "chi thi 48 ct tw"
    assert fold("ĐẢM BẢO An Ninh, Trật Tự!") == "dam bao an ninh trat tu"
    assert fold("Nghị định 06/2013/NĐ-CP") == "nghi dinh 6 2013 nd cp"
    assert fold("  …  ") == ""


def test_fold_is_the_same_for_nfc_and_nfd() -> None:
    text = "Phòng cháy, chữa cháy và cứu nạn, cứu hộ"
    assert fold(unicodedata.normalize("NFD", text)) == fold(text)
    assert tokens(unicodedata.normalize("NFD", "Tối mật")) == ["toi", "mat"]


def test_letters_and_digits_are_cut_apart() -> None:
    assert tokens("chithi48") == ["chithi", "48"]
    assert compact("Chỉ thị 48") == "chithi48"
    assert tokens("V28 ct07") == ["v", "28", "ct", "7"]


def test_fold_aligned_keeps_positions() -> None:
    text = "Đường dây “nóng” 113"
    folded = fold_aligned(text)
    assert len(folded) == len(text)
    assert folded == "duong day  nong  113"


def test_document_variants() -> None:
    variants = document_variants("48-CT/TW")
    assert {"48 ct tw", "ct 48", "chi thi 48", "chi thi so 48", "directive 48"} <= set(variants)
    assert "nghi dinh 6 2013" in document_variants("06/2013/NĐ-CP")
    assert "thong tu 124" in document_variants("124/2021/TT-BCA")
    assert "quyet dinh 521" in document_variants("521/QĐ-TTg")
    assert document_variants("abc") == ["abc"]


# --- ranking ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("chi thi 48", "ct-48-tw"),
        ("Chỉ thị 48-CT/TW", "ct-48-tw"),
        ("chithi48", "ct-48-tw"),
        ("nghi dinh bao ve co quan", "nd-06-2013"),
        ("ngay hoi 19/8", "qd-521-ttg"),
        ("thong tu 124", "tt-124-2021"),
        ("lua dao qua mang", "lua-dao-tin-gia"),
        ("bi mat nha nuoc", "bao-ve-bi-mat-nha-nuoc"),
        ("114", "so-dien-thoai-khan-cap"),
    ],
)
def test_reference_queries_rank_the_right_explainer_first(
    library: Library, query: str, expected: str
) -> None:
    assert top(library, query) == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("CHỈ THỊ 07", "chi-thi-07"),
        ("chi thi 7", "chi-thi-07"),
        ("nghị quyết 28", "nq-28-tw"),
        ("thong tu 23", "tt-23-2012"),
        ("thongtu124", "tt-124-2021"),
        ("luadaoquamang", "lua-dao-tin-gia"),
        ("lua dao qua mnag", "lua-dao-tin-gia"),
        ("bi mat nha nuco", "bao-ve-bi-mat-nha-nuoc"),
        ("phong chay chua chay", "phong-chay-chua-chay"),
        ("113", "so-dien-thoai-khan-cap"),
        ("tu phong tu quan", "chi-thi-07-nhiem-vu-4"),
        ("ban dai dien cha me hoc sinh", "tt-124-2021"),
    ],
)
def test_other_ways_of_asking(library: Library, query: str, expected: str) -> None:
    assert top(library, query) == expected


def test_english_readers_get_english_first(library: Library) -> None:
    hits = library.search("circular 124", lang="en")
    assert hits[0].explainer.id == "tt-124-2021" and hits[0].explainer.lang == "en"
    spoken = library.search("chi thi 48", lang="en")[0]  # the Vietnamese name finds it too
    assert spoken.explainer.id == "ct-48-tw" and spoken.explainer.lang == "en"
    assert top(library, "directive 07", "en") == "chi-thi-07"
    assert top(library, "lừa đảo", "en") == "lua-dao-tin-gia"  # synonyms cross languages


def test_hits_are_well_formed(library: Library) -> None:
    for query in ("an ninh", "chi thi", "bảo vệ", "mang xa hoi", "19/8", "tuyet mat"):
        hits = library.search(query, limit=4)
        assert 0 < len(hits) <= 4
        assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
        assert len({h.explainer.id for h in hits}) == len(hits)
        for hit in hits:
            assert 0 < hit.score <= 100
            assert 0 < len(hit.snippet) <= SNIPPET_WIDTH
            assert "\n" not in hit.snippet
            assert "<b>" not in hit.snippet and "&amp;" not in hit.snippet  # plain text
            if hit.section_index is not None:
                assert hit.explainer.sections[hit.section_index].index == hit.section_index


def test_the_snippet_shows_the_match(library: Library) -> None:
    hit = library.search("doanh nghiệp nhỏ")[0]
    assert hit.explainer.id == "tt-124-2021" and hit.section_index == 1
    assert "doanh nghiệp nhỏ" in hit.snippet
    typo = library.search("lua dao qua mnag")[0]
    assert "Lừa đảo qua mạng" in typo.snippet


def test_nothing_found(library: Library) -> None:
    assert library.search("") == []
    assert library.search("   ?!  ") == []
    assert library.search("xyzzy qwrtp") == []
    assert library.search("chi thi 48", limit=0) == []
    assert SearchIndex([]).search("chi thi") == []


# --- people's ways of asking (kept apart from the held-out set in tests/search/) -------


@pytest.mark.parametrize(
    ("query", "lang", "expected"),
    [
        ("nghj dinh 06", "vi", "nd-06-2013"),  # one wrong letter in a short word
        ("so dien thoaj khan cap", "vi", "so-dien-thoai-khan-cap"),
        ("luat an ninh mabg", "vi", "an-toan-mang"),
        ("ngày toàn dân phòng cháy chữa cháy là ngày nào", "vi", "phong-chay-chua-chay"),
        ("số nào để gọi xe cứu thương", "vi", "so-dien-thoai-khan-cap"),
        ("hỏa hoạn", "vi", "phong-chay-chua-chay"),
        ("nhiệm vụ 6 của chỉ thị 07 là gì vậy", "vi", "chi-thi-07-nhiem-vu-6"),
        ("which day is fire prevention day", "en", "phong-chay-chua-chay"),
        ("fraud", "en", "lua-dao-tin-gia"),
        ("hotline for children", "en", "so-dien-thoai-khan-cap"),
        ("what did decree 06/2013 replace", "en", "nd-06-2013"),
    ],
)
def test_natural_questions_typos_and_synonyms(
    library: Library, query: str, lang: str, expected: str
) -> None:
    assert expected in [hit.explainer.id for hit in library.search(query, lang)[:3]], query


def test_stop_words_weigh_little_but_count_alone() -> None:
    assert [stop for _, stop in query_words("cháy nhà thì gọi số nào")] == [
        False,
        False,
        True,
        False,
        False,
        True,
    ]
    assert [stop for _, stop in query_words("chi thi so 7")] == [False] * 4  # "thi" is "thị"
    assert [stop for _, stop in query_words("AI ai")] == [False, True]  # capitals: an acronym
    assert [stop for _, stop in query_words("CHỈ THỊ 09 LÀ GÌ")] == [False] * 3 + [True] * 2
    assert [token for token, _ in query_words("tasks companies news class")] == [
        "task",
        "company",
        "new",
        "class",
    ]


def test_only_common_words_still_search(library: Library) -> None:
    assert len(library.search("là gì", limit=5)) <= 5
    assert library.search("xyzzy qwrtp") == []


@pytest.mark.parametrize(
    ("text", "greeting"),
    [
        ("xin chào", True),
        ("Chào bạn!", True),
        ("chao ban nhe", True),
        ("Hello bot 👋", True),
        ("hi there", True),
        ("Good morning", True),
        ("xin chào, chỉ thị 07 là gì", False),
        ("chào mừng ngày 19/8", False),
        ("hello world of scams", False),
        ("", False),
    ],
)
def test_greetings(text: str, greeting: bool) -> None:
    assert is_greeting(text) is greeting


def test_body_text_ranks_above_see_also_lines(tmp_path: Path) -> None:
    explains = (
        "## Bí mật\n\nBí mật nhà nước có ba độ mật: Tuyệt mật, Tối mật và Mật. Giữ bí mật "
        "nhà nước là việc của mọi người lao động trong cơ quan, doanh nghiệp, nhà trường.\n"
    )
    points = (
        "## Phòng cháy\n\nSố 114 để báo cháy và gọi cứu nạn, cứu hộ khi cần.\n\n"
        "Xem thêm: [Bí mật nhà nước](doc:giai-thich).\n"
    )
    for explainer_id, body in (("giai-thich", explains), ("tro-den", points)):
        path = tmp_path / "vi" / f"{explainer_id}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(FRONT.format(id=explainer_id) + body, encoding="utf-8")
    hits = load_library(tmp_path).search("bí mật nhà nước")
    assert [hit.explainer.id for hit in hits] == ["giai-thich"]  # the pointer alone is too weak
    assert load_library(tmp_path).search("báo cháy")[0].explainer.id == "tro-den"


def test_synonyms_file_problems_name_the_line(tmp_path: Path) -> None:
    path = tmp_path / "synonyms.yaml"
    path.write_text("groups:\n  - [lừa đảo, scam]\n  - [một mình]\n  - [Scam, fraud]\n", "utf-8")
    problems = [(p.line, p.message) for p in read_synonyms(path).problems]
    assert problems == [
        (3, "a group is a list of at least two phrases"),
        (4, "'Scam' is already in the group of line 2"),
    ]
    synonyms = read_synonyms(path).synonyms
    assert synonyms.rewrite(["bi", "lua", "dao", "scam", "fraud"]) == ["bi", "~0", "~0", "~2"]


FRONT = """---
id: {id}
document: null
title: Bài {id}
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


# --- speed -----------------------------------------------------------------------------


def big_corpus(library: Library, sections: int) -> list[Explainer]:
    base = library.explainers("vi")
    corpus: list[Explainer] = []
    total = copy = 0
    while total < sections:
        for explainer in base:
            parts = explainer.sections[: sections - total]
            if not parts:
                break
            parts = tuple(replace(s, text=f"Đơn vị số {copy}. {s.text}") for s in parts)
            corpus.append(replace(explainer, id=f"{explainer.id}-{copy}", sections=parts))
            total += len(parts)
        copy += 1
    return corpus


def test_ranking_holds_on_two_thousand_sections(library: Library) -> None:
    """The big corpus of the benchmark (bench/search_bench.py measures its speed)."""
    corpus = big_corpus(library, 2000)
    assert sum(len(e.sections) for e in corpus) == 2000
    index = SearchIndex(corpus)
    queries = [
        "chi thi 48",
        "Chỉ thị 48-CT/TW",
        "chithi48",
        "nghi dinh bao ve co quan",
        "ngay hoi 19/8",
        "thong tu 124",
        "lua dao qua mang",
        "bi mat nha nuoc",
        "114",
        "phong chay chua chay",
        "lua dao qua mnag",
        "an ninh mang",
        "tu phong tu quan",
    ] * 20
    for query in queries[:13]:
        assert index.search(query), query
    assert index.search("chi thi 48")[0].explainer.id.startswith("ct-48-tw")
