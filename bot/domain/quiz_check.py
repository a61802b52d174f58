"""The quiz checker behind `canhgiac quizzes check` and the tests.

It runs the per-file schema of `quiz.parse_bank` on every bank, then the rules that need
the whole picture: bank and question ids unique across banks, no question asked twice in
different banks (compared on folded text: no case, no diacritics, no punctuation), and
every `learn_more` naming an explainer that exists in `content/vi/`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from bot.domain.content_frontmatter import split_file
from bot.domain.quiz import (
    BankFile,
    Problem,
    bank_paths,
    duplicate_id_problems,
    read_bank_file,
)
from bot.domain.text import fold

EXPLAINER_LANGUAGE = "vi"


def explainer_ids(content_dir: Path) -> set[str]:
    """The `id` in the front matter of every Vietnamese explainer that has one."""
    ids: set[str] = set()
    for path in sorted((content_dir / EXPLAINER_LANGUAGE).glob("*.md")):
        try:
            front = split_file(path, path.read_text(encoding="utf-8")).front
        except (OSError, UnicodeDecodeError):
            continue  # a broken explainer is the content checker's to report
        value = front.data.get("id") if front is not None else None
        if isinstance(value, str):
            ids.add(value.strip())
    return ids


def cross_bank_problems(
    files: Sequence[BankFile], known_explainers: set[str] | None
) -> list[Problem]:
    """Rules across banks: unique ids, no repeated question, existing explainer links
    (not checked when `known_explainers` is None)."""
    problems = duplicate_id_problems(files)
    first_seen: dict[str, tuple[Path, str]] = {}
    for bank_file in files:
        for question in bank_file.questions:
            key = fold(question.text)
            where = first_seen.setdefault(key, (bank_file.path, question.id))
            if where != (bank_file.path, question.id):
                message = f"question {question.id!r} repeats {where[1]!r} in {where[0]}"
                line = bank_file.line_of("text", question.id)
                problems.append(Problem(bank_file.path, line, message))
            if known_explainers is not None and question.learn_more not in known_explainers:
                message = (
                    f"learn_more {question.learn_more!r} is not the id of any explainer "
                    f"in content/{EXPLAINER_LANGUAGE}/"
                )
                line = bank_file.line_of("learn_more", question.id)
                problems.append(Problem(bank_file.path, line, message))
    return problems


def scan_banks(quizzes_dir: Path, content_dir: Path) -> tuple[list[BankFile], list[Problem]]:
    """Every bank file of `quizzes_dir` as parsed, and every problem in file and line order."""
    if not quizzes_dir.is_dir():
        return [], [Problem(quizzes_dir, 0, "no such folder")]
    files = [read_bank_file(path) for path in bank_paths(quizzes_dir)]
    if not files:
        return [], [Problem(quizzes_dir, 0, "no bank files (*.yaml) found")]
    problems = [problem for bank_file in files for problem in bank_file.problems]
    problems += cross_bank_problems(files, explainer_ids(content_dir))
    return files, sorted(problems, key=lambda problem: (str(problem.path), problem.line))


def check_banks(quizzes_dir: Path, content_dir: Path) -> list[Problem]:
    """Every problem in the banks of `quizzes_dir`, in file and line order."""
    return scan_banks(quizzes_dir, content_dir)[1]
