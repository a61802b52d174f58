"""The quiz checker behind `canhgiac quizzes check` and the tests.

It runs the per-file schema of `quiz.parse_bank` on every bank, then the rules that need
the whole picture: bank and question ids unique across banks, no question asked twice in
different banks (compared on folded text: no case, no diacritics, no punctuation), and
every `learn_more` naming an explainer that exists in the bank's language (`content/vi/`
for a Vietnamese bank, `content/en/` for an English one).

Warnings are editorial (the bot still serves the bank; `quizzes check` fails on them): a
question citing a replaced document must name its successor in its explanation, which is
what the learner reads last; "ANTQ" and "ANTT" are spelled out before their first use.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from bot.domain.abbreviations import explanation_hint, unexplained
from bot.domain.content_check import scan_content
from bot.domain.content_frontmatter import split_file
from bot.domain.quiz import (
    BankFile,
    Problem,
    bank_paths,
    duplicate_id_problems,
    read_bank_file,
)
from bot.domain.replaced_check import ReplacedDocument, cites, names_successor, replaced_documents
from bot.domain.text import fold

EXPLAINER_LANGUAGE = "vi"


def explainer_ids(content_dir: Path, lang: str = EXPLAINER_LANGUAGE) -> set[str]:
    """The `id` in the front matter of every explainer of `lang` that has one."""
    ids: set[str] = set()
    for path in sorted((content_dir / lang).glob("*.md")):
        try:
            front = split_file(path, path.read_text(encoding="utf-8")).front
        except (OSError, UnicodeDecodeError):
            continue  # a broken explainer is the content checker's to report
        value = front.data.get("id") if front is not None else None
        if isinstance(value, str):
            ids.add(value.strip())
    return ids


def _language(bank_file: BankFile) -> str:
    return bank_file.bank.language if bank_file.bank is not None else EXPLAINER_LANGUAGE


def cross_bank_problems(
    files: Sequence[BankFile],
    known_explainers: set[str] | None,
    english_explainers: set[str] | None = None,
) -> list[Problem]:
    """Rules across banks: unique ids, no repeated question, existing explainer links in
    the bank's language (not checked when `known_explainers` is None; English banks are
    checked against `english_explainers` when given)."""
    problems = duplicate_id_problems(files)
    first_seen: dict[str, tuple[Path, str]] = {}
    for bank_file in files:
        english = _language(bank_file) == "en" and english_explainers is not None
        known = english_explainers if english else known_explainers
        folder = "en" if english else EXPLAINER_LANGUAGE
        for question in bank_file.questions:
            key = fold(question.text)
            where = first_seen.setdefault(key, (bank_file.path, question.id))
            if where != (bank_file.path, question.id):
                message = f"question {question.id!r} repeats {where[1]!r} in {where[0]}"
                line = bank_file.line_of("text", question.id)
                problems.append(Problem(bank_file.path, line, message))
            if known is not None and question.learn_more not in known:
                message = (
                    f"learn_more {question.learn_more!r} is not the id of any explainer "
                    f"in content/{folder}/"
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
    problems += cross_bank_problems(
        files, explainer_ids(content_dir), explainer_ids(content_dir, "en")
    )
    return files, sorted(problems, key=lambda problem: (str(problem.path), problem.line))


def check_banks(quizzes_dir: Path, content_dir: Path) -> list[Problem]:
    """Every problem in the banks of `quizzes_dir`, in file and line order."""
    return scan_banks(quizzes_dir, content_dir)[1]


def editorial_warnings(
    files: Sequence[BankFile], documents: Sequence[ReplacedDocument]
) -> list[Problem]:
    """Replaced documents cited without their successor in the explanation, and
    abbreviations used before they are spelled out, question by question."""
    warnings: list[Problem] = []
    for bank_file in files:
        lang = _language(bank_file)
        if bank_file.bank is not None:
            for short in unexplained(bank_file.bank.title, lang):
                hint = explanation_hint(short, lang)
                message = f"'{short}' in the title is not spelled out: write '{hint}'"
                warnings.append(Problem(bank_file.path, bank_file.line_of("title"), message))
        for question in bank_file.questions:
            whole = "\n".join((question.text, *question.options, question.explanation))
            for document in documents:
                cited = cites(whole, document, (question.learn_more,))
                if cited and not names_successor(question.explanation, document):
                    message = (
                        f"question {question.id!r} cites {document.document}, which was "
                        f"replaced; name its successor {document.successor} in the explanation"
                    )
                    line = bank_file.line_of("explanation", question.id)
                    warnings.append(Problem(bank_file.path, line, message))
            for short in unexplained(whole, lang):
                message = (
                    f"question {question.id!r} uses '{short}' before spelling it out: "
                    f"write '{explanation_hint(short, lang)}'"
                )
                warnings.append(
                    Problem(bank_file.path, bank_file.line_of("text", question.id), message)
                )
    return sorted(warnings, key=lambda problem: (str(problem.path), problem.line))


def bank_warnings(files: Sequence[BankFile], content_dir: Path) -> list[Problem]:
    """The editorial warnings, with the replaced documents read from `content_dir`."""
    documents = replaced_documents(scan_content(content_dir).explainers)
    return editorial_warnings(files, documents)
