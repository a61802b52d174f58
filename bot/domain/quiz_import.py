"""Import a quiz bank from a spreadsheet (.csv or .xlsx) and write it as YAML.

The first row holds the column names; every later non-empty row is one question:

| column | content |
|---|---|
| `id` | question id, unique across all banks: lower-case letters, digits, `-`, `_` |
| `text` | the question, at most 300 characters |
| `option_1` … `option_10` | the answers: 2 to 10, from `option_1` on, no gaps; ≤ 100 characters |
| `correct` | the right option's number, counted from 1; several separated by `;` (`1;3`) |
| `explanation` | shown after answering: at most 200 characters and 2 line breaks |
| `difficulty` | `easy`, `medium` or `hard` |
| `source` | the fact's source tag, e.g. `SEED` or `P45` |
| `learn_more` | id of the explainer to read next, e.g. `chi-thi-07` |

CSV files are UTF-8 (a BOM, as Excel writes it, is fine), separated by `,` or `;`, quoted as
Excel quotes (a field holding the separator or a quote is quoted, a quote inside it doubled).
For .xlsx, the first sheet is read; workbooks are parsed through defusedxml, so XML entity
declarations (an "entity bomb") are refused. A file that cannot be read as a table at all
raises `UnreadableTable`. Problems name the spreadsheet row (the header is row 1).
The bank's own fields (id, title, language, topic, pass mark, …) come from the arguments.
Nothing is written unless the whole table passes the same checks as `quizzes check`.
"""

from __future__ import annotations

import csv
import os
import tempfile
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import yaml
from defusedxml import DefusedXmlException
from openpyxl import load_workbook

from bot.domain.quiz import (
    MAX_OPTIONS,
    Bank,
    BankFile,
    Problem,
    QuizFormatError,
    bank_paths,
    parse_bank,
    read_bank_file,
)
from bot.domain.quiz_check import cross_bank_problems, explainer_ids
from bot.domain.quiz_yaml import LineDict, LineList

OPTION_COLUMNS = tuple(f"option_{number}" for number in range(1, MAX_OPTIONS + 1))
TEXT_COLUMNS = ("id", "text", "explanation", "difficulty", "source", "learn_more")
COLUMNS: tuple[str, ...] = (*TEXT_COLUMNS[:2], *OPTION_COLUMNS, "correct", *TEXT_COLUMNS[2:])
REQUIRED_COLUMNS: tuple[str, ...] = (*TEXT_COLUMNS, "option_1", "option_2", "correct")
DEFAULT_PASS_MARK = 70
DEFAULT_SECONDS = 30
DEFAULT_PER_ATTEMPT = 10


class UnreadableTable(QuizFormatError):
    """The file cannot be read as a table at all; `reason` says why, in one line."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__([Problem(path, 0, reason)])
        self.reason = reason


def import_table(
    path: Path,
    *,
    bank_id: str,
    title: str,
    language: str = "vi",
    topic: str | None = None,
    pass_mark: int = DEFAULT_PASS_MARK,
    questions_per_attempt: int | None = None,
    seconds_per_question: int = DEFAULT_SECONDS,
    quizzes_dir: Path | None = None,
    content_dir: Path | None = None,
    out: Path | None = None,
) -> Bank:
    """Read the table into a bank; with `out`, also write it there as YAML.

    With `quizzes_dir`, ids and wording are checked against the banks already there (a file
    at `out` is being replaced, so it is left out); with `content_dir`, every `learn_more`
    must name an explainer. Raises `QuizFormatError` with every problem, writing nothing."""
    rows, problems = _read_rows(path)
    if problems:  # the table itself is unusable: row checks would only add noise
        raise QuizFormatError(problems)
    questions = LineList(line=1)
    for row_number, row in rows:
        question, row_problems = _question(row, row_number, path)
        problems += row_problems
        questions.append(question)
        questions.item_lines.append(row_number)
    data = LineDict(
        id=bank_id,
        title=title,
        language=language,
        topic=topic or bank_id,
        pass_mark=pass_mark,
        questions_per_attempt=(
            min(DEFAULT_PER_ATTEMPT, len(questions))
            if questions_per_attempt is None
            else questions_per_attempt
        ),
        seconds_per_question=seconds_per_question,
        questions=questions,
    )
    parsed = parse_bank(data, path, index_base=1)
    problems += parsed.problems
    if out is not None and (out.suffix not in (".yaml", ".yml") or out.stem != bank_id):
        problems.append(Problem(path, 0, f"the output file must be named {bank_id}.yaml"))
    problems += _cross_problems(parsed, quizzes_dir, content_dir, out)
    if problems or parsed.bank is None:
        raise QuizFormatError(sorted(set(problems), key=lambda problem: problem.line))
    bank = parsed.bank
    if out is not None:
        write_bank(bank, out)
        bank = replace(bank, path=out)
    return bank


def _cross_problems(
    parsed: BankFile, quizzes_dir: Path | None, content_dir: Path | None, out: Path | None
) -> list[Problem]:
    others: list[BankFile] = []
    if quizzes_dir is not None and quizzes_dir.is_dir():
        replaced = out.resolve() if out is not None else None
        others = [
            read_bank_file(existing)
            for existing in bank_paths(quizzes_dir)
            if existing.resolve() != replaced
        ]
    known = explainer_ids(content_dir) if content_dir is not None else None
    found = cross_bank_problems([*others, parsed], known)
    return [problem for problem in found if problem.path == parsed.path]


def _read_rows(path: Path) -> tuple[list[tuple[int, dict[str, Any]]], list[Problem]]:
    """Data rows keyed by column name, each with its spreadsheet row number."""
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise UnreadableTable(path, "expected a .csv or .xlsx file")
    try:
        table = list(_csv_rows(path) if suffix == ".csv" else _xlsx_rows(path))
    except UnicodeDecodeError as exc:
        raise UnreadableTable(path, "the CSV file is not UTF-8 text") from exc
    except Exception as exc:  # an untrusted file: whatever the parser trips on, it is unreadable
        raise UnreadableTable(path, _unreadable(exc, suffix)) from exc
    if not table:
        return [], [Problem(path, 1, "the table is empty: the first row must name the columns")]
    header = [_cell_text(name).lower() for name in table[0]]
    problems = [
        Problem(path, 1, f"unknown column {name!r}")
        for name in header
        if name and name not in COLUMNS
    ]
    missing = [name for name in REQUIRED_COLUMNS if name not in header]
    if missing:
        problems.append(Problem(path, 1, f"missing column(s): {', '.join(missing)}"))
    repeated = sorted({name for name in header if name and header.count(name) > 1})
    if repeated:
        problems.append(Problem(path, 1, f"column(s) named twice: {', '.join(repeated)}"))
    if problems:
        return [], problems
    rows = []
    for number, values in enumerate(table[1:], start=2):
        row = {name: value for name, value in zip(header, values, strict=False) if name}
        if any(_cell_text(value) for value in row.values()):
            rows.append((number, row))
    if not rows:
        problems.append(Problem(path, 2, "the table has no question rows"))
    return rows, problems


def _unreadable(error: BaseException, suffix: str) -> str:
    causes: list[BaseException] = []
    cause: BaseException | None = error
    while cause is not None and cause not in causes:
        causes.append(cause)
        cause = cause.__cause__ or cause.__context__
    if any(isinstance(c, DefusedXmlException) for c in causes):
        return "the workbook declares XML entities, which are refused"
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    if suffix == ".csv":
        detail = str(error).splitlines()[0][:100] if str(error) else type(error).__name__
        return f"not a readable CSV table ({detail})"
    return "not a readable .xlsx workbook (damaged, or not an Excel file)"


def _csv_rows(path: Path) -> Iterator[list[Any]]:
    """Excel's CSV dialect (quotes doubled inside quoted fields), with `;` or `,` between
    fields: the header, whose names hold neither, tells which."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        header = handle.readline()
        handle.seek(0)
        delimiter = ";" if header.count(";") > header.count(",") else ","
        yield from csv.reader(handle, csv.excel, delimiter=delimiter)


def _xlsx_rows(path: Path) -> Iterator[list[Any]]:
    workbook = load_workbook(path, read_only=True, data_only=True)
    try:
        sheet = workbook.worksheets[0]
        for values in sheet.iter_rows(values_only=True):
            yield list(values)
    finally:
        workbook.close()


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _question(row: dict[str, Any], number: int, path: Path) -> tuple[LineDict, list[Problem]]:
    problems: list[Problem] = []
    question = LineDict(line=number)
    for name in TEXT_COLUMNS:
        text = _cell_text(row.get(name)).replace("\r\n", "\n")
        question[name] = text or None
    filled = [_cell_text(row.get(column)) for column in OPTION_COLUMNS]
    last = max((index for index, text in enumerate(filled) if text), default=-1)
    gaps = [OPTION_COLUMNS[index] for index in range(last) if not filled[index]]
    if gaps:
        message = f"{gaps[0]} is empty but a later option is filled"
        problems.append(Problem(path, number, message))
    options = LineList(filled[: last + 1], line=number)
    options.item_lines = [number] * len(options)
    question["options"] = options
    question["correct"] = _correct(row.get("correct"))
    question.key_lines = dict.fromkeys(question, number)
    return question, problems


def _correct(value: Any) -> Any:
    """1-based numbers ("2", 2, "1;3") as 0-based indexes; anything else is passed through
    so that the schema reports it."""
    text = _cell_text(value)
    parts = [part.strip() for part in text.replace(",", ";").split(";") if part.strip()]
    if not parts or not all(part.isdigit() for part in parts):
        return text or None
    indexes = [int(part) - 1 for part in parts]
    return indexes[0] if len(indexes) == 1 else indexes


class _BankDumper(yaml.SafeDumper):
    """Block style for the bank, `|` for multi-line text: easy for a trainer to edit."""


def _represent_text(dumper: yaml.SafeDumper, text: str) -> yaml.ScalarNode:
    style = "|" if "\n" in text else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


_BankDumper.add_representer(str, _represent_text)


def bank_to_yaml(bank: Bank) -> str:
    """The bank as YAML in the layout of `quizzes/*.yaml`."""
    data = {
        "id": bank.id,
        "title": bank.title,
        "language": bank.language,
        "topic": bank.topic,
        "pass_mark": bank.pass_mark,
        "questions_per_attempt": bank.questions_per_attempt,
        "seconds_per_question": bank.seconds_per_question,
        "questions": [
            {
                "id": question.id,
                "text": question.text,
                "options": list(question.options),
                "correct": (
                    min(question.correct)
                    if len(question.correct) == 1
                    else sorted(question.correct)
                ),
                "explanation": question.explanation,
                "difficulty": question.difficulty,
                "source": question.source,
                "learn_more": question.learn_more,
            }
            for question in bank.questions
        ],
    }
    return yaml.dump(
        data, Dumper=_BankDumper, allow_unicode=True, sort_keys=False, width=100, indent=2
    )


def write_bank(bank: Bank, out: Path) -> None:
    """Write the bank's YAML to `out` in one step (a reader never sees half a file)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(bank_to_yaml(bank))
        os.replace(temporary, out)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
