"""Unit statistics against hand-counted ledger rows, on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain.periods import Period, this_month
from bot.services import stats
from bot.services.access import Access, Grant
from bot.services.grants import ScopeError
from bot.services.stats import StatsConfig
from bot.services.users import CONSENT_VERSION
from bot.storage import ledger
from bot.storage import stats as store
from bot.storage.models import Membership, Role, Unit, User
from bot.storage.models_stats import StatsSetDay

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
CONFIG = StatsConfig(zone=ZONE, thresholds=(80, 60, 40), pass_marks={"chi-thi-07": 70})
ADMIN = Access(user_id=1, is_admin=True)
DAY = date(2026, 3, 10)
PERIOD = this_month(DAY)


def at(day: date, hour: int = 9) -> datetime:
    """A local hour of a day, as UTC."""
    return datetime(day.year, day.month, day.day, hour, tzinfo=ZONE).astimezone(UTC)


@dataclass
class Org:
    root: Unit
    a: Unit
    b: Unit
    other: Unit


async def _org(session: AsyncSession) -> Org:
    root = Unit(code="SO-GD", name="Sở Giáo dục", kind="agency")
    other = Unit(code="CTY-X", name="Công ty X", kind="enterprise")
    session.add_all([root, other])
    await session.flush()
    a = Unit(code="SO-GD-P1", name="Phòng 1", kind="department", parent_id=root.id)
    b = Unit(code="SO-GD-P2", name="Phòng 2", kind="department", parent_id=root.id)
    session.add_all([a, b])
    await session.commit()
    return Org(root, a, b, other)


async def _member(
    session: AsyncSession,
    user_id: int,
    units: list[Unit],
    *,
    consent: bool = True,
    first_name: str = "An",
    last_name: str | None = "Nguyễn",
    public: bool = False,
) -> None:
    session.add(
        User(
            id=user_id,
            first_name=first_name,
            last_name=last_name,
            consent_at=at(date(2026, 1, 2)) if consent else None,
            consent_version=CONSENT_VERSION if consent else None,
            public_name=public,
        )
    )
    for unit in units:
        assert unit.id is not None
        session.add(Membership(user_id=user_id, unit_id=unit.id, since=at(date(2026, 1, 2))))
    await session.commit()


async def _event(
    session: AsyncSession,
    user_id: int,
    units: list[Unit],
    kind: str,
    key: str,
    moment: datetime,
    *,
    ref: str | None = None,
    value: float | None = None,
) -> None:
    await ledger.record(
        session,
        user_id=user_id,
        unit_ids=[u.id for u in units if u.id is not None],
        kind=kind,
        key=key,
        ref=ref,
        value=value,
        at=moment,
    )
    await session.commit()


async def _fill(session: AsyncSession, org: Org) -> None:
    """u1 in P1, u2 in P2, u3 in both, u4 in P1 without consent, u9 in another tree."""
    await _member(session, 1001, [org.a], first_name="An", last_name="Nguyễn Văn", public=True)
    await _member(session, 1002, [org.b], first_name="Bình", last_name="Trần")
    await _member(session, 1003, [org.a, org.b], first_name="Chi", last_name="Lê")
    await _member(session, 1004, [org.a], consent=False)
    await _member(session, 1009, [org.other])
    march = date(2026, 3, 5)
    await _event(session, 1001, [org.a], "lesson_read", "r1", at(march), ref="chi-thi-07")
    await _event(session, 1001, [org.a], "quiz_started", "s1", at(march, 10), ref="chi-thi-07")
    await _event(
        session,
        1001,
        [org.a],
        "quiz_finished",
        "f1",
        at(march, 11),
        ref="chi-thi-07:passed",
        value=90,
    )
    await _event(session, 1001, [org.a], "reminder_ack", "k1", at(march, 12))
    await _event(
        session,
        1002,
        [org.b],
        "quiz_finished",
        "f2",
        at(date(2026, 3, 6)),
        ref="chi-thi-07:failed",
        value=40,
    )
    await _event(session, 1002, [org.b], "broadcast_delivered", "d2", at(date(2026, 3, 6)))
    both = [org.a, org.b]
    await _event(session, 1003, both, "lesson_read", "r3", at(date(2026, 2, 20)), ref="chi-thi-07")
    await _event(
        session,
        1003,
        both,
        "quiz_finished",
        "f3",
        at(date(2026, 3, 7)),
        ref="chi-thi-07",
        value=70,
    )
    await _event(session, 1003, both, "broadcast_ack", "b3", at(date(2026, 3, 7)))
    await _event(session, 1009, [org.other], "quiz_finished", "f9", at(march), ref="x", value=99)
    await _event(session, 1001, [org.a], "reminder_ack", "k1-april", at(date(2026, 4, 1)))


async def test_figures_match_the_ledger(session: AsyncSession) -> None:
    org = await _org(session)
    await _fill(session, org)
    assert org.root.id is not None and org.a.id is not None and org.b.id is not None
    report = await stats.unit_report(
        session, access=ADMIN, unit_id=org.root.id, period=PERIOD, config=CONFIG
    )
    total = report.total.figures
    # u3's events are logged to P1 and P2 but count once for the parent.
    assert (total.members, total.active) == (4, 3)
    assert total.lesson_reads == 1  # u3 read in February
    assert (total.quiz_finished, total.quiz_passed) == (3, 2)
    assert total.average_score == pytest.approx((90 + 40 + 70) / 3)
    assert (total.reminder_acks, total.broadcast_acks) == (1, 1)
    card = total.scorecard
    assert card is not None
    assert card.counts.enrolled == 3 and card.counts.read_core == 2
    assert card.counts.passed_core == 2 and card.counts.acknowledged == 1
    assert card.score == pytest.approx(100 * (3 / 4 + 2 / 4 + 2 / 4 + 1 / 4) / 4, abs=0.05)
    assert card.tier == "C"

    by_code = {row.unit.code: row.figures for row in report.children}
    p1, p2 = by_code["SO-GD-P1"], by_code["SO-GD-P2"]
    assert (p1.members, p1.active, p1.quiz_finished, p1.quiz_passed) == (3, 2, 2, 2)
    assert (p2.members, p2.active, p2.quiz_finished, p2.quiz_passed) == (2, 2, 2, 1)
    assert p2.broadcast_acks == 1 and p1.broadcast_acks == 1


async def test_rollups_refresh_lazily_and_rebuild_the_same(session: AsyncSession) -> None:
    org = await _org(session)
    await _fill(session, org)
    assert org.root.id is not None
    first = await stats.unit_report(
        session, access=ADMIN, unit_id=org.root.id, period=PERIOD, config=CONFIG
    )
    await _event(session, 1002, [org.b], "lesson_read", "r2", at(date(2026, 3, 20)), ref="x")
    second = await stats.unit_report(
        session, access=ADMIN, unit_id=org.root.id, period=PERIOD, config=CONFIG
    )
    assert second.total.figures.lesson_reads == first.total.figures.lesson_reads + 1
    before = (await session.exec(select(func.sum(StatsSetDay.events)))).one()  # type: ignore[call-overload]
    await store.rebuild(session, zone=ZONE, pass_marks=CONFIG.pass_marks)
    after = (await session.exec(select(func.sum(StatsSetDay.events)))).one()  # type: ignore[call-overload]
    assert before == after
    third = await stats.unit_report(
        session, access=ADMIN, unit_id=org.root.id, period=PERIOD, config=CONFIG
    )
    assert third.total.figures == second.total.figures


async def test_scope_is_checked_in_the_service(session: AsyncSession) -> None:
    org = await _org(session)
    await _fill(session, org)
    assert org.a.id is not None and org.b.id is not None and org.root.id is not None
    trainer_a = Access(user_id=7, grants=(Grant(org.a.id, org.a.code, org.a.name, Role.TRAINER),))
    officer_root = Access(
        user_id=8, grants=(Grant(org.root.id, org.root.code, org.root.name, Role.OFFICER),)
    )
    learner_a = Access(user_id=9, grants=(Grant(org.a.id, org.a.code, org.a.name, Role.LEARNER),))
    with pytest.raises(ScopeError):
        await stats.unit_report(
            session, access=trainer_a, unit_id=org.b.id, period=PERIOD, config=CONFIG
        )
    with pytest.raises(ScopeError):
        await stats.unit_report(
            session, access=learner_a, unit_id=org.a.id, period=PERIOD, config=CONFIG
        )
    own = await stats.unit_report(
        session, access=trainer_a, unit_id=org.a.id, period=PERIOD, config=CONFIG
    )
    assert not own.can_see_people
    child = await stats.unit_report(
        session, access=officer_root, unit_id=org.b.id, period=PERIOD, config=CONFIG
    )
    assert child.can_see_people and child.total.figures.members == 2
    with pytest.raises(ScopeError):
        await stats.export(
            session, access=trainer_a, unit_id=org.root.id, period=PERIOD, config=CONFIG
        )


async def test_export_lists_people_only_for_officers(session: AsyncSession) -> None:
    org = await _org(session)
    await _fill(session, org)
    assert org.a.id is not None and org.root.id is not None
    data = await stats.export(
        session, access=ADMIN, unit_id=org.root.id, period=PERIOD, config=CONFIG
    )
    sheets = {sheet.unit.code: sheet for sheet in data.sheets}
    people = sheets["SO-GD-P1"].people
    assert people is not None
    by_id = {p.user_id: p for p in people}
    assert set(by_id) == {1001, 1003, 1004}
    assert by_id[1001].name == "An Nguyễn Văn" and by_id[1001].quiz_passed == 1
    assert by_id[1004].name == "" and not by_id[1004].consented
    assert by_id[1003].active_days == 1 and by_id[1003].broadcast_acks == 1
    trainer_a = Access(user_id=7, grants=(Grant(org.a.id, org.a.code, org.a.name, Role.TRAINER),))
    limited = await stats.export(
        session, access=trainer_a, unit_id=org.a.id, period=PERIOD, config=CONFIG
    )
    assert all(sheet.people is None for sheet in limited.sheets)
    assert limited.report.total.figures.members == 3
    large = await stats.export(
        session, access=ADMIN, unit_id=org.root.id, period=PERIOD, config=CONFIG, people_limit=3
    )
    assert large.people_omitted == 4 and all(sheet.people is None for sheet in large.sheets)


async def test_trend_is_weekly(session: AsyncSession) -> None:
    org = await _org(session)
    await _fill(session, org)
    assert org.root.id is not None
    trend = await stats.trend(
        session, access=ADMIN, unit_id=org.root.id, period=PERIOD, config=CONFIG
    )
    assert trend.points[0].week_start == date(2026, 3, 1)
    assert sum(p.quiz_finished for p in trend.points) == 3
    week = next(p for p in trend.points if p.week_start <= date(2026, 3, 5) <= p.week_end)
    assert week.active == 3 and week.quiz_passed == 2


async def test_honour_roll_names_or_initials(session: AsyncSession) -> None:
    org = await _org(session)
    await _fill(session, org)
    assert org.root.id is not None
    roll = await stats.honour_roll(
        session, access=ADMIN, unit_id=org.root.id, period=PERIOD, config=CONFIG
    )
    labels = [learner.label for learner in roll.learners]
    assert labels == ["An Nguyễn Văn", "C.L."]  # u1 public, u3 initials, u2 failed
    assert [u.unit.code for u in roll.units] == ["SO-GD-P1", "SO-GD-P2"]


async def test_custom_period_in_the_past(session: AsyncSession) -> None:
    org = await _org(session)
    await _fill(session, org)
    assert org.root.id is not None
    february = Period(date(2026, 2, 1), date(2026, 2, 28))
    report = await stats.unit_report(
        session, access=ADMIN, unit_id=org.root.id, period=february, config=CONFIG
    )
    figures = report.total.figures
    assert (figures.active, figures.lesson_reads, figures.quiz_finished) == (1, 1, 0)
    assert figures.scorecard is not None and figures.scorecard.counts.read_core == 1
    april = Period(date(2026, 4, 1), date(2026, 4, 1) + timedelta(days=29))
    later = await stats.unit_report(
        session, access=ADMIN, unit_id=org.root.id, period=april, config=CONFIG
    )
    assert later.total.figures.reminder_acks == 1 and later.total.figures.active == 1


@pytest.mark.parametrize(
    ("start", "end", "finished", "reads"),
    [
        (date(2026, 2, 20), date(2026, 3, 6), 2, 2),  # days only
        (date(2026, 1, 15), date(2026, 3, 31), 3, 2),  # days, then whole months
        (date(2026, 2, 1), date(2026, 4, 30), 3, 2),  # whole months only
        (date(2026, 3, 7), date(2026, 3, 7), 1, 0),
    ],
)
async def test_months_and_edge_days_add_up(
    session: AsyncSession, start: date, end: date, finished: int, reads: int
) -> None:
    org = await _org(session)
    await _fill(session, org)
    assert org.root.id is not None
    report = await stats.unit_report(
        session, access=ADMIN, unit_id=org.root.id, period=Period(start, end), config=CONFIG
    )
    assert report.total.figures.quiz_finished == finished
    assert report.total.figures.lesson_reads == reads
