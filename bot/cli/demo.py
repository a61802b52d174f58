"""`canhgiac demo seed`: fill a database with a realistic organisation and a year of activity.

For demonstrations and benchmarks; see `bot.services.demo_seed` for what it creates.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import (
    BarColumn,
    Progress,
    TaskID,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
)
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.cli.common import fail, load_settings, with_session
from bot.domain.quiz import Bank, QuizFormatError, load_banks
from bot.services import demo_seed
from bot.services.stats import StatsConfig, refresh

app = typer.Typer(
    help="Demonstration data.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


def _banks(folder: Path) -> list[Bank]:
    try:
        return list(load_banks(folder).values())
    except (OSError, QuizFormatError):
        return []


@app.command("seed")
def seed(
    units: Annotated[int, typer.Option("--units", min=1, help="Units under the root.")] = 50,
    users: Annotated[int, typer.Option("--users", min=1, help="People.")] = 2_000,
    events: Annotated[int, typer.Option("--events", min=0, help="Ledger rows.")] = 100_000,
    root: Annotated[str, typer.Option("--root", help="Code of the root unit.")] = "DEMO",
    seed_value: Annotated[int, typer.Option("--seed", help="Random seed.")] = 7,
) -> None:
    """Create units under ROOT, consenting members, and events over the last year."""
    settings = load_settings()
    config = StatsConfig.from_settings(settings)
    plan = demo_seed.SeedPlan(units=units, users=users, events=events, root=root, seed=seed_value)
    banks = _banks(settings.quizzes_dir)
    columns = (
        TextColumn("[bold]{task.description:<8}"),
        BarColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
    )

    async def run(session: AsyncSession) -> demo_seed.SeedResult:
        with Progress(*columns) as bar:
            tasks: dict[str, TaskID] = {}

            def update(stage: str, done: int, total: int) -> None:
                if stage not in tasks:
                    tasks[stage] = bar.add_task(stage, total=max(total, 1))
                bar.update(tasks[stage], completed=done, total=max(total, 1))

            result = await demo_seed.seed(session, plan, banks=banks, progress=update)
            await refresh(session, config, lambda done, total: update("rollups", done, total))
            return result

    try:
        result = with_session(settings, run, create=True)
    except demo_seed.SeedError as exc:
        fail(str(exc))
    typer.echo(
        f"Seeded {result.root.code}: {result.units} units, {result.users} people, "
        f"{result.memberships} memberships, {result.events} events."
    )
