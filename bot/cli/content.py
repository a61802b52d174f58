"""`canhgiac content …`: check the explainers, try the search, preview an explainer.

Exit codes: 0 all well, 1 `check` found problems, 2 the input itself is unusable (a missing
folder, an empty query, an unknown language or explainer, bad settings).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from bot.cli.common import fail, load_settings
from bot.domain.content import Library
from bot.domain.content_check import scan_content
from bot.domain.content_model import LANGUAGES, Problem
from bot.domain.synonyms import load_synonyms

app = typer.Typer(
    help="Explainers: check the content folder, try the search, preview an explainer.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)

DirOption = Annotated[
    Path | None,
    typer.Option("--dir", help="Content folder (default: CONTENT_DIR from the settings)."),
]
LangOption = Annotated[str, typer.Option("--lang", help=f"Language: {', '.join(LANGUAGES)}.")]


def _content_dir(directory: Path | None) -> Path:
    if directory is None:
        directory = load_settings().content_dir
    if not directory.is_dir():
        fail(f"no content folder at {directory}")
    return directory


def _shown(path: Path) -> str:
    """A path as short as it can be: relative to the working folder when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _line(problem: Problem) -> str:
    return f"{_shown(problem.path)}:{problem.line}: {problem.message}"


def _check_lang(lang: str) -> None:
    if lang not in LANGUAGES:
        fail(f"unknown language '{lang}' (known: {', '.join(LANGUAGES)})")


def _library(directory: Path) -> Library:
    """The library, serving what can be read; broken files are reported in one line."""
    scan = scan_content(directory)
    if scan.problems:
        typer.echo(
            f"Warning: {len(scan.problems)} content problem(s); run `canhgiac content check`.",
            err=True,
        )
    return Library(scan.explainers, load_synonyms(directory))


@app.command("check")
def check(directory: DirOption = None) -> None:
    """Check every explainer: front matter, Markdown, message sizes, links, languages; and
    warn (failing too) where a replaced document is cited without its successor, or an
    abbreviation is used before it is spelled out. The bot serves files with warnings."""
    folder = _content_dir(directory)
    scan = scan_content(folder)
    for problem in scan.problems:
        typer.echo(_line(problem))
    for warning in scan.warnings:
        typer.echo(f"{_shown(warning.path)}:{warning.line}: warning: {warning.message}")
    if scan.problems or scan.warnings:
        files = len({problem.path for problem in [*scan.problems, *scan.warnings]})
        warned = f" and {len(scan.warnings)} warning(s)" if scan.warnings else ""
        typer.echo(f"{len(scan.problems)} problem(s){warned} in {files} file(s).")
        raise typer.Exit(1)
    per_lang = {lang: sum(1 for e in scan.explainers if e.lang == lang) for lang in LANGUAGES}
    sections = sum(len(explainer.sections) for explainer in scan.explainers)
    messages = sum(len(s.messages) for e in scan.explainers for s in e.sections)
    languages = ", ".join(f"{lang}: {count}" for lang, count in per_lang.items())
    typer.echo(
        f"{len(scan.explainers)} explainers ({languages}), {sections} sections, "
        f"{messages} messages: no problems."
    )


@app.command("search")
def search(
    query: Annotated[str, typer.Argument(help="What to look for, with or without diacritics.")],
    lang: LangOption = "vi",
    limit: Annotated[int, typer.Option("--limit", help="How many results (1-50).")] = 5,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
    directory: DirOption = None,
) -> None:
    """Rank explainers for QUERY the way the bot does."""
    if not query.strip():
        fail("the query is empty")
    _check_lang(lang)
    if not 1 <= limit <= 50:
        fail("--limit must be between 1 and 50")
    hits = _library(_content_dir(directory)).search(query, lang=lang, limit=limit)
    if as_json:
        rows = [
            {
                "rank": rank,
                "id": hit.explainer.id,
                "lang": hit.explainer.lang,
                "document": hit.explainer.document,
                "title": hit.explainer.title,
                "score": hit.score,
                "section_index": hit.section_index,
                "section_title": (
                    hit.explainer.sections[hit.section_index].title
                    if hit.section_index is not None
                    else None
                ),
                "snippet": hit.snippet,
            }
            for rank, hit in enumerate(hits, start=1)
        ]
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not hits:
        typer.echo(f"Nothing found for {query!r}.")
        return
    table = Table(title=f"“{query}” ({lang})")
    for name, justify in (
        ("#", "right"),
        ("id", "left"),
        ("document", "left"),
        ("title", "left"),
        ("score", "right"),
    ):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for rank, hit in enumerate(hits, start=1):
        table.add_row(
            str(rank),
            hit.explainer.id,
            hit.explainer.document or "—",
            hit.explainer.title,
            f"{hit.score:.1f}",
        )
    Console().print(table)


@app.command("show")
def show(
    explainer_id: Annotated[str, typer.Argument(metavar="ID", help="Explainer id.")],
    lang: LangOption = "vi",
    directory: DirOption = None,
) -> None:
    """Print an explainer's messages as the bot sends them (Telegram HTML)."""
    _check_lang(lang)
    explainer = _library(_content_dir(directory)).get(explainer_id, lang)
    if explainer is None:
        fail(f"no explainer '{explainer_id}'")
    typer.echo(f"{explainer.title} [{explainer.lang}] ({_shown(explainer.path)})")
    for section in explainer.sections:
        for number, message in enumerate(section.messages, start=1):
            typer.echo(
                f"\n--- section {section.index}, message {number}/"
                f"{len(section.messages)} ({len(message)} characters)"
            )
            typer.echo(message)
