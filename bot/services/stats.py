"""Participation statistics per unit: `/thongke`, the trend chart, exports and honour rolls.

Every use case checks the caller's scope first (`require_scope`), brings the rollups up to date
(`bot.storage.stats.refresh`), then computes from them. A unit's figures cover its whole
subtree; a person in two units of a subtree counts once there, and once in each unit.

Members of a unit in a period: everyone whose membership (any role) overlaps the period.
Active members: members with any event in the period except deliveries the bot made alone.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain.periods import Bucket, Period, breakdown, weeks
from bot.domain.scorecard import (
    CORE_EXPLAINERS,
    checked_thresholds,
    display_name,
    initials,
    score_of,
)
from bot.reports.counting import CountInput, active_days, count
from bot.reports.model import (
    ChildSheet,
    ExportData,
    Figures,
    HonouredLearner,
    HonouredUnit,
    HonourRoll,
    PersonRow,
    Trend,
    TrendPoint,
    UnitRef,
    UnitReport,
    UnitRow,
)
from bot.services.access import Access
from bot.services.grants import in_scope, require_scope
from bot.services.units import UnitTree
from bot.settings import Settings
from bot.storage import stats as store
from bot.storage.clock import utcnow
from bot.storage.models import Role

Progress = Callable[[int, int], None]
# A file naming tens of thousands of people helps nobody and spreads personal data widely:
# above this, a unit's file lists units only (export a child unit for its members).
PEOPLE_IN_FILE_MAX = 10_000


@dataclass(frozen=True)
class StatsConfig:
    zone: ZoneInfo
    thresholds: tuple[int, ...]
    pass_marks: Mapping[str, int]

    @classmethod
    def from_settings(cls, settings: Settings) -> StatsConfig:
        return cls(
            zone=settings.timezone,
            thresholds=checked_thresholds(settings.scorecard_thresholds),
            pass_marks=pass_marks(settings.quizzes_dir),
        )

    def today(self) -> date:
        return datetime.now(self.zone).date()


@lru_cache(maxsize=4)
def _pass_marks(folder: str) -> dict[str, int]:
    from bot.domain.quiz import load_banks

    try:
        return {bank_id: bank.pass_mark for bank_id, bank in load_banks(Path(folder)).items()}
    except (OSError, ValueError):
        return {}


def pass_marks(quizzes_dir: Path) -> dict[str, int]:
    """Pass marks by bank id, read once; only ledger rows without an outcome need them."""
    return _pass_marks(str(quizzes_dir))


async def refresh(
    session: AsyncSession, config: StatsConfig, progress: Progress | None = None
) -> int:
    with paused_gc():
        return await store.refresh(
            session, zone=config.zone, pass_marks=config.pass_marks, progress=progress
        )


def ref_of(tree: UnitTree, unit_id: int) -> UnitRef:
    node = tree.nodes[unit_id]
    return UnitRef(node.id, node.code, node.name, node.kind)


# --- the computation --------------------------------------------------------------------


@contextmanager
def paused_gc() -> Iterator[None]:
    """No cyclic garbage collection while a report loads tens of thousands of rows.

    The rows are plain tuples that never form cycles, yet each allocation burst sets off
    collections that walk every live object; pausing them roughly halves the time.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@dataclass
class _Scope:
    """Which rollup rows count for which wanted unit."""

    tree: UnitTree
    units: set[int]  # the root's subtree
    counts_in: dict[int, tuple[int, ...]]  # unit → the wanted units it counts in
    set_targets: dict[int, tuple[int, ...]]  # unit set → the wanted units it counts in
    set_ids: list[int] | None  # None: every set


async def _scope(
    session: AsyncSession, tree: UnitTree, root_id: int, wanted: Mapping[int, Iterable[int]]
) -> _Scope:
    """`wanted` maps each target to the units whose rows it adds up (usually a subtree)."""
    units = set(tree.descendants(root_id))
    counts_in: dict[int, list[int]] = {}
    for target, members in wanted.items():
        for unit_id in members:
            counts_in.setdefault(unit_id, []).append(target)
    sets = await store.unit_sets(session)
    set_targets: dict[int, tuple[int, ...]] = {}
    for set_id, set_units in sets.items():
        targets = {t for u in set_units for t in counts_in.get(u, ())}
        if targets:
            set_targets[set_id] = tuple(targets)
    every = len(set_targets) == len(sets)
    return _Scope(
        tree,
        units,
        {u: tuple(ts) for u, ts in counts_in.items()},
        set_targets,
        None if every else sorted(set_targets),
    )


def _subtrees(tree: UnitTree, targets: Iterable[int]) -> dict[int, list[int]]:
    return {target: tree.descendants(target) for target in targets}


def _as_period(bucket: Bucket | Period) -> Period:
    return bucket if isinstance(bucket, Period) else Period(bucket.start, bucket.end)


async def _distinct(
    session: AsyncSession,
    scope: _Scope,
    targets: Sequence[int],
    windows: Sequence[Period],
    thresholds: Sequence[int],
    zone: ZoneInfo,
    sum_windows: Sequence[tuple[int, int]],
) -> tuple[dict[int, list[Figures]], dict[tuple[int, int], list[float]]]:
    """Members, active members and the scorecard of each target in each window; and the
    counter sums of each unit set over `sum_windows`."""
    every_unit = len(scope.units) == len(scope.tree.nodes)
    unit_ids = None if every_unit else sorted(scope.counts_in)
    spans = [period.bounds(zone) for period in windows]
    last_day = max(p.last_day for p in windows)
    await store.prepare_reads(session)
    with paused_gc():
        data = CountInput(
            targets=targets,
            unit_targets=scope.counts_in,
            set_targets=scope.set_targets,
            members=await store.member_windows(session, unit_ids, spans),
            consented=await store.consented_people(session),
            activity=await store.activity(session, scope.set_ids),
            reads=await store.first_reads(session, scope.set_ids, CORE_EXPLAINERS, last_day),
            core=CORE_EXPLAINERS,
        )
        sums = await store.set_totals(session, scope.set_ids, sum_windows)
        counted = count(data, [(p.first_day, p.last_day) for p in windows])
    figures = {
        target: [
            Figures(
                members=c.scorecard.members,
                active=c.active,
                scorecard=score_of(c.scorecard, thresholds),
            )
            for c in counted[target]
        ]
        for target in targets
    }
    return figures, sums


def _add_counts(figures: Figures, sums: Sequence[float]) -> None:
    figures.lesson_reads += int(sums[store.READS])
    figures.quiz_started += int(sums[store.STARTED])
    figures.quiz_finished += int(sums[store.FINISHED])
    figures.quiz_passed += int(sums[store.PASSED])
    figures.score_sum += sums[store.SCORE]
    figures.reminder_acks += int(sums[store.REMINDERS])
    figures.broadcast_acks += int(sums[store.BROADCASTS])


async def _compute(
    session: AsyncSession,
    scope: _Scope,
    targets: Sequence[int],
    period: Period,
    buckets: Sequence[Bucket],
    config: StatsConfig,
) -> tuple[dict[int, Figures], dict[int, list[Figures]]]:
    """Figures of each target over the period, and over each bucket (if any)."""
    windows = [period, *(_as_period(bucket) for bucket in buckets)]
    count_windows = [(w.first_day, w.last_day) for w in windows[1:]] or [
        (period.first_day, period.last_day)
    ]
    distinct, sums = await _distinct(
        session, scope, targets, windows, config.thresholds, config.zone, count_windows
    )
    totals = {t: distinct[t][0] for t in targets}
    by_bucket = {t: distinct[t][1:] for t in targets}
    for (set_id, index), values in sums.items():
        for target in scope.set_targets.get(set_id, ()):
            _add_counts(totals[target], values)
            if buckets:
                _add_counts(by_bucket[target][index], values)
    return totals, by_bucket


# --- use cases --------------------------------------------------------------------------


async def unit_report(
    session: AsyncSession,
    *,
    access: Access,
    unit_id: int,
    period: Period,
    config: StatsConfig,
    buckets: Sequence[Bucket] = (),
) -> UnitReport:
    """The unit and each child unit over the period; trainers and up, within their scope."""
    tree = await require_scope(session, access, unit_id, Role.TRAINER)
    await refresh(session, config)
    return await _report(session, tree, access, unit_id, period, config, buckets)


async def _report(
    session: AsyncSession,
    tree: UnitTree,
    access: Access,
    unit_id: int,
    period: Period,
    config: StatsConfig,
    buckets: Sequence[Bucket],
) -> UnitReport:
    targets = [unit_id, *tree.children(unit_id)]
    scope = await _scope(session, tree, unit_id, _subtrees(tree, targets))
    totals, by_bucket = await _compute(session, scope, targets, period, buckets, config)
    rows = [UnitRow(ref_of(tree, t), totals[t], by_bucket[t]) for t in targets]
    return UnitReport(
        unit=ref_of(tree, unit_id),
        period=period,
        total=rows[0],
        children=rows[1:],
        generated_at=utcnow(),
        can_see_people=in_scope(tree, access, unit_id, Role.OFFICER),
        buckets=list(buckets),
    )


async def trend(
    session: AsyncSession, *, access: Access, unit_id: int, period: Period, config: StatsConfig
) -> Trend:
    """Weekly active members and quiz pass rate of the unit over the period."""
    tree = await require_scope(session, access, unit_id, Role.TRAINER)
    await refresh(session, config)
    period = period.clipped(config.today())
    scope = await _scope(session, tree, unit_id, _subtrees(tree, [unit_id]))
    buckets = weeks(period)
    _, by_bucket = await _compute(session, scope, [unit_id], period, buckets, config)
    points = [
        TrendPoint(b.start, b.end, f.active, f.quiz_finished, f.quiz_passed)
        for b, f in zip(buckets, by_bucket[unit_id], strict=True)
    ]
    return Trend(ref_of(tree, unit_id), period, points)


async def export(
    session: AsyncSession,
    *,
    access: Access,
    unit_id: int,
    period: Period,
    config: StatsConfig,
    progress: Progress | None = None,
    people_limit: int | None = PEOPLE_IN_FILE_MAX,
) -> ExportData:
    """Everything a spreadsheet needs.

    People are listed only for officers of the unit (and admins), and only while the unit has
    at most `people_limit` members (None: no limit); a larger unit's file lists units only
    and says how many people were left out: export a child unit to see its members.
    """
    tree = await require_scope(session, access, unit_id, Role.TRAINER)
    step = progress or (lambda done, total: None)
    step(0, 4)
    await refresh(session, config)
    step(1, 4)
    buckets = breakdown(period.clipped(config.today()))
    report = await _report(session, tree, access, unit_id, period, config, buckets)
    step(2, 4)
    children = tree.children(unit_id)
    grandchildren = {c: tree.children(c) for c in children}
    targets = [g for c in children for g in grandchildren[c]]
    rows: dict[int, Figures] = {}
    if targets:
        scope = await _scope(session, tree, unit_id, _subtrees(tree, targets))
        rows, _ = await _compute(session, scope, targets, period, (), config)
    people: dict[int, list[PersonRow]] = {}
    members = report.total.figures.members
    listed = report.can_see_people and (people_limit is None or members <= people_limit)
    if listed:
        groups = {c: tree.descendants(c) for c in children} or {unit_id: [unit_id]}
        if children and unit_id not in groups:
            groups[unit_id] = [unit_id]  # people of the unit itself, outside every child
        people = await _people(session, tree, unit_id, groups, period, config)
    step(3, 4)
    sheets = [
        ChildSheet(
            ref_of(tree, c),
            [UnitRow(ref_of(tree, g), rows[g]) for g in grandchildren[c]],
            people.get(c) if listed else None,
        )
        for c in children
    ]
    if listed and people.get(unit_id):
        sheets.append(ChildSheet(report.unit, [], people[unit_id]))
    step(4, 4)
    omitted = members if report.can_see_people and not listed else 0
    return ExportData(report, sheets, config.thresholds, people_omitted=omitted)


async def _people(
    session: AsyncSession,
    tree: UnitTree,
    unit_id: int,
    groups: Mapping[int, list[int]],
    period: Period,
    config: StatsConfig,
) -> dict[int, list[PersonRow]]:
    """Each member of each group with their own figures over the period."""
    await store.prepare_reads(session)
    with paused_gc():
        return await _people_rows(session, tree, unit_id, groups, period, config)


async def _people_rows(
    session: AsyncSession,
    tree: UnitTree,
    unit_id: int,
    groups: Mapping[int, list[int]],
    period: Period,
    config: StatsConfig,
) -> dict[int, list[PersonRow]]:
    scope = await _scope(session, tree, unit_id, groups)
    start, end = period.bounds(config.zone)
    codes = {unit: tree.nodes[unit].code for unit in scope.counts_in}
    # (target, person) → the codes of the person's units there, and their roles in them.
    joined: dict[tuple[int, int], tuple[set[str], set[str]]] = {}
    for unit, user_id, role in await store.members(session, sorted(codes), start, end):
        for target in scope.counts_in[unit]:
            found = joined.get((target, user_id))
            if found is None:
                joined[(target, user_id)] = ({codes[unit]}, {role})
            else:
                found[0].add(codes[unit])
                found[1].add(role)
    sums: dict[tuple[int, int], list[float]] = {}
    for set_id, user_id, values in await store.user_totals(
        session, scope.set_ids, period.first_day, period.last_day
    ):
        for target in scope.set_targets.get(set_id, ()):
            earlier = sums.get((target, user_id))
            # New lists, never added in place: one row's values may go to several targets.
            sums[(target, user_id)] = (
                values if earlier is None else [a + b for a, b in zip(earlier, values, strict=True)]
            )
    activity = await store.activity(session, scope.set_ids)
    days = active_days(activity, scope.set_targets, period.first_day, period.last_day)
    persons = await store.people(session, {user for _, user in joined})
    nothing = [0.0] * len(store.COUNTERS)
    result: dict[int, list[PersonRow]] = {}
    for (target, user_id), (units, roles) in joined.items():
        person = persons.get(user_id)
        named = person if person is not None and person.consented else None
        values = sums.get((target, user_id), nothing)
        finished = int(values[store.FINISHED])
        result.setdefault(target, []).append(
            PersonRow(
                user_id=user_id,
                name=display_name(named.first_name, named.last_name) if named else "",
                username=named.username if named else None,
                units=", ".join(sorted(units)),
                roles=", ".join(sorted(roles)),
                consented=named is not None,
                active_days=days.get((target, user_id), 0),
                lesson_reads=int(values[store.READS]),
                quiz_finished=finished,
                quiz_passed=int(values[store.PASSED]),
                average_score=values[store.SCORE] / finished if finished else None,
                reminder_acks=int(values[store.REMINDERS]),
                broadcast_acks=int(values[store.BROADCASTS]),
            )
        )
    for rows in result.values():
        rows.sort(key=lambda p: (not p.consented, p.name.casefold(), p.user_id))
    return result


async def honour_roll(
    session: AsyncSession,
    *,
    access: Access,
    unit_id: int,
    period: Period,
    config: StatsConfig,
    limit: int = 10,
) -> HonourRoll:
    """Top child units by scorecard and top learners by quizzes passed, for any member.

    Learners appear by name only if they chose so (`public_name`), else by initials; people
    who withdrew consent do not appear.
    """
    tree = await require_scope(session, access, unit_id, Role.LEARNER)
    await refresh(session, config)
    report = await _report(session, tree, access, unit_id, period, config, ())
    units = sorted(
        (
            HonouredUnit(row.unit, row.figures.scorecard.score, row.figures.scorecard.tier)
            for row in report.children
            if row.figures.scorecard is not None
            and row.figures.scorecard.score is not None
            and row.figures.scorecard.tier is not None
        ),
        key=lambda h: (-h.score, h.unit.code),
    )[:limit]
    scope = await _scope(session, tree, unit_id, {unit_id: tree.descendants(unit_id)})
    totals: dict[int, list[float]] = {}
    for set_id, user_id, values in await store.user_totals(
        session, scope.set_ids, period.first_day, period.last_day
    ):
        if set_id in scope.set_targets:
            total = totals.setdefault(user_id, [0.0] * len(values))
            for index, value in enumerate(values):
                total[index] += value
    ranked = sorted(
        ((user, values) for user, values in totals.items() if values[store.PASSED] > 0),
        key=lambda item: (
            -item[1][store.PASSED],
            -(item[1][store.SCORE] / max(item[1][store.FINISHED], 1)),
            item[0],
        ),
    )
    persons = await store.people(session, [user for user, _ in ranked])
    learners: list[HonouredLearner] = []
    for user_id, values in ranked:
        person = persons.get(user_id)
        if person is None or not person.consented:
            continue
        label = (
            display_name(person.first_name, person.last_name)
            if person.public_name
            else initials(person.first_name, person.last_name)
        )
        finished = values[store.FINISHED]
        learners.append(
            HonouredLearner(
                label or "—",
                int(values[store.PASSED]),
                values[store.SCORE] / finished if finished else None,
            )
        )
        if len(learners) == limit:
            break
    return HonourRoll(report.unit, period, units, learners)
