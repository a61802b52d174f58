"""`canhgiac units …`: import the unit tree from CSV, show it.

Exit codes: 0 all well, 1 some rows were rejected (the good ones are kept), 2 unusable input.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.tree import Tree
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.cli.common import fail, load_settings, with_session
from bot.reports.labels import KINDS
from bot.services.units import UnitTree, import_units, load_tree
from bot.storage.stats import current_member_counts

app = typer.Typer(
    help="Units: import the tree from a CSV file, list it.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


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
    settings = load_settings()
    result = with_session(settings, lambda session: import_units(session, text), create=True)
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
    settings = load_settings()

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
