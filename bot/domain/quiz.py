"""Quiz banks: the data model, the per-file schema and `load_banks`.

A bank is one YAML file in `quizzes/` (see the README for the format). `parse_bank` checks
one bank's shape and limits and reports every problem with its line; `load_banks` reads a
whole folder and refuses to return anything if a file is broken, so the bot never starts
with a half-loaded bank. Cross-file rules that need more than ids (duplicate wording,
explainer links) live in `quiz_check`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml

from bot.domain.content_model import Problem
from bot.domain.quiz_yaml import LineDict, LineList, error_line, error_message, load_with_lines
from bot.domain.text import utf16_len

LANGUAGES = ("vi", "en")
DIFFICULTIES = ("easy", "medium", "hard")
# Telegram quiz polls: question ≤ 300, option ≤ 100, explanation ≤ 200 with ≤ 2 line feeds.
MAX_TEXT = 300
MAX_OPTION = 100
MIN_OPTIONS, MAX_OPTIONS = 2, 10
MAX_EXPLANATION = 200
MAX_EXPLANATION_BREAKS = 2
# open_period bounds that every Bot API version accepts.
MIN_SECONDS, MAX_SECONDS = 5, 600

ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
TAG_PATTERN = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")
BANK_FIELDS = (
    "id",
    "title",
    "language",
    "topic",
    "pass_mark",
    "questions_per_attempt",
    "seconds_per_question",
    "questions",
)
QUESTION_FIELDS = (
    "id",
    "text",
    "options",
    "correct",
    "explanation",
    "difficulty",
    "source",
    "learn_more",
)


class QuizFormatError(ValueError):
    """A bank folder or file cannot be loaded; `problems` lists every reason found."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        more = len(self.problems) - 1
        suffix = f" (and {more} more problem{'s' if more > 1 else ''})" if more > 0 else ""
        super().__init__(f"{self.problems[0]}{suffix}")


@dataclass(frozen=True)
class Question:
    id: str
    text: str
    options: tuple[str, ...]
    correct: frozenset[int]
    explanation: str
    difficulty: str
    source: str
    learn_more: str


@dataclass(frozen=True)
class Bank:
    id: str
    title: str
    language: str
    topic: str
    pass_mark: int
    questions_per_attempt: int
    seconds_per_question: int
    questions: tuple[Question, ...]
    path: Path

    @cached_property
    def _by_id(self) -> dict[str, Question]:
        return {question.id: question for question in self.questions}

    def question(self, qid: str) -> Question:
        """The question with this id; `KeyError` if the bank has none."""
        try:
            return self._by_id[qid]
        except KeyError:
            raise KeyError(f"bank {self.id!r} has no question {qid!r}") from None


@dataclass
class BankFile:
    """What parsing one bank produced: the bank (only when flawless), its problems, and
    the lines of the questions that did parse, for the cross-file checks."""

    path: Path
    bank: Bank | None = None
    questions: list[Question] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    lines: dict[tuple[str, str], int] = field(default_factory=dict)
    bank_id: str | None = None

    def line_of(self, field_name: str, qid: str = "") -> int:
        """Line of a bank field (qid "") or of a question's field."""
        return self.lines.get((qid, field_name), self.lines.get((qid, ""), 0))


class _Fields:
    """Reads typed fields from one mapping and records a problem for each bad one."""

    def __init__(self, data: LineDict, out: BankFile, index_base: int = 0) -> None:
        self.data, self.out, self.index_base = data, out, index_base

    def problem(self, key: str, message: str) -> None:
        self.out.problems.append(Problem(self.out.path, self.data.line_of(key), message))

    def text(self, key: str, *, limit: int | None = None) -> str | None:
        value = self.data.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            self.problem(key, f"'{key}' is missing or empty")
            return None
        if not isinstance(value, str):
            self.problem(key, f"'{key}' must be text")
            return None
        value = _clean(value)
        size = utf16_len(value)  # Telegram counts UTF-16 code units
        if limit is not None and size > limit:
            self.problem(key, f"'{key}' has {size} characters; the limit is {limit}")
            return None
        return value

    def integer(self, key: str, low: int, high: int | None = None) -> int | None:
        value = self.data.get(key)
        if isinstance(value, bool) or not isinstance(value, int):
            self.problem(key, f"'{key}' must be a whole number")
            return None
        if value < low or (high is not None and value > high):
            bounds = f"from {low} to {high}" if high is not None else f"at least {low}"
            self.problem(key, f"'{key}' is {value}; it must be {bounds}")
            return None
        return value

    def choice(self, key: str, allowed: Sequence[str]) -> str | None:
        value = self.text(key)
        if value is not None and value not in allowed:
            self.problem(key, f"'{key}' is {value!r}; it must be one of {', '.join(allowed)}")
            return None
        return value

    def identifier(self, key: str) -> str | None:
        value = self.text(key)
        if value is not None and not ID_PATTERN.match(value):
            self.problem(key, f"'{key}' {value!r} must be lower-case letters, digits, - or _")
            return None
        return value

    def unknown(self, known: Iterable[str]) -> None:
        allowed = set(known)
        for key in self.data:
            if key not in allowed:
                self.problem(key, f"unknown field {key!r} (allowed: {', '.join(known)})")


def parse_bank(data: Any, path: Path, *, index_base: int = 0) -> BankFile:
    """Check one bank's mapping (from YAML or an imported table) and build it if flawless.

    `index_base` is how `correct` is numbered in the source, for the messages only: the
    data itself always holds 0-based indexes."""
    out = BankFile(path)
    if not isinstance(data, LineDict):
        out.problems.append(Problem(path, 1, "a bank must be a mapping of fields to values"))
        return out
    fields = _Fields(data, out)
    fields.unknown(BANK_FIELDS)
    out.lines.update({("", key): data.line_of(key) for key in BANK_FIELDS})
    bank_id = fields.identifier("id")
    out.bank_id = bank_id
    title = fields.text("title")
    language = fields.choice("language", LANGUAGES)
    topic = fields.text("topic")
    pass_mark = fields.integer("pass_mark", 1, 100)
    seconds = fields.integer("seconds_per_question", MIN_SECONDS, MAX_SECONDS)
    raw_questions = data.get("questions")
    if not isinstance(raw_questions, LineList) or not raw_questions:
        fields.problem("questions", "'questions' must be a non-empty list")
        raw_questions = LineList()
    for index, raw in enumerate(raw_questions):
        question = _parse_question(raw, raw_questions.line_of(index), out, index_base)
        if question is not None:
            out.questions.append(question)
    per_attempt = fields.integer("questions_per_attempt", 1, max(1, len(raw_questions)))
    if out.problems:
        return out
    assert bank_id and title and language and topic  # narrowed by the checks above
    assert pass_mark is not None and per_attempt is not None and seconds is not None
    out.bank = Bank(
        id=bank_id,
        title=title,
        language=language,
        topic=topic,
        pass_mark=pass_mark,
        questions_per_attempt=per_attempt,
        seconds_per_question=seconds,
        questions=tuple(out.questions),
        path=path,
    )
    return out


def _parse_question(raw: Any, line: int, out: BankFile, index_base: int) -> Question | None:
    if not isinstance(raw, LineDict):
        out.problems.append(Problem(out.path, line, "a question must be a mapping of fields"))
        return None
    before = len(out.problems)
    fields = _Fields(raw, out, index_base)
    fields.unknown(QUESTION_FIELDS)
    qid = fields.identifier("id")
    if qid is not None and any(question.id == qid for question in out.questions):
        fields.problem("id", f"question id {qid!r} is used twice in this bank")
    text = fields.text("text", limit=MAX_TEXT)
    options = _options(fields)
    correct = _correct(fields, len(options) if options else None)
    explanation = fields.text("explanation", limit=MAX_EXPLANATION)
    if explanation is not None and explanation.count("\n") > MAX_EXPLANATION_BREAKS:
        fields.problem("explanation", "'explanation' has more than 2 line breaks")
    difficulty = fields.choice("difficulty", DIFFICULTIES)
    source = fields.text("source")
    if source is not None and not all(TAG_PATTERN.match(tag.strip()) for tag in source.split(",")):
        fields.problem("source", f"'source' {source!r} must be tags such as SEED or P45")
    learn_more = fields.identifier("learn_more")
    if len(out.problems) > before:
        return None
    assert qid and text and options and correct and explanation and difficulty
    assert source and learn_more
    out.lines.update({(qid, key): raw.line_of(key) for key in QUESTION_FIELDS})
    out.lines[(qid, "")] = line
    return Question(qid, text, options, correct, explanation, difficulty, source, learn_more)


def _options(fields: _Fields) -> tuple[str, ...] | None:
    value = fields.data.get("options")
    if not isinstance(value, list) or not MIN_OPTIONS <= len(value) <= MAX_OPTIONS:
        fields.problem("options", f"'options' must be a list of {MIN_OPTIONS} to {MAX_OPTIONS}")
        return None
    options: list[str] = []
    for index, option in enumerate(value):
        line = value.line_of(index) if isinstance(value, LineList) else 0
        line = line or fields.data.line_of("options")
        number = index + 1
        if isinstance(option, bool) or not isinstance(option, str | int | float):
            message = f"option {number} must be text"
        else:
            text = _clean(str(option))
            size = utf16_len(text)
            if not text:
                message = f"option {number} is empty"
            elif size > MAX_OPTION:
                message = f"option {number} has {size} characters; the limit is {MAX_OPTION}"
            elif text in options:
                message = f"option {number} repeats an earlier one"
            else:
                options.append(text)
                continue
        fields.out.problems.append(Problem(fields.out.path, line, message))
    return tuple(options) if len(options) == len(value) else None


def _clean(text: str) -> str:
    """Trimmed and in NFC, so that lengths and comparisons do not depend on the editor."""
    return unicodedata.normalize("NFC", text.strip())


def _correct(fields: _Fields, option_count: int | None) -> frozenset[int] | None:
    value = fields.data.get("correct")
    raw_items: list[Any] = value if isinstance(value, list) else [value]
    base = fields.index_base
    if not raw_items or any(isinstance(i, bool) or not isinstance(i, int) for i in raw_items):
        kind = "an option index (0-based)" if base == 0 else f"an option number ({base}-based)"
        fields.problem("correct", f"'correct' must be {kind} or a list of them")
        return None
    items: list[int] = raw_items
    if len(set(items)) != len(items):
        fields.problem("correct", "'correct' lists the same index twice")
        return None
    if option_count is not None:
        outside = [item for item in items if not 0 <= item < option_count]
        if outside:
            last = option_count - 1 + base
            shown = outside[0] + base
            message = f"'correct' {shown} is out of range: options are {base} to {last}"
            fields.problem("correct", message)
            return None
        if len(items) == option_count:
            fields.problem("correct", "every option is marked correct")
            return None
    return frozenset(items)


def read_bank_file(path: Path) -> BankFile:
    """Read and parse one YAML bank file; its id must match the file name."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return BankFile(path, problems=[Problem(path, 1, "the file is not UTF-8 text")])
    except OSError as exc:
        return BankFile(path, problems=[Problem(path, 0, f"cannot read: {exc.strerror}")])
    try:
        data = load_with_lines(text)
    except yaml.YAMLError as exc:
        return BankFile(path, problems=[Problem(path, error_line(exc), error_message(exc))])
    parsed = parse_bank(data, path)
    if parsed.bank_id is not None and parsed.bank_id != path.stem:
        problem = Problem(
            path,
            parsed.line_of("id"),
            f"bank id {parsed.bank_id!r} does not match the file name {path.name!r}",
        )
        parsed.problems.append(problem)
        parsed.bank = None
    return parsed


def bank_paths(quizzes_dir: Path) -> list[Path]:
    """The bank files of a folder, in a stable order."""
    return sorted([*quizzes_dir.glob("*.yaml"), *quizzes_dir.glob("*.yml")])


def duplicate_id_problems(files: Sequence[BankFile]) -> list[Problem]:
    """Bank ids and question ids must be unique across all banks: progress is kept by id."""
    problems: list[Problem] = []
    bank_seen: dict[str, Path] = {}
    question_seen: dict[str, Path] = {}
    for bank_file in files:
        if bank_file.bank_id is not None:
            first = bank_seen.setdefault(bank_file.bank_id, bank_file.path)
            if first != bank_file.path:
                message = f"bank id {bank_file.bank_id!r} is already used by {first}"
                problems.append(Problem(bank_file.path, bank_file.line_of("id"), message))
        for question in bank_file.questions:
            first = question_seen.setdefault(question.id, bank_file.path)
            if first != bank_file.path:
                line = bank_file.line_of("id", question.id)
                message = f"question id {question.id!r} is already used in {first}"
                problems.append(Problem(bank_file.path, line, message))
    return problems


def load_banks(quizzes_dir: Path) -> dict[str, Bank]:
    """Every bank in the folder by id; `QuizFormatError` (file:line) if any is broken."""
    if not quizzes_dir.is_dir():
        raise QuizFormatError([Problem(quizzes_dir, 0, "no such folder")])
    files = [read_bank_file(path) for path in bank_paths(quizzes_dir)]
    problems = [problem for bank_file in files for problem in bank_file.problems]
    problems += duplicate_id_problems(files)
    if problems:
        raise QuizFormatError(problems)
    return {bank_file.bank.id: bank_file.bank for bank_file in files if bank_file.bank}
