"""`canhgiac quizzes …`: check the quiz banks, import a bank from a spreadsheet.

Exit codes: 0 all well, 1 `check` found problems, 2 the input itself is unusable (a missing
folder or file, bad settings, a table that does not pass the checks).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bot.cli.common import fail, load_settings
from bot.domain.quiz import Problem, QuizFormatError
from bot.domain.quiz_check import bank_warnings, scan_banks
from bot.domain.quiz_import import (
    DEFAULT_PASS_MARK,
    DEFAULT_SECONDS,
    UnreadableTable,
    import_table,
)
from bot.domain.quiz_lint import MAX_LONGEST_SHARE, MIN_QUESTIONS, BankFairness, lint_banks

app = typer.Typer(
    help="Quiz banks: check them, import one from a spreadsheet.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _print_problems(problems: list[Problem]) -> None:
    for problem in problems:
        typer.echo(str(problem), err=True)


def _print_fairness(numbers: list[BankFairness]) -> None:
    typer.echo("bank | questions | single-answer | right option longest | share")
    for row in numbers:
        typer.echo(
            f"{row.bank_id} | {row.questions} | {row.single_answer} | "
            f"{row.correct_longest} | {row.longest_share:.0%}"
        )


@app.command("check")
def check(
    directory: Annotated[
        Path | None, typer.Option("--dir", help="Folder of bank files (default: QUIZZES_DIR).")
    ] = None,
    content_dir: Annotated[
        Path | None,
        typer.Option("--content-dir", help="Explainers folder (default: CONTENT_DIR)."),
    ] = None,
    lint: Annotated[
        bool,
        typer.Option(
            "--lint",
            help=(
                f"Also check fairness: the right option the longest in at most "
                f"{MAX_LONGEST_SHARE:.0%} per bank, no wrong options sharing a telling "
                f"opening, at least {MIN_QUESTIONS} questions per bank."
            ),
        ),
    ] = False,
) -> None:
    """Check every bank: schema, Telegram poll limits, unique ids, explainer links; warn
    (failing too) where a replaced document is cited without its successor or an
    abbreviation is not spelled out."""
    if directory is None or content_dir is None:
        settings = load_settings()
        directory = directory or settings.quizzes_dir
        content_dir = content_dir or settings.content_dir
    if not directory.is_dir():
        fail(f"no quiz folder at {directory}")
    if not (content_dir / "vi").is_dir():
        fail(f"no Vietnamese explainers at {content_dir / 'vi'}: learn_more cannot be checked")
    files, problems = scan_banks(directory, content_dir)
    warnings = bank_warnings(files, content_dir)
    findings: list[Problem] = []
    if lint:
        numbers, findings = lint_banks(files)
        _print_fairness(numbers)
    _print_problems(problems)
    for warning in [*warnings, *findings]:
        typer.echo(f"{warning.path}:{warning.line}: warning: {warning.message}", err=True)
    if problems or warnings or findings:
        broken = len({problem.path for problem in [*problems, *warnings, *findings]})
        flagged = len(warnings) + len(findings)
        warned = f", {_count(flagged, 'warning')}" if flagged else ""
        typer.echo(
            f"{_count(len(problems), 'problem')}{warned} in {_count(broken, 'file')}.", err=True
        )
        raise typer.Exit(1)
    questions = sum(len(bank_file.questions) for bank_file in files)
    typer.echo(f"{_count(len(files), 'bank')}, {_count(questions, 'question')}: no problems.")


@app.command("import")
def import_(
    file: Annotated[Path, typer.Argument(help="A .csv or .xlsx table, one question a row.")],
    bank: Annotated[str, typer.Option("--bank", help="Id of the bank (also the file name).")],
    title: Annotated[str, typer.Option("--title", help="Title shown to learners.")],
    language: Annotated[str, typer.Option("--language", help="vi or en.")] = "vi",
    topic: Annotated[
        str | None, typer.Option("--topic", help="Topic (default: the bank id).")
    ] = None,
    pass_mark: Annotated[
        int, typer.Option("--pass-mark", help="Percent needed to pass.")
    ] = DEFAULT_PASS_MARK,
    per_attempt: Annotated[
        int | None,
        typer.Option("--questions-per-attempt", help="Default: 10, or fewer if the bank is small."),
    ] = None,
    seconds: Annotated[
        int, typer.Option("--seconds", help="Seconds per question (5-600).")
    ] = DEFAULT_SECONDS,
    out: Annotated[
        Path | None, typer.Option("--out", help="Where to write (default: QUIZZES_DIR/ID.yaml).")
    ] = None,
    replace: Annotated[
        bool, typer.Option("--replace", help="Overwrite an existing bank file.")
    ] = False,
) -> None:
    """Import a bank from a spreadsheet; see the README for the columns."""
    settings = load_settings()
    if not file.is_file():
        fail(f"no such file: {file}")
    target = out or settings.quizzes_dir / f"{bank}.yaml"
    if target.exists() and not replace:
        fail(f"{target} already exists; add --replace to overwrite it")
    content_dir: Path | None = settings.content_dir
    if not (settings.content_dir / "vi").is_dir():
        typer.echo(f"Note: no explainers at {settings.content_dir / 'vi'}; learn_more unchecked.")
        content_dir = None
    try:
        imported = import_table(
            file,
            bank_id=bank,
            title=title,
            language=language,
            topic=topic,
            pass_mark=pass_mark,
            questions_per_attempt=per_attempt,
            seconds_per_question=seconds,
            quizzes_dir=settings.quizzes_dir,
            content_dir=content_dir,
            out=target,
        )
    except UnreadableTable as exc:
        fail(f"cannot read {file}: {exc.reason}")
    except QuizFormatError as exc:
        _print_problems(exc.problems)
        fail(f"{_count(len(exc.problems), 'problem')} in {file}; nothing was written")
    except OSError as exc:
        fail(f"cannot write {target}: {exc.strerror}")
    size = _count(len(imported.questions), "question")
    typer.echo(f"Wrote {target}: bank {imported.id!r}, {size}.")
