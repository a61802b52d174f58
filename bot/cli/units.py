"""`canhgiac units …`: import the unit tree from CSV, show it.

Also the helpers the other admin commands share (settings, a database session, errors).
Exit codes: 0 all well, 1 some rows were rejected (the good ones are kept), 2 unusable input.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.tree import Tree
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.reports.labels import KINDS
from bot.services.access import Access
from bot.services.units import UnitTree, import_units, load_tree
from bot.settings import ConfigError, Settings
from bot.storage.stats import current_member_counts

app = typer.Typer(
    help="Units: import the tree from a CSV file, list it.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
# Whoever runs the command line administers the whole installation.
OPERATOR = Access(user_id=0, is_admin=True)
T = TypeVar("T")


def fail(message: str, code: int = 2) -> NoReturn:
    typer.echo(f"Error: {message}", err=True)
    raise typer.Exit(code)


def settings_or_exit() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        name = str(first["loc"][0]).upper() if first["loc"] else "settings"
        fail(f"{name} is invalid: {first['msg']}")


def with_session(settings: Settings, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Open the database (migrating it), run `work` in one session, close everything."""
    from bot.runtime import StartupError, open_storage

    async def run() -> T:
        storage = await open_storage(settings)
        try:
            async with storage.sessionmaker() as session:
                return await work(session)
        finally:
            await storage.engine.dispose()

    try:
        return _run(run())
    except (ConfigError, StartupError) as exc:
        fail(str(exc))


def _run(coroutine: Coroutine[Any, Any, T]) -> T:
    try:
        return asyncio.run(coroutine)
    except KeyboardInterrupt:
        raise typer.Exit(130) from None


@app.command("import")
def import_command(
    file: Annotated[Path, typer.Argument(help="CSV with columns code, name, kind, parent_code.")],
) -> None:
    """Create or update units from a CSV file; running it again changes nothing.

    kind is one of province, agency, enterprise, school, department, class. A parent may
    appear later in the file than its children. Bad rows are reported with their line and
    skipped; the good rows are kept.
    """
    try:
        text = file.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        fail(f"cannot read {file}: {exc}")
    settings = settings_or_exit()
    result = with_session(settings, lambda session: import_units(session, text))
    for problem in result.problems:
        typer.echo(f"{file}:{problem}", err=True)
    typer.echo(
        f"{len(result.created)} created, {len(result.updated)} updated, "
        f"{len(result.unchanged)} unchanged, {len(result.problems)} rejected."
    )
    if result.problems:
        raise typer.Exit(1)


@app.command("list")
def list_command(
    root: Annotated[
        str | None, typer.Option("--root", help="Show only this unit and what is below it.")
    ] = None,
) -> None:
    """Show the unit tree with each unit's kind and number of current members."""
    settings = settings_or_exit()

    async def load(session: AsyncSession) -> tuple[UnitTree, dict[int, int]]:
        return await load_tree(session), await current_member_counts(session)

    tree, members = with_session(settings, load)
    if root is not None:
        node = tree.find(root)
        if node is None:
            fail(f"no unit with code {root.upper()}")
        roots = [node.id]
    else:
        roots = tree.roots()
    console = Console()
    if not roots:
        console.print("No units yet: import them with `canhgiac units import units.csv`.")
        return
    for unit_id in roots:
        console.print(_branch(tree, unit_id, members, Tree(_label(tree, unit_id, members))))


def _label(tree: UnitTree, unit_id: int, members: dict[int, int]) -> str:
    node = tree.nodes[unit_id]
    kind = KINDS.get(node.kind, node.kind)
    count = members.get(unit_id, 0)
    return f"[bold]{node.code}[/bold] {node.name} [dim]({kind}, {count} thành viên)[/dim]"


def _branch(tree: UnitTree, unit_id: int, members: dict[int, int], branch: Tree) -> Tree:
    for child in tree.children(unit_id):
        _branch(tree, child, members, branch.add(_label(tree, child, members)))
    return branch
