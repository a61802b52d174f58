"""`canhgiac i18n`: update the gettext catalogs from the code and report what is untranslated."""

from __future__ import annotations

import typer

from bot.settings import SUPPORTED_LANGUAGES

app = typer.Typer(help="Translation catalogs (bot/locales).", no_args_is_help=True)


@app.command("update")
def update_catalogs() -> None:
    """Add new messages from the code to every catalog; drop unused ones."""
    from bot.telegram.catalogs import update

    update(list(SUPPORTED_LANGUAGES))
    typer.echo("Catalogs updated: " + ", ".join(SUPPORTED_LANGUAGES))


@app.command("check")
def check_catalogs() -> None:
    """List messages missing a translation; exit 1 if any."""
    from bot.telegram.catalogs import gaps

    found = gaps(list(SUPPORTED_LANGUAGES))
    for gap in found:
        typer.echo(f"{gap.locale}: untranslated: {gap.msgid[:80]!r}")
    typer.echo(f"{len(found)} untranslated message(s).")
    raise typer.Exit(1 if found else 0)
