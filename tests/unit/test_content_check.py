"""The content checker: each kind of broken file is reported at the right line."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.domain.content import check_content
from bot.domain.content_check import scan_content
from bot.domain.content_model import Problem

# A valid explainer; the comment on each line is its line number in the file.
VALID = [
    "---",  # 1
    "id: {id}",  # 2
    "document: 48-CT/TW",  # 3
    "title: Chỉ thị thử",  # 4
    "issuer: Bộ Chính trị",  # 5
    "issued: 2010-10-22",  # 6
    "status: in_force",  # 7
    "replaced_by: null",  # 8
    "category: van-ban",  # 9
    "tags:",  # 10
    "  - phòng, chống tội phạm",  # 11
    "summary: Một dòng tóm tắt.",  # 12
    "sources: [SEED, P23]",  # 13
    "min_read_seconds: 60",  # 14
    "---",  # 15
    "## Phần một",  # 16
    "",  # 17
    "Đoạn văn thứ nhất,",  # 18
    "kéo sang dòng thứ hai.",  # 19
    "",  # 20
    "## Phần hai",  # 21
    "",  # 22
    "- mục một",  # 23
    "- mục hai",  # 24
]


def lines_of(explainer_id: str, **replace: str) -> list[str]:
    """VALID with some lines replaced, keyed by `L<line number>`."""
    lines = [line.format(id=explainer_id) for line in VALID]
    for key, value in replace.items():
        lines[int(key[1:]) - 1] = value
    return lines


def write(root: Path, explainer_id: str, lines: list[str], lang: str = "vi") -> Path:
    path = root / lang / f"{explainer_id}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def problems_in(root: Path, explainer_id: str = "thu", **replace: str) -> list[tuple[int, str]]:
    path = write(root, explainer_id, lines_of(explainer_id, **replace))
    return [(p.line, p.message) for p in check_content(root) if p.path == path]


def assert_one(found: list[tuple[int, str]], line: int, fragment: str) -> None:
    assert any(at == line and fragment in message for at, message in found), found


def test_a_valid_file_has_no_problems(tmp_path: Path) -> None:
    assert problems_in(tmp_path) == []


def test_problem_prints_as_path_line_message() -> None:
    assert str(Problem(Path("content/vi/x.md"), 7, "bad")) == "content/vi/x.md:7: bad"


@pytest.mark.parametrize(
    ("replace", "line", "fragment"),
    [
        ({"L1": "id: thu"}, 1, "must start with a '---' line"),
        ({"L15": "khong phai dong dong"}, 1, "never closed"),
        ({"L4": "title: [chưa đóng"}, 5, "not valid YAML"),
        ({"L12": "summary_: Một dòng."}, 12, "unknown field 'summary_'"),
        ({"L12": "summary_: Một dòng."}, 15, "missing field 'summary'"),
        ({"L5": "title: Lần nữa"}, 5, "'title' is given twice"),
        ({"L2": "id: Sai_Id"}, 2, "lower-case letters"),
        ({"L2": "id: ten-khac"}, 2, "differs from the file name"),
        ({"L3": "document: bốn mươi tám"}, 3, "does not look like an official number"),
        ({"L3": "document: null"}, 3, "needs the official number"),
        ({"L9": "category: chu-de"}, 3, "topic explainer (chu-de) has 'document: null'"),
        ({"L9": "category: tin-tuc"}, 9, "'category' is 'tin-tuc'"),
        ({"L7": "status: het-hieu-luc"}, 7, "'status' is 'het-hieu-luc'"),
        ({"L7": "status: replaced"}, 8, "name the successor in 'replaced_by'"),
        ({"L8": "replaced_by: khong-co-bai-nay"}, 8, "neither an explainer id"),
        ({"L6": "issued: 22/10/2010"}, 6, "must be a date YYYY-MM-DD"),
        ({"L6": "issued: 2010-02-30"}, 6, "must be a date YYYY-MM-DD"),
        ({"L10": "tags: phòng chống tội phạm", "L11": ""}, 10, "'tags' must be a non-empty list"),
        ({"L11": "  - 12"}, 11, "every item of 'tags'"),
        ({"L13": "sources: []"}, 13, "'sources' must be a non-empty list"),
        ({"L13": "sources:\n  - SEED\n  - Trang web"}, 15, "must be SEED or P<number>"),
        ({"L14": "min_read_seconds: true"}, 14, "positive whole number"),
        ({"L14": "min_read_seconds: một phút"}, 14, "positive whole number"),
        ({"L12": "summary: |\n  hai\n  dòng"}, 12, "must fit on one line"),
        ({"L5": "issuer: null"}, 5, "must name its issuer"),
    ],
)
def test_front_matter_problems(
    tmp_path: Path, replace: dict[str, str], line: int, fragment: str
) -> None:
    assert_one(problems_in(tmp_path, **replace), line, fragment)


@pytest.mark.parametrize(
    ("replace", "line", "fragment"),
    [
        ({"L19": "kéo sang [bài khác](doc:khong-co)."}, 19, "unknown explainer 'doc:khong-co'"),
        ({"L19": "kéo sang [trang](javascript:alert)."}, 19, "must start with https://"),
        ({"L19": "kéo sang [](https://example.org)."}, 19, "a link needs some text"),
        ({"L19": "kéo sang **chữ đậm chưa đóng."}, 19, "'**' is never closed"),
        ({"L18": "Đoạn *nghiêng **đậm* lẫn**"}, 18, "overlap"),
        ({"L18": "Đoạn có <br> thẻ HTML"}, 18, "raw HTML"),
        ({"L21": "# Tiêu đề cấp một"}, 21, "only '## ' headings"),
        ({"L21": "### Tiêu đề cấp ba"}, 21, "only '## ' headings"),
        ({"L21": "##"}, 21, "needs a title"),
        ({"L21": "## Có [liên kết](https://example.org)"}, 21, "cannot hold a link"),
        ({"L23": "* mục một"}, 23, "'- ', not '* '"),
        ({"L23": "> trích dẫn"}, 23, "quotes"),
        ({"L23": "| a | b |"}, 23, "tables"),
        ({"L23": "```"}, 23, "code blocks"),
        ({"L18": "", "L19": ""}, 16, "section 'Phần một' has no text"),
    ],
)
def test_body_problems(tmp_path: Path, replace: dict[str, str], line: int, fragment: str) -> None:
    assert_one(problems_in(tmp_path, **replace), line, fragment)


def test_empty_body(tmp_path: Path) -> None:
    path = write(tmp_path, "rong", lines_of("rong")[:15])
    assert_one(
        [(p.line, p.message) for p in check_content(tmp_path) if p.path == path],
        16,
        "the body has no text",
    )


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "vi" / "latin.md"
    path.parent.mkdir(parents=True)
    path.write_bytes("\n".join(lines_of("latin")).encode("utf-8") + b"\n\xe9t\xe9\n")
    assert [(p.line, p.message) for p in check_content(tmp_path)] == [(25, "not valid UTF-8 text")]


def test_a_link_inside_a_paragraph_points_at_its_own_line(tmp_path: Path) -> None:
    found = problems_in(tmp_path, L19="kéo [một](doc:thu) rồi [hai](doc:khong-co) nữa.")
    assert found == [(19, "link to unknown explainer 'doc:khong-co'")]


def test_ids_are_unique_per_language(tmp_path: Path) -> None:
    write(tmp_path, "mot", lines_of("mot"))
    second = write(tmp_path, "hai", lines_of("mot"))
    problems = [(p.path, p.line, p.message) for p in check_content(tmp_path)]
    assert (second, 2, f"id 'mot' is already used by {tmp_path / 'vi' / 'mot.md'}") in problems


def test_english_needs_a_vietnamese_original_with_the_same_facts(tmp_path: Path) -> None:
    write(tmp_path, "thu", lines_of("thu"))
    lone = write(tmp_path, "chi-tieng-anh", lines_of("chi-tieng-anh"), lang="en")
    odd = write(tmp_path, "thu", lines_of("thu", L6="issued: 2011-01-01"), lang="en")
    problems = [(p.path, p.line, p.message) for p in check_content(tmp_path)]
    assert (lone, 2, "'chi-tieng-anh' has no Vietnamese version (vi/chi-tieng-anh.md)") in problems
    assert any(path == odd and line == 6 and "'issued'" in msg for path, line, msg in problems)


def test_required_english_versions(tmp_path: Path) -> None:
    directive = write(tmp_path, "chi-thi-07", lines_of("chi-thi-07"))
    problems = [(p.path, p.line, p.message) for p in check_content(tmp_path)]
    assert (directive, 2, "'chi-thi-07' needs an English version (en/chi-thi-07.md)") in problems
    write(tmp_path, "chi-thi-07", lines_of("chi-thi-07"), lang="en")
    assert check_content(tmp_path) == []


def test_replaced_by_may_name_an_explainer_or_a_document(tmp_path: Path) -> None:
    write(tmp_path, "moi", lines_of("moi"))
    replaced = {"L7": "status: replaced"}
    assert problems_in(tmp_path, "cu", L8="replaced_by: moi", **replaced) == []
    assert problems_in(tmp_path, "cu", L8="replaced_by: 44-NQ/TW", **replaced) == []


def test_folder_problems(tmp_path: Path) -> None:
    missing = tmp_path / "khong-co"
    assert [str(p) for p in check_content(missing)] == [f"{missing}:0: no content folder here"]
    write(tmp_path, "thu", lines_of("thu"), lang="fr")
    messages = [str(p) for p in check_content(tmp_path)]
    assert f"{tmp_path / 'fr' / 'thu.md'}:0: unknown language folder 'fr' (known: vi, en)" in (
        messages
    )
    assert f"{tmp_path / 'vi'}:0: no Vietnamese explainers" in messages


def test_problems_are_sorted_by_file_and_line(tmp_path: Path) -> None:
    write(tmp_path, "b", lines_of("b", L9="category: x", L3="document: y"))
    write(tmp_path, "a", lines_of("a", L14="min_read_seconds: 0"))
    found = [(p.path.name, p.line) for p in check_content(tmp_path)]
    assert found == sorted(found)


# --- editorial warnings: the bot serves these files, `content check` fails on them ------


def warnings_in(root: Path, *, english: bool = False) -> list[tuple[str, int, str]]:
    """The warnings as (file stem, line, message); missing English versions only if asked."""
    return [
        (p.path.stem, p.line, p.message)
        for p in scan_content(root).warnings
        if english or not p.message.startswith("no English version")
    ]


def replaced_pair(root: Path) -> None:
    """ "cu" (23/2012/TT-BCA) was replaced by the explainer "moi" (124/2021/TT-BCA)."""
    write(root, "moi", lines_of("moi", L3="document: 124/2021/TT-BCA", L9="category: tieu-chuan"))
    write(
        root,
        "cu",
        lines_of(
            "cu",
            L3="document: 23/2012/TT-BCA",
            L7="status: replaced",
            L8="replaced_by: moi",
            L9="category: tieu-chuan",
        ),
    )


@pytest.mark.parametrize(
    "citation",
    [
        "theo Thông tư 23/2012/TT-BCA, đơn vị ký cam kết.",
        "theo thong tu 23, đơn vị ký cam kết.",
        "theo TT 23/2012, đơn vị ký cam kết.",
        "theo [thông tư cũ](doc:cu), đơn vị ký cam kết.",
        "under Circular 23/2012/TT-BCA, staff signed.",
    ],
)
def test_citing_a_replaced_document_without_its_successor_is_a_warning(
    tmp_path: Path, citation: str
) -> None:
    replaced_pair(tmp_path)
    write(tmp_path, "bai", lines_of("bai", L19=citation))
    found = warnings_in(tmp_path)
    assert ("bai", 16, "") not in found
    assert [(stem, line) for stem, line, _ in found] == [("bai", 16)], found
    assert "cites 23/2012/TT-BCA, which was replaced" in found[0][2]
    assert "successor 124/2021/TT-BCA in section 'Phần một'" in found[0][2]
    assert check_content(tmp_path) == []  # not a problem: the bot still serves the file


@pytest.mark.parametrize(
    "successor",
    [
        "Thông tư 124/2021/TT-BCA nay thay thế nó.",
        "nay là [thông tư mới](doc:moi).",
        "now Circular 124 applies.",
    ],
)
def test_naming_the_successor_in_the_same_section_passes(tmp_path: Path, successor: str) -> None:
    replaced_pair(tmp_path)
    write(
        tmp_path,
        "bai",
        lines_of("bai", L18="Thông tư 23/2012/TT-BCA từng yêu cầu ký,", L19=successor),
    )
    assert [w for w in warnings_in(tmp_path) if w[0] == "bai"] == []


def test_the_successor_named_in_another_section_does_not_count(tmp_path: Path) -> None:
    replaced_pair(tmp_path)
    write(
        tmp_path,
        "bai",
        lines_of("bai", L19="Thông tư 23/2012/TT-BCA từng yêu cầu ký.", L24="- Thông tư 124"),
    )
    assert [(stem, line) for stem, line, _ in warnings_in(tmp_path)] == [("bai", 16)]


def test_a_successor_without_an_explainer_is_named_by_its_number(tmp_path: Path) -> None:
    write(
        tmp_path,
        "nq",
        lines_of(
            "nq",
            L3="document: 28-NQ/TW",
            L7="status: replaced",
            L8="replaced_by: 44-NQ/TW",
            L12="summary: Nghị quyết 28, nay là Nghị quyết 44.",
        ),
    )
    write(tmp_path, "bai", lines_of("bai", L19="Chỉ thị nêu Nghị quyết 28-NQ/TW."))
    write(tmp_path, "tot", lines_of("tot", L19="Nghị quyết 28-NQ/TW, nay là Nghị quyết 44-NQ/TW."))
    found = warnings_in(tmp_path)
    assert [(stem, line) for stem, line, _ in found] == [("bai", 16)]
    assert "successor 44-NQ/TW" in found[0][2]


def test_the_replaced_explainer_itself_and_titles_and_summaries(tmp_path: Path) -> None:
    replaced_pair(tmp_path)
    write(
        tmp_path,
        "cu",
        lines_of(
            "cu",
            L3="document: 23/2012/TT-BCA",
            L7="status: replaced",
            L8="replaced_by: moi",
            L9="category: tieu-chuan",
            L19="Thông tư 23/2012 từng yêu cầu ký cam kết.",
        ),
    )
    write(tmp_path, "bai", lines_of("bai", L12="summary: Tóm tắt Thông tư 23/2012."))
    assert [(stem, line) for stem, line, _ in warnings_in(tmp_path)] == [("bai", 12)]


@pytest.mark.parametrize(
    ("replace", "line", "short"),
    [
        ({"L19": "đạt chuẩn ANTT trong năm."}, 16, "ANTT"),
        ({"L4": "title: Phong trào bảo vệ ANTQ"}, 4, "ANTQ"),
        ({"L12": "summary: Chuẩn ANTT."}, 12, "ANTT"),
        ({"L18": "Về an ninh, trật tự (ANTT).", "L23": "- ANTQ là viết tắt"}, 21, "ANTQ"),
    ],
)
def test_abbreviations_are_spelled_out_before_their_first_use(
    tmp_path: Path, replace: dict[str, str], line: int, short: str
) -> None:
    write(tmp_path, "bai", lines_of("bai", **replace))
    write(tmp_path, "bai", lines_of("bai"), lang="en")
    found = warnings_in(tmp_path)
    assert [(stem, at) for stem, at, _ in found] == [("bai", line)], found
    assert f"'{short}'" in found[0][2]


def test_spelled_out_abbreviations_pass(tmp_path: Path) -> None:
    text = "Bảo vệ an ninh Tổ quốc (ANTQ) và an ninh, trật tự (ANTT); ANTQ, ANTT."
    write(tmp_path, "bai", lines_of("bai", L19=text))
    write(tmp_path, "bai", lines_of("bai", L19="National security (ANTQ)."), lang="en")
    assert warnings_in(tmp_path) == []


def test_a_missing_english_version_is_a_warning(tmp_path: Path) -> None:
    write(tmp_path, "bai", lines_of("bai"))
    found = warnings_in(tmp_path, english=True)
    assert found == [("bai", 2, "no English version yet (en/bai.md)")]
    write(tmp_path, "bai", lines_of("bai"), lang="en")
    assert warnings_in(tmp_path, english=True) == []


def test_an_english_version_cites_the_same_sources(tmp_path: Path) -> None:
    write(tmp_path, "bai", lines_of("bai"))
    english = write(tmp_path, "bai", lines_of("bai", L13="sources: [SEED]"), lang="en")
    problems = [(p.path, p.line, p.message) for p in check_content(tmp_path)]
    assert any(path == english and line == 13 and "'sources'" in m for path, line, m in problems)
