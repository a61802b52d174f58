"""`quizzes check --lint`: length bias per bank, telling openings, banks that are too small."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli.quizzes import app
from bot.domain.quiz import Question, read_bank_file
from bot.domain.quiz_lint import MIN_QUESTIONS, correct_is_longest, lint_banks, repeated_stem

ROOT = Path(__file__).resolve().parents[2]


def question(options: list[str], correct: int | list[int] = 0) -> Question:
    right = frozenset(correct if isinstance(correct, list) else [correct])
    return Question("q", "Câu hỏi?", tuple(options), right, "Vì.", "easy", "SEED", "x")


@pytest.mark.parametrize(
    ("options", "correct", "longest"),
    [
        (["Một câu trả lời rất dài và chi tiết", "Ngắn", "Vừa phải", "Cũng ngắn"], 0, True),
        (["Ngắn", "Một câu trả lời rất dài và chi tiết", "Vừa", "Ít"], 0, False),
        (["19/8/2014", "15/8/2014", "01/12/2011", "25/10/2013"], 1, False),
        (["abcd", "abcd", "ab"], 0, False),  # a tie is not "the longest"
        (["Một câu trả lời rất dài", "A", "B"], [0, 1], False),  # several answers: not counted
    ],
)
def test_correct_is_longest(options: list[str], correct: int | list[int], longest: bool) -> None:
    assert correct_is_longest(question(options, correct)) is longest


@pytest.mark.parametrize(
    ("options", "correct", "stem"),
    [
        (["Đúng là thế", "Chỉ A", "Chỉ B", "Chỉ C"], 0, "chi"),
        (["Đúng", "Chỉ A", "Chỉ B", "Không có"], 0, "chi"),
        (["Only staff", "Only managers", "Everyone"], 2, "only"),
        (["Có, nếu A", "Có, nếu B", "Không, trừ C", "Có, nếu D"], 2, "co"),
        (["Chỉ thị 07", "Chỉ thị 48", "Nghị định 06", "Chỉ thị 09"], 0, None),
        (["Chỉ thị 07", "Chỉ thị 48", "Nghị định 06", "Chỉ thị 09"], 2, "chi"),  # odd one out
        (["Có", "Không", "Chưa"], 0, None),
        (["12/6/2018", "01/01/2019", "01/7/2026", "01/7/2018"], 0, None),
        (["Luật số 116", "Luật số 117", "Luật số 55"], 0, None),
        (["Chỉ trong giờ hành chính", "Không bao giờ", "Có"], 1, None),
    ],
)
def test_telling_openings(options: list[str], correct: int, stem: str | None) -> None:
    assert repeated_stem(question(options, correct)) == stem


BANK_HEAD = """\
id: nho
title: "Ngân hàng nhỏ"
language: vi
topic: thu
pass_mark: 70
questions_per_attempt: 1
seconds_per_question: 30
questions:
"""
QUESTION = """\
  - id: nho-{n}
    text: "Câu hỏi số {n}?"
    options: [{options}]
    correct: 0
    explanation: "Vì thế."
    difficulty: easy
    source: SEED
    learn_more: bai
"""


def write_bank(folder: Path, count: int, longest: int, telling: bool = False) -> Path:
    """A bank of `count` questions; in the first `longest` the right option is the longest."""
    parts = [BANK_HEAD]
    for n in range(count):
        options = '"Đúng và dài hơn", "Sai", "Cũng sai"' if n < longest else '"Đúng", "Sai dài hơn"'
        if telling and n == 0:
            options = '"Đúng", "Chỉ một", "Chỉ hai"'
        parts.append(QUESTION.format(n=n, options=options))
    path = folder / "nho.yaml"
    path.write_text("".join(parts), encoding="utf-8")
    return path


def test_lint_reports_each_rule_with_its_numbers(tmp_path: Path) -> None:
    path = write_bank(tmp_path, count=10, longest=4, telling=True)
    numbers, findings = lint_banks([read_bank_file(path)])
    assert [(n.bank_id, n.questions, n.single_answer, n.correct_longest) for n in numbers] == [
        ("nho", 10, 10, 3)
    ]
    messages = [finding.message for finding in findings]
    assert f"bank has 10 questions; at least {MIN_QUESTIONS} are needed" in messages
    assert (
        any("longest in 3 of 10" in message and "30%" in message for message in messages) is False
    )
    assert any("'nho-0'" in message and "'chi'" in message for message in messages)


def test_a_bank_over_the_share_is_reported(tmp_path: Path) -> None:
    path = write_bank(tmp_path, count=12, longest=4)
    _, findings = lint_banks([read_bank_file(path)])
    assert [finding.message for finding in findings] == [
        "the right option is the longest in 4 of 12 single-answer questions (33%); at most 30%"
    ]
    fair = write_bank(tmp_path, count=12, longest=3)
    assert lint_banks([read_bank_file(fair)])[1] == []


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "content" / "vi").mkdir(parents=True)
    (tmp_path / "content" / "vi" / "bai.md").write_text("---\nid: bai\n---\n", encoding="utf-8")
    (tmp_path / "quizzes").mkdir()
    monkeypatch.setenv("QUIZZES_DIR", str(tmp_path / "quizzes"))
    monkeypatch.setenv("CONTENT_DIR", str(tmp_path / "content"))
    return tmp_path


def test_check_lint_fails_on_findings_and_prints_the_table(project: Path) -> None:
    write_bank(project / "quizzes", count=12, longest=5)
    runner = CliRunner()
    assert runner.invoke(app, ["check"]).exit_code == 0  # the schema alone is fine
    linted = runner.invoke(app, ["check", "--lint"])
    assert linted.exit_code == 1
    assert "nho | 12 | 12 | 5 | 42%" in linted.output
    assert "longest in 5 of 12" in linted.output
    write_bank(project / "quizzes", count=12, longest=2)
    passed = runner.invoke(app, ["check", "--lint"])
    assert passed.exit_code == 0, passed.output
    assert "nho | 12 | 12 | 2 | 17%" in passed.output


def test_the_real_banks_pass_the_lint() -> None:
    result = CliRunner().invoke(
        app,
        ["check", "--lint", "--dir", str(ROOT / "quizzes"), "--content-dir", str(ROOT / "content")],
    )
    assert result.exit_code == 0, result.output
    assert result.output.strip().endswith("no problems.")
