"""The project's own quiz banks: they pass the checker and meet the agreed size and shape."""

from __future__ import annotations

import random
import re
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.domain.quiz import Bank, load_banks, read_bank_file
from bot.domain.quiz_check import bank_warnings, check_banks, explainer_ids
from bot.domain.quiz_engine import draw
from bot.domain.quiz_lint import MAX_LONGEST_SHARE, lint_banks

ROOT = Path(__file__).resolve().parents[2]
QUIZZES = ROOT / "quizzes"
FACTS = ROOT.parent / "shared" / "facts" / "documents.md"
# The explainers the banks link to (ids of content/vi/*.md front matter).
TASKS = tuple(f"chi-thi-07-nhiem-vu-{n}" for n in range(1, 8))
EXPLAINERS = (
    "chi-thi-07",
    *TASKS,
    "nq-28-tw",
    "ct-48-tw",
    "ct-09-tw",
    "nd-06-2013",
    "tt-23-2012",
    "tt-124-2021",
    "qd-521-ttg",
    "bao-ve-bi-mat-nha-nuoc",
    "lua-dao-tin-gia",
    "an-toan-mang",
    "phong-chay-chua-chay",
    "phong-chong-toi-pham",
    "so-dien-thoai-khan-cap",
)
TOPICS = {
    "chi-thi-07",
    "bi-mat-nha-nuoc",
    "lua-dao-tin-gia",
    "an-toan-mang",
    "phong-chay-chua-chay",
    "phong-chong-toi-pham",
}


@pytest.fixture(scope="module")
def banks() -> dict[str, Bank]:
    return load_banks(QUIZZES)


@pytest.fixture
def content_dir(tmp_path: Path) -> Path:
    """The real explainers once they exist; until then, stand-ins with the agreed ids."""
    real = ROOT / "content"
    if any((real / "vi").glob("*.md")):
        return real
    (tmp_path / "vi").mkdir()
    for explainer in EXPLAINERS:
        page = tmp_path / "vi" / f"{explainer}.md"
        page.write_text(f"---\nid: {explainer}\n---\n", encoding="utf-8")
    return tmp_path


def test_the_banks_pass_the_checker(content_dir: Path) -> None:
    assert [str(problem) for problem in check_banks(QUIZZES, content_dir)] == []


def test_the_banks_are_big_enough_and_cover_the_topics(banks: dict[str, Bank]) -> None:
    vietnamese = [bank for bank in banks.values() if bank.language == "vi"]
    english = [bank for bank in banks.values() if bank.language == "en"]
    assert len(vietnamese) >= 6
    assert sum(len(bank.questions) for bank in vietnamese) >= 80
    assert english and max(len(bank.questions) for bank in english) >= 30
    assert all(len(bank.questions) >= 12 for bank in banks.values())
    assert {bank.topic for bank in vietnamese} >= TOPICS


def test_every_task_of_the_directive_is_asked_about(banks: dict[str, Bank]) -> None:
    for language in ("vi", "en"):
        linked = {
            question.learn_more
            for bank in banks.values()
            if bank.language == language
            for question in bank.questions
        }
        assert {"chi-thi-07-nhiem-vu-5", "chi-thi-07-nhiem-vu-7"} <= linked, language
    vietnamese = {q.learn_more for b in banks.values() if b.language == "vi" for q in b.questions}
    assert set(TASKS) <= vietnamese


def test_english_questions_link_to_english_explainers(banks: dict[str, Bank]) -> None:
    english = explainer_ids(ROOT / "content", "en")
    for bank in banks.values():
        if bank.language == "en":
            assert {question.learn_more for question in bank.questions} <= english


def test_the_banks_are_fair_and_warning_free() -> None:
    files = [read_bank_file(path) for path in sorted(QUIZZES.glob("*.yaml"))]
    numbers, findings = lint_banks(files)
    assert [str(finding) for finding in findings] == []
    assert all(row.longest_share <= MAX_LONGEST_SHARE for row in numbers)
    assert [str(warning) for warning in bank_warnings(files, ROOT / "content")] == []


def test_the_2025_festival_is_not_called_the_twentieth(banks: dict[str, Bank]) -> None:
    for bank in banks.values():
        for question in bank.questions:
            whole = " ".join((question.text, *question.options, question.explanation))
            assert "lần thứ 20" not in whole.replace("“lần thứ 20”", ""), question.id


def test_links_and_sources_are_the_agreed_ones(banks: dict[str, Bank]) -> None:
    for bank in banks.values():
        for question in bank.questions:
            assert question.learn_more in EXPLAINERS, question.id
            for tag in question.source.split(","):
                assert re.fullmatch(r"SEED|P\d+", tag.strip()), (question.id, tag)


def test_every_source_tag_is_listed_in_the_fact_sheet(banks: dict[str, Bank]) -> None:
    if not FACTS.is_file():
        pytest.skip("the shared fact sheet is not beside this checkout")
    # Tags are listed one a line ("- P45 https://…"), and later ones in a paragraph of
    # added sources ("Sources added: P58 lapphap.vn …; P59 …").
    listed = set(re.findall(r"(?:^- |: |; |^)(P\d+)\s", FACTS.read_text(encoding="utf-8"), re.M))
    used = {
        tag.strip()
        for bank in banks.values()
        for question in bank.questions
        for tag in question.source.split(",")
    }
    assert used - {"SEED"} <= listed


def test_vietnamese_is_written_with_diacritics(banks: dict[str, Bank]) -> None:
    for bank in banks.values():
        if bank.language == "vi":
            assert not bank.title.isascii()
            for question in bank.questions:
                assert not question.text.isascii(), question.id
                assert not question.explanation.isascii(), question.id


def test_right_answers_are_spread_over_positions(banks: dict[str, Bank]) -> None:
    for bank in banks.values():
        positions = Counter(index for question in bank.questions for index in question.correct)
        assert len(positions) >= 3, bank.id
        assert max(positions.values()) <= len(bank.questions) // 2, bank.id


def test_each_bank_gives_a_full_attempt(banks: dict[str, Bank]) -> None:
    now = datetime(2026, 3, 1, tzinfo=UTC)
    for bank in banks.values():
        drawn = draw(bank, previous_attempt=[], reviews={}, now=now, rng=random.Random(7))
        assert len(drawn) == bank.questions_per_attempt
        second = draw(
            bank,
            previous_attempt=[item.question_id for item in drawn],
            reviews={},
            now=now,
            rng=random.Random(8),
        )
        overlap = {item.question_id for item in drawn} & {item.question_id for item in second}
        assert len(overlap) == max(0, 2 * bank.questions_per_attempt - len(bank.questions))
