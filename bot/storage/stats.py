"""Keeping the ledger rollups exact, and the queries unit reports run on them.

`refresh` folds ledger rows above the high-water mark (`stats_state.last_event_id`) into the
rollups; reports call it first, so they always see every committed event. Only rows whose
writers have finished are folded: PostgreSQL briefly takes a SHARE lock on the ledger to learn
the highest committed id, and SQLite has one writer at a time. Refreshes are serialised on the
state row. If ledger rows are ever deleted (a retention purge), call `rebuild`.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import (
    BigInteger,
    case,
    delete,
    false,
    func,
    literal,
    literal_column,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain.periods import local_day, month_start, pack_days, unpack_days, whole_months
from bot.domain.scorecard import CORE_QUIZ_BANK, quiz_outcome
from bot.storage.clock import utcnow
from bot.storage.database import insert_for
from bot.storage.ledger import EventKind
from bot.storage.models import Membership, ParticipationEvent, User
from bot.storage.models_stats import (
    StatsFirstRead,
    StatsSetDay,
    StatsSetMonth,
    StatsState,
    StatsUnitSet,
    StatsUserActivity,
    StatsUserDay,
    StatsUserMonth,
)

COUNTERS = (
    "events",
    "lesson_reads",
    "quiz_started",
    "quiz_finished",
    "quiz_passed",
    "score_sum",
    "reminder_acks",
    "broadcast_acks",
)
EVENTS, READS, STARTED, FINISHED, PASSED, SCORE, REMINDERS, BROADCASTS = range(len(COUNTERS))
KIND_COUNTER = {
    EventKind.LESSON_READ: READS,
    EventKind.QUIZ_STARTED: STARTED,
    EventKind.QUIZ_FINISHED: FINISHED,
    EventKind.REMINDER_ACK: REMINDERS,
    EventKind.BROADCAST_ACK: BROADCASTS,
}
# Rows of one `ledger.record` call are inserted by one statement, so their ids lie together;
# a group is closed once the scan is this far past its first row.
GROUP_WINDOW = 1000
CHUNK_ROWS = 20_000
FLUSH_KEYS = 300_000
IN_CHUNK = 5_000
STATE_ID = 1
SQLITE_MMAP_BYTES = 1 << 30

Progress = Callable[[int, int], None]


def is_activity(kind: str) -> bool:
    """Every event counts as activity except what the bot did alone (a delivery)."""
    return not kind.endswith("_delivered")


EVENTS_TABLE = ParticipationEvent.__table__  # type: ignore[attr-defined]
STATE_ROW = StatsState.__table__.c.id == STATE_ID  # type: ignore[attr-defined]


@dataclass(slots=True)
class _Group:
    first_id: int
    user_id: int
    kind: str
    ref: str | None
    value: float | None
    at: Any  # a datetime, or SQLite's text form of one
    units: set[int]


class _LocalDays:
    """Local day ordinals of UTC instants, cached per hour, or per minute in the zones whose
    offset is not a whole number of hours."""

    def __init__(self, zone: ZoneInfo) -> None:
        self.zone = zone
        self.cache: dict[Any, int] = {}
        self.months: dict[int, int] = {}
        year = datetime.now(zone).year
        offsets = {datetime(year, month, 1, tzinfo=zone).utcoffset() for month in (1, 7)}
        whole = all(o is not None and o.total_seconds() % 3600 == 0 for o in offsets)
        self.text_key = 13 if whole else 16  # "YYYY-MM-DD HH" or "YYYY-MM-DD HH:MM"
        self.seconds_key = 3600 if whole else 60

    def month(self, day: int) -> int:
        start = self.months.get(day)
        if start is None:
            start = self.months[day] = month_start(day)
        return start

    def of(self, at: Any) -> int:
        if isinstance(at, str):
            key: Any = at[: self.text_key]
        else:
            key = int(at.timestamp()) // self.seconds_key
        day = self.cache.get(key)
        if day is None:
            if isinstance(at, str):
                moment = datetime.fromisoformat(f"{key}:00" if self.text_key == 13 else key)
            else:
                moment = at
            day = self.cache[key] = local_day(moment, self.zone).toordinal()
        return day


class _Fold:
    """Accumulates logical events until they are written."""

    def __init__(self, days: _LocalDays, pass_marks: Mapping[str, int]) -> None:
        self.days = days
        self.pass_marks = pass_marks
        # Keyed (day, set), (day, set, person) and the same by month, like the tables.
        self.set_days: dict[tuple[int, int], list[float]] = {}
        self.user_days: dict[tuple[int, int, int], list[float]] = {}
        self.set_months: dict[tuple[int, int], list[float]] = {}
        self.user_months: dict[tuple[int, int, int], list[float]] = {}
        self.activity: dict[tuple[int, int], tuple[set[int], set[int], set[int]]] = {}
        self.reads: dict[tuple[int, int, str], int] = {}

    def add(self, set_id: int, group: _Group) -> None:
        day = self.days.of(group.at)
        kind = group.kind
        counter = KIND_COUNTER.get(kind)
        passed = passed_core = False
        score = 0.0
        if kind == EventKind.QUIZ_FINISHED:
            bank, passed = quiz_outcome(group.ref, group.value, self.pass_marks)
            score = float(group.value or 0.0)
            passed_core = passed and bank == CORE_QUIZ_BANK
        month = self.days.month(day)
        for totals in (
            _totals(self.set_days, (day, set_id)),
            _totals(self.user_days, (day, set_id, group.user_id)),
            _totals(self.set_months, (month, set_id)),
            _totals(self.user_months, (month, set_id, group.user_id)),
        ):
            totals[EVENTS] += 1
            if counter is not None:
                totals[counter] += 1
            if passed:
                totals[PASSED] += 1
            totals[SCORE] += score
        if is_activity(kind):
            marks = self.activity.get((set_id, group.user_id))
            if marks is None:
                marks = self.activity[(set_id, group.user_id)] = (set(), set(), set())
            marks[0].add(day)
            if kind == EventKind.REMINDER_ACK:
                marks[1].add(day)
            if passed_core:
                marks[2].add(day)
        if kind == EventKind.LESSON_READ and group.ref:
            read = (set_id, group.user_id, group.ref)
            self.reads[read] = min(day, self.reads.get(read, day))

    @property
    def size(self) -> int:
        return len(self.user_days) + len(self.activity)


def _totals(table: dict[Any, list[float]], key: Any) -> list[float]:
    totals = table.get(key)
    if totals is None:
        totals = table[key] = [0.0] * len(COUNTERS)
    return totals


async def refresh(
    session: AsyncSession,
    *,
    zone: ZoneInfo,
    pass_marks: Mapping[str, int],
    progress: Progress | None = None,
) -> int:
    """Fold new ledger rows into the rollups and commit; returns the rows folded."""
    await _ensure_state(session)
    connection = await session.connection()
    last = await _last_folded(connection)
    top = await _max_event_id(connection)
    if top <= last:
        await session.commit()  # ends the read; a rollback would expire the caller's objects
        return 0
    if connection.dialect.name == "postgresql":
        top = await _committed_top(connection)
        last = await _last_folded(connection, lock=True)
    else:
        # Writing first takes SQLite's write lock: no ledger row can appear under us now.
        await connection.execute(update(StatsState).where(STATE_ROW).values(refreshed_at=utcnow()))
        last = await _last_folded(connection)
        top = await _max_event_id(connection)
    if top <= last:
        await session.commit()
        return 0
    folded = await _fold_range(connection, last, top, zone, pass_marks, progress)
    await connection.execute(
        update(StatsState).where(STATE_ROW).values(last_event_id=top, refreshed_at=utcnow())
    )
    await session.commit()
    return folded


async def rebuild(
    session: AsyncSession,
    *,
    zone: ZoneInfo,
    pass_marks: Mapping[str, int],
    progress: Progress | None = None,
) -> int:
    """Empty the rollups and fold the whole ledger again."""
    await _ensure_state(session)
    connection = await session.connection()
    if connection.dialect.name == "postgresql":
        await _last_folded(connection, lock=True)
    for model in (
        StatsFirstRead,
        StatsUserActivity,
        StatsUserMonth,
        StatsSetMonth,
        StatsUserDay,
        StatsSetDay,
        StatsUnitSet,
    ):
        await connection.execute(delete(model))
    await connection.execute(update(StatsState).where(STATE_ROW).values(last_event_id=0))
    await session.commit()
    return await refresh(session, zone=zone, pass_marks=pass_marks, progress=progress)


async def _ensure_state(session: AsyncSession) -> None:
    connection = await session.connection()
    statement = (
        insert_for(connection.dialect.name)(StatsState)
        .values(id=STATE_ID, last_event_id=0)
        .on_conflict_do_nothing(index_elements=["id"])
    )
    await connection.execute(statement)
    await session.commit()


async def _last_folded(connection: AsyncConnection, *, lock: bool = False) -> int:
    statement = select(StatsState.last_event_id).where(STATE_ROW)  # type: ignore[call-overload]
    if lock:
        statement = statement.with_for_update()
    return int((await connection.execute(statement)).scalar_one())


async def _max_event_id(connection: AsyncConnection) -> int:
    return int((await connection.execute(select(func.max(EVENTS_TABLE.c.id)))).scalar() or 0)


async def _committed_top(connection: AsyncConnection) -> int:
    """The highest ledger id once every writer that may hold a lower one has finished.

    A SHARE lock waits for open writing transactions and is released at once, on a
    connection of its own, so ledger writers are held up only for that moment.
    """
    engine: AsyncEngine = connection.engine
    async with engine.connect() as other, other.begin():
        await other.execute(text("LOCK TABLE participation_events IN SHARE MODE"))
        return await _max_event_id(other)


async def _fold_range(
    connection: AsyncConnection,
    last: int,
    top: int,
    zone: ZoneInfo,
    pass_marks: Mapping[str, int],
    progress: Progress | None,
) -> int:
    sets = await _unit_sets(connection)
    known = {units: set_id for set_id, units in sets.items()}
    days = _LocalDays(zone)
    fold = _Fold(days, pass_marks)
    open_groups: OrderedDict[tuple[int, Any, str], _Group] = OrderedDict()
    cursor, folded = last, 0
    table = EVENTS_TABLE
    columns = [
        table.c[name] for name in ("id", "user_id", "unit_id", "kind", "ref", "value", "at", "key")
    ]

    async def emit(group: _Group) -> None:
        units = tuple(sorted(group.units))
        set_id = known.get(units)
        if set_id is None:
            set_id = known[units] = await _new_set(connection, units)
        fold.add(set_id, group)

    while cursor < top:
        statement = (
            select(*columns)
            .where(table.c.id > cursor, table.c.id <= top)
            .order_by(table.c.id)
            .limit(CHUNK_ROWS)
        )
        rows = await _fetch_all(connection, statement)
        if not rows:
            break
        for row_id, user_id, unit_id, kind, ref, value, at, key in rows:
            suffix = f":{unit_id}"
            base = key[: -len(suffix)] if key.endswith(suffix) else key
            identity = (user_id, at, base)
            group = open_groups.get(identity)
            if group is None:
                open_groups[identity] = _Group(row_id, user_id, kind, ref, value, at, {unit_id})
            else:
                group.units.add(unit_id)
        cursor = int(rows[-1][0])
        folded += len(rows)
        while open_groups:
            identity, group = next(iter(open_groups.items()))
            if group.first_id > cursor - GROUP_WINDOW:
                break
            del open_groups[identity]
            await emit(group)
        if fold.size > FLUSH_KEYS:
            await _write(connection, fold)
            fold = _Fold(days, pass_marks)
        if progress is not None:
            progress(cursor - last, top - last)
    for group in open_groups.values():
        await emit(group)
    await _write(connection, fold)
    return folded


async def _new_set(connection: AsyncConnection, units: tuple[int, ...]) -> int:
    table = StatsUnitSet.__table__  # type: ignore[attr-defined]
    statement = table.insert().values(units=",".join(map(str, units))).returning(table.c.id)
    return int((await connection.execute(statement)).scalar_one())


def _adding(table: Any, keys: Sequence[str]) -> Callable[[AsyncConnection], Any]:
    """An upsert that adds the counters of a new row to those already stored."""

    def build(connection: AsyncConnection) -> Any:
        statement = insert_for(connection.dialect.name)(table)
        return statement.on_conflict_do_update(
            index_elements=list(keys),
            set_={name: table.c[name] + statement.excluded[name] for name in COUNTERS},
        )

    return build


def _earliest_read(connection: AsyncConnection) -> Any:
    table = StatsFirstRead.__table__  # type: ignore[attr-defined]
    statement = insert_for(connection.dialect.name)(table)
    return statement.on_conflict_do_update(
        index_elements=["set_id", "user_id", "explainer"],
        set_={
            "day": case(
                (statement.excluded.day < table.c.day, statement.excluded.day),
                else_=table.c.day,
            )
        },
    )


def _replacing_activity(connection: AsyncConnection) -> Any:
    statement = insert_for(connection.dialect.name)(StatsUserActivity.__table__)  # type: ignore[attr-defined]
    return statement.on_conflict_do_update(
        index_elements=["set_id", "user_id"],
        set_={name: statement.excluded[name] for name in ("first_day", *ACTIVITY_DAYS)},
    )


SUM_TABLES: tuple[tuple[Any, tuple[str, ...], str], ...] = (
    (StatsSetDay.__table__, ("day", "set_id"), "set_days"),  # type: ignore[attr-defined]
    (StatsUserDay.__table__, ("day", "set_id", "user_id"), "user_days"),  # type: ignore[attr-defined]
    (StatsSetMonth.__table__, ("month", "set_id"), "set_months"),  # type: ignore[attr-defined]
    (StatsUserMonth.__table__, ("month", "set_id", "user_id"), "user_months"),  # type: ignore[attr-defined]
)


async def _write(connection: AsyncConnection, fold: _Fold) -> None:
    for table, keys, field in SUM_TABLES:
        data: dict[Any, list[float]] = getattr(fold, field)
        rows = [
            (*key, *(int(v) for v in totals[:SCORE]), totals[SCORE], *map(int, totals[SCORE + 1 :]))
            for key, totals in data.items()
        ]
        await _bulk(connection, table.name, _adding(table, keys), (*keys, *COUNTERS), rows)
    await _write_activity(connection, fold)
    reads = [(*key, day) for key, day in fold.reads.items()]
    await _bulk(
        connection,
        "stats_first_reads",
        _earliest_read,
        ("set_id", "user_id", "explainer", "day"),
        reads,
    )


# Upserts compiled once per dialect and table: building them costs more than a small refresh.
_COMPILED: dict[tuple[str, str], tuple[str, list[int]]] = {}


async def _bulk(
    connection: AsyncConnection,
    name: str,
    build: Callable[[AsyncConnection], Any],
    columns: Sequence[str],
    rows: Sequence[tuple[Any, ...]],
) -> None:
    """executemany through the driver: the rollups take hundreds of thousands of rows."""
    if not rows:
        return
    dialect = connection.dialect
    driver: Any = (await connection.get_raw_connection()).driver_connection
    if dialect.name not in ("sqlite", "postgresql") or driver is None:
        statement = build(connection)
        for start in range(0, len(rows), 10_000):
            batch = [dict(zip(columns, row, strict=True)) for row in rows[start : start + 10_000]]
            await connection.execute(statement, batch)
        return
    cached = _COMPILED.get((dialect.name, name))
    if cached is None:
        compiled = build(connection).compile(dialect=dialect, column_keys=list(columns))
        order = [columns.index(column) for column in compiled.positiontup or ()]
        cached = _COMPILED[(dialect.name, name)] = (str(compiled), order)
    sql, order = cached
    if order != list(range(len(columns))):
        rows = [tuple(row[i] for i in order) for row in rows]
    for start in range(0, len(rows), 10_000):
        await driver.executemany(sql, rows[start : start + 10_000])


ACTIVITY_DAYS = ("active", "reminded", "core_passed")


async def _write_activity(connection: AsyncConnection, fold: _Fold) -> None:
    if not fold.activity:
        return
    table = StatsUserActivity.__table__  # type: ignore[attr-defined]
    existing: dict[tuple[int, int], tuple[Any, ...]] = {}
    if (await connection.execute(select(table.c.set_id).limit(1))).first() is not None:
        users = sorted({user for _, user in fold.activity})
        columns = [table.c[name] for name in ("set_id", "user_id", "first_day", *ACTIVITY_DAYS)]
        for start in range(0, len(users), IN_CHUNK):
            statement = select(*columns).where(
                _among(table.c.user_id, users[start : start + IN_CHUNK])
            )
            for set_id, user_id, *stored in await _fetch_all(connection, statement):
                existing[(set_id, user_id)] = tuple(stored)
    rows = []
    for key, marks in fold.activity.items():
        old = existing.get(key)
        if old is None:
            first = min(marks[0])
            encoded = [pack_days(days, first) for days in marks]
        else:
            first = min(old[0], min(marks[0]))
            encoded = [
                pack_days(days.union(unpack_days(packed, old[0])), first)
                for packed, days in zip(old[1:], marks, strict=True)
            ]
        rows.append((*key, first, *encoded))
    await _bulk(
        connection,
        "stats_user_activity",
        _replacing_activity,
        ("set_id", "user_id", "first_day", *ACTIVITY_DAYS),
        rows,
    )


# --- erasure ------------------------------------------------------------------------------


async def hold_rollups(connection: AsyncConnection) -> None:
    """Keep `refresh` out until this transaction ends, so it folds no row between the moves
    of `reassign_people` and the caller's ledger updates. On SQLite the first write takes the
    database's one write lock; on PostgreSQL the state row is locked."""
    await connection.execute(
        insert_for(connection.dialect.name)(StatsState)
        .values(id=STATE_ID, last_event_id=0)
        .on_conflict_do_nothing(index_elements=["id"])
    )
    if connection.dialect.name == "postgresql":
        await _last_folded(connection, lock=True)
    else:
        await connection.execute(update(StatsState).where(STATE_ROW).values(refreshed_at=utcnow()))


async def reassign_people(connection: AsyncConnection, new_ids: Mapping[int, int]) -> None:
    """Move people's rollup rows to other ids (their pseudonyms), adding to any rows those ids
    already hold (a person erased twice). Call `hold_rollups` first; the caller commits."""
    if not new_ids:
        return
    old = sorted(new_ids)
    for table, keys, _ in SUM_TABLES:
        if "user_id" in keys:
            columns = (*keys, *COUNTERS)
            rows = await _take(connection, table, columns, old)
            await _put(connection, _adding(table, keys), columns, rows, new_ids)
    reads = StatsFirstRead.__table__  # type: ignore[attr-defined]
    columns = ("set_id", "user_id", "explainer", "day")
    await _put(
        connection, _earliest_read, columns, await _take(connection, reads, columns, old), new_ids
    )
    await _reassign_activity(connection, new_ids)


async def _take(
    connection: AsyncConnection, table: Any, columns: Sequence[str], user_ids: Sequence[int]
) -> list[dict[str, Any]]:
    """Read and delete the rows of these people."""
    found = await connection.execute(
        select(*(table.c[name] for name in columns)).where(_among(table.c.user_id, user_ids))
    )
    rows = [dict(row._mapping) for row in found]
    if rows:
        await connection.execute(delete(table).where(_among(table.c.user_id, user_ids)))
    return rows


async def _put(
    connection: AsyncConnection,
    build: Callable[[AsyncConnection], Any],
    columns: Sequence[str],
    rows: Sequence[dict[str, Any]],
    new_ids: Mapping[int, int],
) -> None:
    if rows:
        moved = [{**row, "user_id": new_ids[row["user_id"]]} for row in rows]
        await connection.execute(build(connection), [{c: r[c] for c in columns} for r in moved])


async def _reassign_activity(connection: AsyncConnection, new_ids: Mapping[int, int]) -> None:
    table = StatsUserActivity.__table__  # type: ignore[attr-defined]
    columns = ("set_id", "user_id", "first_day", *ACTIVITY_DAYS)
    rows = await _take(connection, table, columns, sorted(new_ids))
    if not rows:
        return
    merged: dict[tuple[int, int], tuple[int, list[set[int]]]] = {}
    existing = await connection.execute(
        select(*(table.c[name] for name in columns)).where(
            _among(table.c.user_id, sorted(set(new_ids.values())))
        )
    )
    for row in [dict(r._mapping) for r in existing] + [
        {**r, "user_id": new_ids[r["user_id"]]} for r in rows
    ]:
        key = (row["set_id"], row["user_id"])
        days = [set(unpack_days(row[name], row["first_day"])) for name in ACTIVITY_DAYS]
        first, known = merged.get(key, (row["first_day"], [set(), set(), set()]))
        merged[key] = (
            min(first, row["first_day"]),
            [a | b for a, b in zip(known, days, strict=True)],
        )
    await connection.execute(
        _replacing_activity(connection),
        [
            {
                "set_id": set_id,
                "user_id": user_id,
                "first_day": first,
                **{
                    name: pack_days(days, first)
                    for name, days in zip(ACTIVITY_DAYS, marks, strict=True)
                },
            }
            for (set_id, user_id), (first, marks) in merged.items()
        ],
    )


# --- reads for reports -------------------------------------------------------------------

# Reports may read through a session, or through connections of their own to run reads side
# by side (each statement sees the latest committed data either way).
Reader = AsyncSession | AsyncConnection


async def _connection(source: Reader) -> AsyncConnection:
    return source if isinstance(source, AsyncConnection) else await source.connection()


# (set, person, first day, active, reminded, core passed): see `StatsUserActivity`.
ActivityRow = tuple[int, int, int, bytes, bytes, bytes]


# (unit, person, role) of one membership.
MemberRow = tuple[int, int, str]


class Person(NamedTuple):
    """Who a member is, as reports may show them (a tuple: reports make tens of thousands)."""

    user_id: int
    first_name: str | None
    last_name: str | None
    username: str | None
    public_name: bool
    consented: bool


async def _unit_sets(connection: AsyncConnection) -> dict[int, tuple[int, ...]]:
    table = StatsUnitSet.__table__  # type: ignore[attr-defined]
    rows = (await connection.execute(select(table.c.id, table.c.units))).all()
    return {int(i): tuple(int(u) for u in units.split(",") if u) for i, units in rows}


async def unit_sets(session: Reader) -> dict[int, tuple[int, ...]]:
    """Every unit set: id → the units one logical event was logged to."""
    return await _unit_sets(await _connection(session))


async def _fetch_all(connection: AsyncConnection, statement: Any) -> list[tuple[Any, ...]]:
    """Rows as plain tuples straight from the driver.

    Reports read tens of thousands of rollup rows; skipping SQLAlchemy's row objects roughly
    halves the time. Parameters still go through the column types' bind processors.
    """
    dialect = connection.dialect
    driver: Any = (await connection.get_raw_connection()).driver_connection
    if dialect.name not in ("sqlite", "postgresql") or driver is None:
        return [tuple(row) for row in (await connection.execute(statement)).all()]
    compiled = statement.compile(dialect=dialect, compile_kwargs={"render_postcompile": True})
    values = compiled.construct_params()
    params = []
    for name in compiled.positiontup or ():
        bind = compiled.binds.get(name)
        if bind is None:  # one value of an expanded IN list
            bind = compiled.binds.get(name.rsplit("_", 1)[0])
        processor = bind.type.bind_processor(dialect) if bind is not None else None
        params.append(processor(values[name]) if processor else values[name])
    if dialect.name == "postgresql":
        return [tuple(row) for row in await driver.fetch(str(compiled), *params)]
    cursor = await driver.execute(str(compiled), params)
    try:
        return list(await cursor.fetchall())
    finally:
        await cursor.close()


def _among(column: Any, ids: Sequence[int]) -> Any:
    """`column IN (ids)` with the ids written into the statement.

    Binding thousands of ids one parameter at a time, or having SQLAlchemy render them, costs
    more than the query itself; `int` makes writing them in safe.
    """
    if not ids:
        return false()
    return column.op("IN")(literal_column(f"({','.join(str(int(i)) for i in ids)})"))


def _in_chunks(ids: Sequence[int] | None) -> list[Sequence[int] | None]:
    if ids is None:
        return [None]
    return [ids[start : start + IN_CHUNK] for start in range(0, len(ids), IN_CHUNK)]


def _ranges(windows: Sequence[tuple[int, int]]) -> tuple[list[Any], list[Any]]:
    """Each window as (first, last, index) ranges of whole months and of edge days."""
    months: list[tuple[int, int, int]] = []
    days: list[tuple[int, int, int]] = []
    for index, (first, last) in enumerate(windows):
        whole, edges = whole_months(first, last)
        if whole is not None:
            months.append((*whole, index))
        days.extend((low, high, index) for low, high in edges)
    return months, days


async def _sums(
    connection: AsyncConnection,
    windows: Sequence[tuple[int, int]],
    set_ids: Sequence[int] | None,
    tables: tuple[Any, Any],
    keys: Sequence[str],
) -> dict[tuple[Any, ...], list[float]]:
    """Counter sums per (keys..., window index), from the month table and the day table."""
    result: dict[tuple[Any, ...], list[float]] = {}
    for table, column, ranges in zip(tables, ("month", "day"), _ranges(windows), strict=True):
        if not ranges:
            continue
        position = table.c[column]
        window = case(*[(position.between(a, b), i) for a, b, i in ranges], else_=-1)
        for chunk in _in_chunks(set_ids):
            statement = (
                select(
                    *[table.c[k] for k in keys], window, *[func.sum(table.c[n]) for n in COUNTERS]
                )
                .where(or_(*[position.between(a, b) for a, b, _ in ranges]))
                .group_by(*[table.c[k] for k in keys], window)
            )
            if chunk is not None:
                statement = statement.where(_among(table.c.set_id, chunk))
            width = len(keys) + 1
            for row in await _fetch_all(connection, statement):
                key, values = row[:width], list(map(float, row[width:]))  # PostgreSQL: Decimal
                totals = result.get(key)
                if totals is None:
                    result[key] = values
                else:
                    for index, value in enumerate(values):
                        totals[index] += value
    return result


async def set_totals(
    session: Reader,
    set_ids: Sequence[int] | None,
    windows: Sequence[tuple[int, int]],
) -> dict[tuple[int, int], list[float]]:
    """Counter sums per (set, window index); windows are (first day, last day), disjoint.

    `set_ids` None means every set.
    """
    tables = (StatsSetMonth.__table__, StatsSetDay.__table__)  # type: ignore[attr-defined]
    sums = await _sums(await _connection(session), windows, set_ids, tables, ("set_id",))
    return {(key[0], key[1]): values for key, values in sums.items()}


async def user_totals(
    session: Reader, set_ids: Sequence[int] | None, first_day: int, last_day: int
) -> list[tuple[int, int, list[float]]]:
    """Counter sums per (set, person) over a range of days."""
    tables = (StatsUserMonth.__table__, StatsUserDay.__table__)  # type: ignore[attr-defined]
    sums = await _sums(
        await _connection(session), [(first_day, last_day)], set_ids, tables, ("set_id", "user_id")
    )
    return [(key[0], key[1], values) for key, values in sums.items()]


async def activity(session: Reader, set_ids: Sequence[int] | None) -> list[ActivityRow]:
    connection = await _connection(session)
    table = StatsUserActivity.__table__  # type: ignore[attr-defined]
    columns = [
        table.c.set_id,
        table.c.user_id,
        table.c.first_day,
        *[table.c[name] for name in ACTIVITY_DAYS],
    ]
    rows: list[ActivityRow] = []
    for chunk in _in_chunks(set_ids):
        statement = select(*columns)
        if chunk is not None:
            statement = statement.where(_among(table.c.set_id, chunk))
        rows.extend(await _fetch_all(connection, statement))
    return rows


async def first_reads(
    session: Reader,
    set_ids: Sequence[int] | None,
    explainers: Sequence[str],
    until_day: int,
) -> list[tuple[int, int, str, int]]:
    """(set, person, explainer, first day) of reads of the given explainers up to a day."""
    connection = await _connection(session)
    table = StatsFirstRead.__table__  # type: ignore[attr-defined]
    columns = (table.c.set_id, table.c.user_id, table.c.explainer, table.c.day)
    rows: list[tuple[int, int, str, int]] = []
    for chunk in _in_chunks(set_ids):
        statement = select(*columns).where(
            table.c.explainer.in_(list(explainers)), table.c.day <= until_day
        )
        if chunk is not None:
            statement = statement.where(_among(table.c.set_id, chunk))
        rows.extend(await _fetch_all(connection, statement))
    return rows


async def members(
    session: Reader, unit_ids: Sequence[int] | None, start: datetime, end: datetime
) -> list[MemberRow]:
    """Memberships that overlap [start, end)."""
    connection = await _connection(session)
    member = Membership.__table__  # type: ignore[attr-defined]
    rows: list[MemberRow] = []
    for chunk in _in_chunks(unit_ids):
        statement = select(member.c.unit_id, member.c.user_id, member.c.role).where(
            member.c.since < end, member.c.until.is_(None) | (member.c.until >= start)
        )
        if chunk is not None:
            statement = statement.where(_among(member.c.unit_id, chunk))
        rows.extend(await _fetch_all(connection, statement))
    return rows


async def member_windows(
    session: Reader,
    unit_ids: Sequence[int] | None,
    spans: Sequence[tuple[datetime, datetime]],
) -> list[tuple[int, int, int]]:
    """(unit, person, windows) of memberships overlapping any span [from, to).

    Bit i of `windows` is set when the membership overlaps span i (at most 62 spans). Consent
    comes from `consented_people`: a join here would cost a lookup per membership.
    """
    if len(spans) > 62:
        raise ValueError("at most 62 spans")
    connection = await _connection(session)
    member = Membership.__table__  # type: ignore[attr-defined]
    low, high = min(s for s, _ in spans), max(e for _, e in spans)
    mask: Any = literal(1, BigInteger)
    if len(spans) > 1:
        mask = sum(
            (
                case(
                    (
                        (member.c.since < end)
                        & (member.c.until.is_(None) | (member.c.until >= start)),
                        literal(1 << index, BigInteger),
                    ),
                    else_=literal(0, BigInteger),
                )
                for index, (start, end) in enumerate(spans)
            ),
            literal(0, BigInteger),
        )
    rows: list[tuple[int, int, int]] = []
    for chunk in _in_chunks(unit_ids):
        statement = select(member.c.unit_id, member.c.user_id, mask).where(
            member.c.since < high, member.c.until.is_(None) | (member.c.until >= low)
        )
        if chunk is not None:
            statement = statement.where(_among(member.c.unit_id, chunk))
        rows.extend(await _fetch_all(connection, statement))
    return rows


async def consented_people(session: Reader) -> list[int]:
    """Ids of everyone whose consent stands (given, not withdrawn), and the pseudonyms
    (negative ids) of erased people who had consented: a unit's past figures stay as they
    were when someone leaves."""
    connection = await _connection(session)
    user = User.__table__  # type: ignore[attr-defined]
    statement = select(user.c.id).where(
        user.c.consent_at.is_not(None), user.c.erased_at.is_(None) | (user.c.id < 0)
    )
    return [row[0] for row in await _fetch_all(connection, statement)]


async def prepare_reads(session: Reader) -> None:
    """Before a report: on SQLite, map the file into memory for this connection.

    A report reads tens of thousands of rollup rows through a fresh connection whose page
    cache is empty; memory-mapped pages spare one system call per page.
    """
    connection = await _connection(session)
    if connection.dialect.name == "sqlite":
        await connection.exec_driver_sql(f"PRAGMA mmap_size = {SQLITE_MMAP_BYTES}")


async def people(session: Reader, user_ids: Iterable[int]) -> dict[int, Person]:
    connection = await _connection(session)
    user = User.__table__  # type: ignore[attr-defined]
    consented = case((user.c.consent_at.is_not(None) & user.c.erased_at.is_(None), 1), else_=0)
    ids = sorted(set(user_ids))
    found: dict[int, Person] = {}
    for start in range(0, len(ids), IN_CHUNK):
        statement = select(
            user.c.id,
            user.c.first_name,
            user.c.last_name,
            user.c.username,
            user.c.public_name,
            consented,
        ).where(_among(user.c.id, ids[start : start + IN_CHUNK]))
        for user_id, first, last, username, public, ok in await _fetch_all(connection, statement):
            found[user_id] = Person(user_id, first, last, username, bool(public), ok == 1)
    return found


async def current_member_counts(session: Reader) -> dict[int, int]:
    """Distinct people with a current membership, per unit (the unit alone, not its subtree)."""
    connection = await _connection(session)
    member = Membership.__table__  # type: ignore[attr-defined]
    statement = (
        select(member.c.unit_id, func.count(func.distinct(member.c.user_id)))
        .where(member.c.until.is_(None))
        .group_by(member.c.unit_id)
    )
    return {int(unit): int(n) for unit, n in await _fetch_all(connection, statement)}
