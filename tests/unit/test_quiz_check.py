"""Each rule of the quiz checker is caught, and points at the offending line."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.domain.quiz import Problem, QuizFormatError, load_banks
from bot.domain.quiz_check import bank_warnings, check_banks, explainer_ids, scan_banks

BANK = """\
id: mau
title: "Ngân hàng mẫu"
language: vi
topic: thu-nghiem
pass_mark: 70
questions_per_attempt: 2
seconds_per_question: 30
questions:
  - id: mau-1
    text: "Câu hỏi thứ nhất là gì?"
    options:
      - "Phương án A"
      - "Phương án B"
      - "Phương án C"
    correct: 0
    explanation: "Giải thích ngắn."
    difficulty: easy
    source: SEED
    learn_more: chi-thi-07
  - id: mau-2
    text: "Câu hỏi thứ hai là gì?"
    options: ["Có", "Không"]
    correct: [1]
    explanation: "Giải thích khác."
    difficulty: hard
    source: "P45, P46"
    learn_more: chi-thi-07
"""


def line_of(text: str, needle: str, occurrence: int = 1) -> int:
    hits = [number for number, line in enumerate(text.splitlines(), 1) if needle in line]
    return hits[occurrence - 1]


@pytest.fixture
def content(tmp_path: Path) -> Path:
    folder = tmp_path / "content"
    (folder / "vi").mkdir(parents=True)
    (folder / "vi" / "chi-thi-07.md").write_text(
        "---\nid: chi-thi-07\ntitle: Chỉ thị 07\n---\n\n## Nội dung\n", encoding="utf-8"
    )
    return folder


def check_one(tmp_path: Path, content: Path, text: str, name: str = "mau") -> list[Problem]:
    folder = tmp_path / "quizzes"
    folder.mkdir(exist_ok=True)
    (folder / f"{name}.yaml").write_text(text, encoding="utf-8")
    return check_banks(folder, content)


def test_the_sample_bank_is_clean(tmp_path: Path, content: Path) -> None:
    assert check_one(tmp_path, content, BANK) == []
    bank = load_banks(tmp_path / "quizzes")["mau"]
    assert bank.question("mau-2").correct == frozenset({1})
    assert bank.question("mau-1").options == ("Phương án A", "Phương án B", "Phương án C")
    with pytest.raises(KeyError):
        bank.question("khong-co")


CASES = [
    # (what is replaced, by what, the line the problem must point at, words of the message)
    ('"Câu hỏi thứ nhất là gì?"', '"' + "x" * 301 + '"', "xxxx", "limit is 300"),
    ('"Giải thích ngắn."', '"' + "y" * 201 + '"', "yyyy", "limit is 200"),
    ('"Giải thích ngắn."', '"một\\nhai\\nba\\nbốn"', "một", "line breaks"),
    ('      - "Phương án B"\n      - "Phương án C"\n', "", "options:", "2 to 10"),
    ('"Phương án B"', '"' + "z" * 101 + '"', "zzzz", "limit is 100"),
    ('"Phương án C"', '"Phương án A"', ("Phương án A", 2), "repeats"),
    ("correct: 0", "correct: 3", "correct: 3", "out of range"),
    ("correct: 0", 'correct: "A"', 'correct: "A"', "option index"),
    ("correct: 0", "correct: [0, 1, 2]", "correct: [0, 1, 2]", "every option"),
    ("difficulty: easy", "difficulty: trivial", "trivial", "easy, medium, hard"),
    ("source: SEED", 'source: ""', 'source: ""', "'source' is missing"),
    ("source: SEED", 'source: "một nguồn"', "một nguồn", "tags"),
    ("learn_more: chi-thi-07\n  - id", "learn_more: khong-co\n  - id", "khong-co", "explainer"),
    ("id: mau-2", "id: mau-1", ("id: mau-1", 2), "used twice"),
    ("pass_mark: 70", "pass_mark: 0", "pass_mark", "from 1 to 100"),
    ("pass_mark: 70", "pass_mark: 101", "pass_mark", "from 1 to 100"),
    ("questions_per_attempt: 2", "questions_per_attempt: 3", "questions_per_attempt", "1 to 2"),
    ("seconds_per_question: 30", "seconds_per_question: 2", "seconds_per_question", "5 to 600"),
    ("language: vi", "language: fr", "language", "vi, en"),
    ("    difficulty: easy\n", "    difficulty: easy\n    hint: x\n", "hint: x", "unknown field"),
    ('    explanation: "Giải thích ngắn."\n', "", "id: mau-1", "'explanation' is missing"),
    ("    source: SEED\n", "    source: SEED\n    source: P1\n", "source: P1", "twice"),
    ("pass_mark: 70", "pass_mark: 70: 80", "pass_mark", "invalid YAML"),
    ("id: mau\n", "id: khac\n", "id: khac", "file name"),
    ("id: mau-1", "id: Mau 1", "id: Mau 1", "lower-case"),
]


@pytest.mark.parametrize(("old", "new", "needle", "words"), CASES)
def test_each_rule_names_the_line(
    tmp_path: Path, content: Path, old: str, new: str, needle: str | tuple[str, int], words: str
) -> None:
    assert old in BANK
    broken = BANK.replace(old, new, 1)
    problems = check_one(tmp_path, content, broken)
    assert problems, f"no problem found after replacing {old!r}"
    matching = [problem for problem in problems if words in problem.message]
    assert matching, [str(problem) for problem in problems]
    text, occurrence = needle if isinstance(needle, tuple) else (needle, 1)
    assert matching[0].line == line_of(broken, text, occurrence)
    assert str(matching[0]).startswith(f"{tmp_path / 'quizzes' / 'mau.yaml'}:{matching[0].line}: ")


def test_load_banks_refuses_a_broken_file_and_names_file_and_line(tmp_path: Path) -> None:
    folder = tmp_path / "quizzes"
    folder.mkdir()
    (folder / "mau.yaml").write_text(BANK.replace("correct: 0", "correct: 7"), encoding="utf-8")
    with pytest.raises(QuizFormatError) as caught:
        load_banks(folder)
    assert f"mau.yaml:{line_of(BANK, 'correct: 0')}:" in str(caught.value)
    with pytest.raises(QuizFormatError, match="no such folder"):
        load_banks(tmp_path / "missing")


def second_bank(text_of_first_question: str) -> str:
    return (
        BANK.replace("id: mau\n", "id: sau\n")
        .replace("mau-1", "sau-1")
        .replace("mau-2", "sau-2")
        .replace("Câu hỏi thứ nhất là gì?", text_of_first_question)
        .replace("thứ hai", "số hai")
    )


def test_the_same_question_in_two_banks_is_caught_on_folded_text(
    tmp_path: Path, content: Path
) -> None:
    check_one(tmp_path, content, BANK)
    other = second_bank("CÂU HOI   thu nhat, la GI")
    problems = check_one(tmp_path, content, other, name="sau")
    assert [(problem.path.name, problem.line) for problem in problems] == [
        ("sau.yaml", line_of(other, "CÂU HOI"))
    ]
    assert "repeats 'mau-1'" in problems[0].message


def test_ids_are_unique_across_banks(tmp_path: Path, content: Path) -> None:
    check_one(tmp_path, content, BANK)
    other = second_bank("Một câu hỏi khác hẳn?").replace("sau-2", "mau-2")
    problems = check_one(tmp_path, content, other, name="sau")
    assert len(problems) == 1
    assert problems[0].line == line_of(other, "id: mau-2")
    assert "already used" in problems[0].message
    with pytest.raises(QuizFormatError, match="already used"):
        load_banks(tmp_path / "quizzes")


def test_bank_ids_are_unique_across_files(tmp_path: Path, content: Path) -> None:
    check_one(tmp_path, content, BANK)
    twin = second_bank("Câu khác?").replace("id: sau\n", "id: mau\n")
    problems = check_one(tmp_path, content, twin, name="mau-copy")
    messages = " | ".join(problem.message for problem in problems)
    assert "bank id 'mau' is already used" in messages


def test_problem_text() -> None:
    assert str(Problem(Path("q.yaml"), 4, "bad")) == "q.yaml:4: bad"


def test_explainer_ids_read_front_matter_only(tmp_path: Path) -> None:
    folder = tmp_path / "vi"
    folder.mkdir()
    (folder / "a.md").write_text("---\nid: mot\n---\nbody\n", encoding="utf-8")
    (folder / "b.md").write_text("no front matter\n", encoding="utf-8")
    (folder / "c.md").write_text("---\nid: [broken\n---\n", encoding="utf-8")
    assert explainer_ids(tmp_path) == {"mot"}


# --- learn_more in the bank's language, and the editorial warnings ---------------------

EXPLAINER = """---
id: {id}
document: {document}
title: "Văn bản {id}"
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

Nội dung.
"""


def explainer(content: Path, lang: str, explainer_id: str, **front: str) -> None:
    values = {"document": "124/2021/TT-BCA", "status": "in_force", "replaced_by": "null"}
    values.update(front)
    path = content / lang / f"{explainer_id}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(EXPLAINER.format(id=explainer_id, **values), encoding="utf-8")


def test_english_banks_link_to_english_explainers(tmp_path: Path, content: Path) -> None:
    english = BANK.replace("language: vi", "language: en")
    problems = check_one(tmp_path, content, english)
    assert [p.message for p in problems] == [
        "learn_more 'chi-thi-07' is not the id of any explainer in content/en/"
    ] * 2
    (content / "en").mkdir()
    (content / "en" / "chi-thi-07.md").write_text("---\nid: chi-thi-07\n---\n", encoding="utf-8")
    assert check_one(tmp_path, content, english) == []


@pytest.fixture
def replaced(content: Path) -> Path:
    """ "tt-23-2012" (23/2012/TT-BCA) was replaced by "tt-124-2021" (124/2021/TT-BCA)."""
    explainer(content, "vi", "tt-124-2021")
    explainer(
        content,
        "vi",
        "tt-23-2012",
        document="23/2012/TT-BCA",
        status="replaced",
        replaced_by="tt-124-2021",
    )
    return content


def warnings_for(tmp_path: Path, content: Path, text: str) -> list[Problem]:
    folder = tmp_path / "quizzes"
    folder.mkdir(exist_ok=True)
    (folder / "mau.yaml").write_text(text, encoding="utf-8")
    files, problems = scan_banks(folder, content)
    assert problems == []
    return bank_warnings(files, content)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ('"Câu hỏi thứ nhất là gì?"', '"Theo Thông tư 23/2012/TT-BCA, ai ký cam kết?"'),
        ('"Phương án B"', '"Thông tư 23/2012/TT-BCA"'),
        ('"Giải thích ngắn."', '"Theo thông tư 23, 100% ký."'),
        ("learn_more: chi-thi-07\n  - id", "learn_more: tt-23-2012\n  - id"),
    ],
)
def test_a_replaced_document_needs_its_successor_in_the_explanation(
    tmp_path: Path, replaced: Path, old: str, new: str
) -> None:
    assert old in BANK
    bank = BANK.replace(old, new, 1)
    found = warnings_for(tmp_path, replaced, bank)
    assert [(p.line, p.message) for p in found] == [
        (
            line_of(bank, "explanation:", 1),
            "question 'mau-1' cites 23/2012/TT-BCA, which was replaced; "
            "name its successor 124/2021/TT-BCA in the explanation",
        )
    ]
    named = bank.replace('explanation: "', 'explanation: "Nay là Thông tư 124/2021/TT-BCA. ', 1)
    assert warnings_for(tmp_path, replaced, named) == []


def test_the_successor_in_the_question_alone_is_not_enough(tmp_path: Path, replaced: Path) -> None:
    bank = BANK.replace(
        '"Câu hỏi thứ nhất là gì?"', '"Thông tư 23/2012 hay Thông tư 124/2021 quy định gì?"'
    )
    assert len(warnings_for(tmp_path, replaced, bank)) == 1


@pytest.mark.parametrize(
    ("old", "new", "short"),
    [
        ('"Câu hỏi thứ nhất là gì?"', '"Đơn vị đạt chuẩn ANTT khi nào?"', "ANTT"),
        ('"Phương án B"', '"Phong trào bảo vệ ANTQ"', "ANTQ"),
        ('title: "Ngân hàng mẫu"', 'title: "Phong trào bảo vệ ANTQ"', "ANTQ"),
    ],
)
def test_abbreviations_are_spelled_out(
    tmp_path: Path, content: Path, old: str, new: str, short: str
) -> None:
    found = warnings_for(tmp_path, content, BANK.replace(old, new, 1))
    assert len(found) == 1 and f"'{short}'" in found[0].message
    spelled = BANK.replace(old, new.replace(short, f"an ninh Tổ quốc ({short})"), 1)
    if short == "ANTT":
        spelled = BANK.replace(old, new.replace(short, "an ninh, trật tự (ANTT)"), 1)
    assert warnings_for(tmp_path, content, spelled) == []
