"""`canhgiac stats …`: unit reports as XLSX, CSV or JSON files; rollup maintenance.

`report` is run by the operator, who sees everything, people included. `refresh` folds new
ledger rows into the rollups (reports do it too); `rebuild` recomputes them from the whole
ledger, as needed after ledger rows were deleted.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.cli.common import OPERATOR, fail, load_settings, with_session
from bot.domain.periods import Period, PeriodError, assessment_year, parse_date, parse_period
from bot.reports.model import ExportData
from bot.services import stats
from bot.services.stats import StatsConfig
from bot.services.units import load_tree
from bot.storage import stats as store

app = typer.Typer(
    help="Participation statistics: unit reports as files, rollup maintenance.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


class Format(StrEnum):
    XLSX = "xlsx"
    CSV = "csv"
    JSON = "json"


@contextmanager
def progress_bar(label: str) -> Iterator[Callable[[int, int], None]]:
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, transient=False) as bar:
        task = bar.add_task(label, total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=max(total, 1))

        yield update


def _period(start: str | None, end: str | None, preset: str | None, today: date) -> Period:
    try:
        if preset is not None:
            if start or end:
                fail("give --period or --from/--to, not both")
            return parse_period(preset, today)
        if start is None and end is None:
            return assessment_year(today)
        if start is None or end is None:
            fail("give both --from and --to, or neither (the current assessment year)")
        return Period(parse_date(start), parse_date(end))
    except PeriodError as exc:
        fail(str(exc))


@app.command("report")
def report(
    unit: Annotated[str, typer.Option("--unit", help="Code of the unit.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="File to write.")],
    start: Annotated[
        str | None, typer.Option("--from", help="First day, dd/mm/yyyy (default: 16/11).")
    ] = None,
    end: Annotated[
        str | None, typer.Option("--to", help="Last day, dd/mm/yyyy (default: 15/11).")
    ] = None,
    format_: Annotated[Format, typer.Option("--format", help="xlsx, csv or json.")] = Format.XLSX,
    preset: Annotated[
        str | None,
        typer.Option("--period", help="Instead of dates: month, quarter, year or lastyear."),
    ] = None,
    all_people: Annotated[
        bool,
        typer.Option(
            "--all-people",
            help=f"List every member even above {stats.PEOPLE_IN_FILE_MAX:,} people (slow).",
        ),
    ] = False,
) -> None:
    """Write the report of a unit and its child units over a period.

    Without dates: the current assessment year of Thông tư 124/2021 (16/11 to 15/11);
    `--period lastyear` is the one before it. XLSX: a
    summary, a sheet per metric over time, a sheet per child unit with its members. CSV: the
    unit table. JSON: everything.
    """
    settings = load_settings()
    config = StatsConfig.from_settings(settings)
    period = _period(start, end, preset, config.today())

    async def build(session: AsyncSession) -> ExportData:
        node = (await load_tree(session)).find(unit)
        if node is None:
            fail(f"no unit with code {unit.strip().upper()}")
        with progress_bar(f"{node.code} {period.label()}") as update:
            return await stats.export(
                session,
                access=OPERATOR,
                unit_id=node.id,
                period=period,
                config=config,
                progress=update,
                people_limit=None if all_people else stats.PEOPLE_IN_FILE_MAX,
            )

    data = with_session(settings, build)
    if format_ is Format.XLSX:
        from bot.reports.xlsx import to_xlsx

        content = to_xlsx(data)
    elif format_ is Format.CSV:
        from bot.reports.tables import to_csv

        content = to_csv(data.report)
    else:
        from bot.reports.tables import to_json

        content = to_json(data)
    try:
        output.write_bytes(content)
    except OSError as exc:
        fail(f"cannot write {output}: {exc.strerror}")
    total = data.report.total.figures
    typer.echo(
        f"Wrote {output}: {data.report.unit.code}, {period.label()}, {total.members} members, "
        f"{total.active} active, {len(data.report.children)} child units."
    )
    if data.people_omitted:
        typer.echo(
            f"People are not listed ({data.people_omitted} members): add --all-people, or "
            "export a child unit."
        )


@app.command("refresh")
def refresh() -> None:
    """Fold ledger rows written since the last report into the rollups."""
    settings = load_settings()
    config = StatsConfig.from_settings(settings)

    async def run(session: AsyncSession) -> int:
        with progress_bar("Rollups") as update:
            return await stats.refresh(session, config, update)

    typer.echo(f"{with_session(settings, run)} ledger rows folded.")


@app.command("rebuild")
def rebuild() -> None:
    """Recompute the rollups from the whole ledger (after ledger rows were deleted)."""
    settings = load_settings()
    config = StatsConfig.from_settings(settings)

    async def run(session: AsyncSession) -> int:
        with progress_bar("Rollups") as update:
            return await store.rebuild(
                session, zone=config.zone, pass_marks=config.pass_marks, progress=update
            )

    typer.echo(f"{with_session(settings, run)} ledger rows folded.")
