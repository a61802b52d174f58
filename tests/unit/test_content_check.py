"""The content checker: each kind of broken file is reported at the right line."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.domain.content import check_content
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
