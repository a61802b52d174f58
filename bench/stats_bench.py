"""Unit statistics at province scale: 500 units, 50,000 people, 5,000,000 ledger events.

For SQLite (always) and PostgreSQL (`--postgres URL`: a throw-away database is created beside
it and dropped afterwards):
1. seed the demo organisation (`bot.services.demo_seed`: bulk inserts) and fold the ledger into
   the rollups (`canhgiac demo seed` does the same);
2. time the full `/thongke` computation for the root unit: scope check, the lazy rollup
   refresh, figures of the root and of each child unit, the chat table, for each preset
   period (median of `--runs`);
3. write 1,000 more events through `ledger.record` and time the next `/thongke` (it folds
   them first);
4. time the XLSX export of the root unit over the assessment year (as an administrator gets
   it, then forced to list every person), and of its largest child unit with its people: the
   data and the file.
Goals: the report within 0.5 s, the XLSX within 5 s. A Markdown table goes to stdout.

    python bench/stats_bench.py [--quick] [--units 500] [--users 50000] [--events 5000000]
                                [--runs 5] [--postgres URL] [--keep DIR] [--existing URL]

`--existing URL` measures a database already seeded (e.g. by `canhgiac demo seed`) instead of
seeding new ones; its root unit is `--root` (DEMO).
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy.engine import make_url  # noqa: E402

from bench.scratch_db import scratch_postgres  # noqa: E402
from bot.domain.periods import PeriodKind, preset  # noqa: E402
from bot.domain.quiz import load_banks  # noqa: E402
from bot.reports.xlsx import to_xlsx  # noqa: E402
from bot.services import demo_seed, stats  # noqa: E402
from bot.services.access import Access  # noqa: E402
from bot.services.stats import StatsConfig  # noqa: E402
from bot.settings import Settings  # noqa: E402
from bot.storage import ledger, migrate  # noqa: E402
from bot.storage.clock import utcnow  # noqa: E402
from bot.storage.database import create_engine, create_sessionmaker, normalise_url  # noqa: E402
from bot.telegram import stats_views  # noqa: E402
from bot.telegram.i18n import create_i18n  # noqa: E402

ADMIN = Access(user_id=1, is_admin=True)
FULL = {"units": 500, "users": 50_000, "events": 5_000_000}
QUICK = {"units": 60, "users": 3_000, "events": 150_000}
LATE_EVENTS = 1_000


@dataclass
class Row:
    backend: str
    step: str
    seconds: float
    note: str = ""


@dataclass
class Results:
    rows: list[Row] = field(default_factory=list)

    def add(self, backend: str, step: str, seconds: float, note: str = "") -> None:
        self.rows.append(Row(backend, step, seconds, note))
        print(f"  {backend:10} {step:42} {seconds:9.3f} s  {note}", file=sys.stderr)

    def markdown(self) -> str:
        lines = ["| backend | step | seconds | notes |", "|---|---|---:|---|"]
        lines += [f"| {r.backend} | {r.step} | {r.seconds:.3f} | {r.note} |" for r in self.rows]
        return "\n".join(lines)


async def _timed(work: Callable[[], Awaitable[Any]]) -> tuple[float, Any]:
    start = time.perf_counter()
    value = await work()
    return time.perf_counter() - start, value


async def run_backend(
    name: str,
    url: str,
    sizes: dict[str, int],
    runs: int,
    out: Results,
    *,
    existing_root: str | None = None,
) -> None:
    engine = create_engine(url)
    await migrate.upgrade(engine)
    sessionmaker = create_sessionmaker(engine)
    settings = Settings(_env_file=None, database_url=url)
    config = StatsConfig.from_settings(settings)
    banks = list(load_banks(settings.quizzes_dir).values())
    plan = demo_seed.SeedPlan(units=sizes["units"], users=sizes["users"], events=sizes["events"])
    i18n = create_i18n("vi")
    try:
        async with sessionmaker() as session:
            if existing_root is not None:
                root = await _existing(session, existing_root)
                seconds, folded = await _timed(lambda: stats.refresh(session, config))
                out.add(name, "fold new ledger rows", seconds, f"{folded} rows")
            else:
                seconds, seeded = await _timed(lambda: demo_seed.seed(session, plan, banks=banks))
                rate = seeded.events / seconds
                out.add(
                    name,
                    "seed (bulk insert)",
                    seconds,
                    f"{seeded.units} units, {seeded.users} people, {seeded.events} events, "
                    f"{rate:,.0f} events/s",
                )
                seconds, folded = await _timed(lambda: stats.refresh(session, config))
                out.add(name, "fold the ledger into the rollups", seconds, f"{folded} rows")
                assert seeded.root.id is not None
                root = seeded.root.id
        today = config.today()
        for kind in PeriodKind:
            if kind is PeriodKind.CUSTOM:
                continue
            period = preset(kind, today)
            times = []
            for _ in range(runs):
                async with sessionmaker() as session:
                    with i18n.context(), i18n.use_locale("vi"):
                        start = time.perf_counter()
                        report = await _thongke(session, root, period, config)
                        times.append(time.perf_counter() - start)
            out.add(
                name,
                f"/thongke root, {kind.name.lower().replace('_', ' ')}",
                statistics.median(times),
                f"median of {runs}; {report.total.figures.members} members, "
                f"{report.total.figures.active} active, {len(report.children)} children",
            )
        async with sessionmaker() as session:
            await _late_events(session, root)
        year = preset(PeriodKind.YEAR, today)
        async with sessionmaker() as session:
            with i18n.context(), i18n.use_locale("vi"):
                seconds, _ = await _timed(lambda: _thongke(session, root, year, config))
        out.add(name, f"/thongke after {LATE_EVENTS} new events", seconds, "includes the refresh")
        last_year = preset(PeriodKind.PREVIOUS_YEAR, today)
        for label, limit in (("XLSX", stats.PEOPLE_IN_FILE_MAX), ("XLSX, every person", None)):
            async with sessionmaker() as session:
                await _xlsx(session, name, label, root, last_year, config, limit, out)
        # What the officer of one agency gets: its units and every one of its people.
        biggest = max(report.children, key=lambda row: row.figures.members)
        async with sessionmaker() as session:
            await _xlsx(
                session,
                name,
                f"XLSX of the largest child unit ({biggest.figures.members} people)",
                biggest.unit.id,
                last_year,
                config,
                stats.PEOPLE_IN_FILE_MAX,
                out,
            )
    finally:
        await engine.dispose()


async def _xlsx(
    session: Any,
    name: str,
    label: str,
    root: int,
    period: Any,
    config: StatsConfig,
    limit: int | None,
    out: Results,
) -> None:
    start = time.perf_counter()
    data = await stats.export(
        session, access=ADMIN, unit_id=root, period=period, config=config, people_limit=limit
    )
    computed = time.perf_counter()
    content = await asyncio.to_thread(to_xlsx, data)
    done = time.perf_counter()
    people = sum(len(sheet.people or []) for sheet in data.sheets)
    out.add(
        name,
        f"{label}: previous assessment year",
        done - start,
        f"data {computed - start:.2f} s + file {done - computed:.2f} s; {len(data.sheets)} child "
        f"sheets, {people} people rows, {len(content) / 1e6:.1f} MB",
    )


async def _existing(session: Any, code: str) -> int:
    from bot.storage.units import unit_by_code

    unit = await unit_by_code(session, code)
    if unit is None or unit.id is None:
        raise SystemExit(f"no unit {code} in that database")
    return unit.id


async def _thongke(session: Any, root: int, period: Any, config: StatsConfig) -> Any:
    report = await stats.unit_report(
        session, access=ADMIN, unit_id=root, period=period, config=config
    )
    stats_views.report_text(report, 0)
    stats_views.report_keyboard(report, 0, config.today())
    return report


async def _late_events(session: Any, root: int) -> None:
    from sqlmodel import select

    from bot.storage.models import Membership

    members = (await session.exec(select(Membership).limit(LATE_EVENTS // 2))).all()
    moment = utcnow() - timedelta(minutes=1)
    for index in range(LATE_EVENTS):
        member = members[index % len(members)]
        await ledger.record(
            session,
            user_id=member.user_id,
            unit_ids=[member.unit_id],
            kind="reminder_ack",
            key=f"bench-late:{uuid.uuid4().hex}",
            at=moment,
        )
    await session.commit()
    del root


def _remove(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    path.parent.rmdir()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    parser.add_argument("--units", type=int)
    parser.add_argument("--users", type=int)
    parser.add_argument("--events", type=int)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--postgres", help="a PostgreSQL URL; a throw-away database is made")
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--keep", type=Path, help="keep the SQLite file in this folder")
    parser.add_argument("--existing", action="append", default=[], help="a seeded database URL")
    parser.add_argument("--root", default="DEMO", help="root unit code for --existing")
    args = parser.parse_args()
    sizes = dict(QUICK if args.quick else FULL)
    for key in sizes:
        if getattr(args, key) is not None:
            sizes[key] = getattr(args, key)
    results = Results()
    print(f"sizes: {sizes}", file=sys.stderr)
    for url in args.existing:
        backend = (
            "SQLite"
            if make_url(normalise_url(url)).get_backend_name() == "sqlite"
            else ("PostgreSQL")
        )
        await run_backend(backend, url, sizes, args.runs, results, existing_root=args.root)
    if args.existing:
        args.skip_sqlite, args.postgres = True, None
    if not args.skip_sqlite:
        folder = args.keep or Path(tempfile.mkdtemp(prefix="cg-bench-"))
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"stats-bench-{uuid.uuid4().hex[:6]}.db"
        try:
            await run_backend("SQLite", f"sqlite+aiosqlite:///{path}", sizes, args.runs, results)
        finally:
            if args.keep is None:
                _remove(path)
    if args.postgres:
        async with scratch_postgres(args.postgres) as url:
            await run_backend("PostgreSQL", url, sizes, args.runs, results)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"\nSizes: {sizes['units']} units, {sizes['users']} people, {sizes['events']} events; "
        f"peak RSS {peak:.0f} MB.\n"
    )
    print(results.markdown())


if __name__ == "__main__":
    asyncio.run(main())
