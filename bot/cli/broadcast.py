"""`canhgiac broadcast …`: send a broadcast from the shell and follow it.

`send` writes the broadcast and its outbox (one row per recipient) in one transaction, then
delivers it from this process with a progress bar. It claims rows like any sender, so a
running bot and this command never send the same row twice; if it is interrupted, the rest
stays in the outbox and a running bot sends it. Needs BOT_TOKEN.

Exit codes: 0 done, 1 Telegram or the database is unusable (or BOT_TOKEN is missing),
2 unusable input (unknown unit or content, bad settings).
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from contextlib import ExitStack
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.cli.common import FAILED, UNUSABLE, fail, load_settings, require_database
from bot.delivery.render import Payload
from bot.services import broadcasts
from bot.services.access import Access
from bot.services.broadcasts import ContentKind, Draft
from bot.settings import ConfigError, Settings
from bot.storage.models_delivery import DeliveryStatus

app = typer.Typer(
    help="Broadcasts: send one to a unit from the shell, see how one went.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
console = Console()
REFRESH = 0.5  # seconds between progress updates


class InputError(Exception):
    """Something the person typed is unusable; the message is one line."""


def _run(coroutine: Coroutine[Any, Any, None]) -> None:
    from bot.runtime import StartupError

    try:
        asyncio.run(coroutine)
    except InputError as exc:
        fail(str(exc), UNUSABLE)
    except (ConfigError, StartupError) as exc:
        fail(str(exc), FAILED)
    except KeyboardInterrupt:
        typer.echo("Interrupted: what was not sent stays queued; a running bot sends it.")
        raise typer.Exit(130) from None


@app.command("send")
def send(
    unit: Annotated[
        list[str], typer.Option("--unit", help="Unit code (repeat for several units).")
    ],
    text: Annotated[
        str | None, typer.Option("--text", help="The message (Telegram HTML allowed).")
    ] = None,
    content: Annotated[
        str | None,
        typer.Option("--content", help="An explainer id or a quiz bank id to link with a button."),
    ] = None,
    ack: Annotated[bool, typer.Option("--ack", help='Add an "I have read it" button.')] = False,
    silent: Annotated[bool, typer.Option("--silent", help="Deliver without sound.")] = False,
) -> None:
    """Send a message to everyone in the units (and their sub-units), with a progress bar."""
    if (text is None) == (content is None):
        fail("give either --text or --content")
    if text is not None and not text.strip():
        fail("--text is empty")
    settings = load_settings()
    require_database(settings)
    try:
        token = settings.token()
    except ConfigError as exc:
        fail(str(exc), FAILED)
    _run(_send(settings, token, unit, text, content, ack=ack, silent=silent))


async def _send(
    settings: Settings,
    token: str,
    unit_codes: list[str],
    text: str | None,
    content_id: str | None,
    *,
    ack: bool,
    silent: bool,
) -> None:
    from bot.delivery.sender import Sender
    from bot.runtime import check_telegram, open_storage
    from bot.telegram.dispatcher import create_bot

    storage = await open_storage(settings)
    bot = create_bot(settings, token=token)
    try:
        username = await check_telegram(bot, settings)
        async with storage.sessionmaker() as session:
            draft = await _draft(session, settings, unit_codes, text, content_id, ack, silent)
            broadcast = await broadcasts.create(
                session,
                Access(user_id=0, is_admin=True),
                draft,
                render=_renderer(settings, draft, username),
            )
        assert broadcast.id is not None
        console.print(f"Broadcast #{broadcast.id}: {broadcast.recipients} recipient(s).")
        if not broadcast.recipients:
            return
        sender = Sender.from_settings(
            bot, storage.sessionmaker, settings, source=(broadcasts.BROADCAST, broadcast.id)
        )
        sender.start()
        try:
            await _follow(storage.sessionmaker, broadcast.id, broadcast.recipients)
        finally:
            await sender.stop()
        async with storage.sessionmaker() as session:
            await broadcasts.finish_if_done(session, broadcast.id)
            found = await broadcasts.progress(session, broadcast.id)
            missed = await broadcasts.undelivered(session, broadcast.id)
        if found is not None:
            _print_progress(found, missed)
    finally:
        await bot.session.close()
        await storage.engine.dispose()


async def _draft(
    session: AsyncSession,
    settings: Settings,
    unit_codes: list[str],
    text: str | None,
    content_id: str | None,
    ack: bool,
    silent: bool,
) -> Draft:
    from bot.services.bank_store import BankStore
    from bot.services.content_store import ContentStore
    from bot.services.units import load_tree
    from bot.telegram import broadcast_views as views

    tree = await load_tree(session)
    unit_ids = []
    for code in unit_codes:
        node = tree.find(code)
        if node is None:
            raise InputError(f"no unit with code {code}")
        unit_ids.append(node.id)
    if text is not None:
        if len(text.encode("utf-16-le")) // 2 > 4096:
            raise InputError("--text is longer than 4096 characters")
        return Draft(tuple(unit_ids), ContentKind.TEXT, text, ask_ack=ack, silent=silent)
    assert content_id is not None
    library = ContentStore(settings.content_dir).library
    explainer = library.get(content_id, settings.default_language) or library.get(content_id)
    if explainer is not None:
        body, kind = views.lesson_body(explainer), ContentKind.LESSON
    else:
        bank = BankStore(settings.quizzes_dir).find(content_id)
        if bank is None:
            raise InputError(f"no explainer or quiz bank with id {content_id}")
        with _locale(settings, settings.default_language):
            body = views.quiz_body(bank)
        kind, content_id = ContentKind.QUIZ, bank.id
    return Draft(tuple(unit_ids), kind, body, link_ref=content_id, ask_ack=ack, silent=silent)


def _locale(settings: Settings, language: str) -> ExitStack:
    """Enter the bot's catalogs in `language` (texts rendered outside a handler)."""
    from bot.telegram.i18n import create_i18n

    i18n = create_i18n(settings.default_language)
    stack = ExitStack()
    stack.enter_context(i18n.context())
    locale = language if language in i18n.available_locales else i18n.default_locale
    stack.enter_context(i18n.use_locale(locale))
    return stack


def _renderer(settings: Settings, draft: Draft, username: str) -> broadcasts.Renderer:
    from bot.telegram import broadcast_views as views

    def render(broadcast_id: int, language: str) -> Payload:
        with _locale(settings, language or settings.default_language):
            return views.payload(draft, broadcast_id, bot_username=username)

    return render


async def _follow(
    sessionmaker: async_sessionmaker[AsyncSession], broadcast_id: int, total: int
) -> None:
    columns = (
        TextColumn("[bold]#{task.fields[id]}[/]"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[detail]}"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console) as bar:
        task = bar.add_task("send", total=total, id=broadcast_id, detail="")
        while True:
            async with sessionmaker() as session:
                found = await broadcasts.progress(session, broadcast_id)
            if found is None:
                return
            detail = (
                f"sent {found.count(DeliveryStatus.SENT)}, "
                f"failed {found.count(DeliveryStatus.FAILED)}, "
                f"blocked {found.count(DeliveryStatus.BLOCKED)}"
            )
            bar.update(task, completed=total - found.unsettled, detail=detail)
            if not found.unsettled:
                return
            await asyncio.sleep(REFRESH)


def _print_progress(found: broadcasts.Progress, missed: list[broadcasts.Undelivered]) -> None:
    broadcast = found.broadcast
    table = Table(title=f"Broadcast #{broadcast.id} ({broadcast.status})")
    table.add_column("status")
    table.add_column("messages", justify="right")
    for status in DeliveryStatus:
        if found.count(status):
            table.add_row(status.value, str(found.count(status)))
    table.add_row("total", str(found.total))
    console.print(table)
    for (state, error), count in broadcasts.reasons(missed).most_common(8):
        console.print(f"  {count} × {state}" + (f": {error}" if error else ""))


@app.command("status")
def status(broadcast_id: Annotated[int, typer.Argument(help="The broadcast number.")]) -> None:
    """How a broadcast went: messages per status and the reasons of failures."""
    settings = load_settings()
    require_database(settings)
    _run(_status(settings, broadcast_id))


async def _status(settings: Settings, broadcast_id: int) -> None:
    from bot.runtime import open_storage

    storage = await open_storage(settings)
    try:
        async with storage.sessionmaker() as session:
            found = await broadcasts.progress(session, broadcast_id)
            if found is None:
                raise InputError(f"no broadcast #{broadcast_id}")
            missed = await broadcasts.undelivered(session, broadcast_id)
        _print_progress(found, missed)
    finally:
        await storage.engine.dispose()
