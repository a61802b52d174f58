"""`canhgiac i18n`: update the gettext catalogs, report what is untranslated, keep one tone style.

`i18n tone --fix` rewrites the Vietnamese of the interface catalog, the explainers and the quiz
banks to the classic tone-mark placement ("hóa, khóa, ủy"); run it after merging new texts.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bot.settings import SUPPORTED_LANGUAGES

app = typer.Typer(help="Translation catalogs (bot/locales).", no_args_is_help=True)


@app.command("update")
def update_catalogs() -> None:
    """Add new messages from the code to every catalog; drop unused ones."""
    from bot.telegram.catalogs import update

    update(list(SUPPORTED_LANGUAGES))
    typer.echo("Catalogs updated: " + ", ".join(SUPPORTED_LANGUAGES))


def _tone_files(
    content_dir: Path | None, quizzes_dir: Path | None, catalog: Path | None = None
) -> list[Path]:
    from bot.cli.common import load_settings
    from bot.domain.tone_style import tone_files
    from bot.telegram.catalogs import po_path

    if content_dir is None or quizzes_dir is None:
        settings = load_settings()
        content_dir = content_dir or settings.content_dir
        quizzes_dir = quizzes_dir or settings.quizzes_dir
    return tone_files(content_dir, quizzes_dir, catalog or po_path("vi"))


ContentOption = Annotated[
    Path | None, typer.Option("--content-dir", help="Explainers (default: CONTENT_DIR).")
]
QuizzesOption = Annotated[
    Path | None, typer.Option("--quizzes-dir", help="Quiz banks (default: QUIZZES_DIR).")
]
CatalogOption = Annotated[
    Path | None, typer.Option("--catalog", help="Vietnamese catalog (default: the bot's own).")
]


def _tone_report(files: list[Path]) -> int:
    from bot.domain.tone_style import spots_in

    count = 0
    for path in files:
        for spot in spots_in(path, path.read_text(encoding="utf-8")):
            typer.echo(f"tone style: {spot}")
            count += 1
    return count


@app.command("check")
def check_catalogs(content_dir: ContentOption = None, quizzes_dir: QuizzesOption = None) -> None:
    """List messages missing a translation and words in the other tone style; exit 1 if any."""
    from bot.telegram.catalogs import gaps

    found = gaps(list(SUPPORTED_LANGUAGES))
    for gap in found:
        typer.echo(f"{gap.locale}: untranslated: {gap.msgid[:80]!r}")
    typer.echo(f"{len(found)} untranslated message(s).")
    tones = _tone_report(_tone_files(content_dir, quizzes_dir))
    typer.echo(f"{tones} word(s) in the other tone style (fix: canhgiac i18n tone --fix).")
    raise typer.Exit(1 if found or tones else 0)


@app.command("tone")
def tone(
    fix: Annotated[bool, typer.Option("--fix", help="Rewrite the files in place.")] = False,
    content_dir: ContentOption = None,
    quizzes_dir: QuizzesOption = None,
    catalog: CatalogOption = None,
) -> None:
    """Report (or, with --fix, convert) "hoá, khoá, uỷ" to "hóa, khóa, ủy" in every
    Vietnamese text: the interface catalog, the explainers and the quiz banks."""
    from bot.domain.tone_style import fixed, spots_in

    files = _tone_files(content_dir, quizzes_dir, catalog)
    if not fix:
        count = _tone_report(files)
        typer.echo(f"{count} word(s) in the other tone style.")
        raise typer.Exit(1 if count else 0)
    changed = 0
    for path in files:
        text = path.read_text(encoding="utf-8")
        if spots_in(path, text):
            path.write_text(fixed(path, text), encoding="utf-8")
            typer.echo(f"fixed {path}")
            changed += 1
    typer.echo(f"{changed} file(s) rewritten in the classic tone style.")
