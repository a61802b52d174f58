"""Reminder services on SQLite and PostgreSQL: who a reminder reaches (from the ledger), a fire
happening once, late and missed fires, "Seen" and "Remind me in an hour", scope checks, the
19/8 series and officers' monthly reports."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.delivery import outbox
from bot.delivery.render import Payload
from bot.domain import campaigns
from bot.domain.periods import Period, PeriodKind
from bot.domain.schedules import Holidays, Kind
from bot.services import monthly_reports, reminder_campaign, reminder_fires
from bot.services import reminders as svc
from bot.services.access import access_of
from bot.services.grants import ScopeError
from bot.services.reminder_fires import AckStatus, Card, SnoozeStatus
from bot.services.users import CONSENT_VERSION
from bot.storage import ledger
from bot.storage.models import Membership, Role, Unit, User
from bot.storage.models_delivery import Delivery, DeliveryStatus
from bot.storage.models_reminders import Audience, MessageKind, ReminderFire

VN = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # 08:00 in Hà Nội, a Monday
GRACE = timedelta(hours=1)
NO_HOLIDAYS = Holidays()
QUIET = "21:00-07:00"


def render(card: Card, language: str) -> Payload:
    return Payload(f"[{language}] {card.text}")


@dataclass
class Org:
    school: int
    klass: int
    other: int


async def _unit(session: AsyncSession, code: str, parent: int | None = None) -> int:
    unit = Unit(code=code, name=f"Đơn vị {code}", parent_id=parent)
    session.add(unit)
    await session.flush()
    assert unit.id is not None
    return unit.id


async def person(
    session: AsyncSession,
    user_id: int,
    *units: int,
    role: Role = Role.LEARNER,
    consent: bool = True,
    unreachable: bool = False,
    ended: bool = False,
    language: str = "vi",
) -> None:
    if await session.get(User, user_id) is None:
        session.add(
            User(
                id=user_id,
                language=language,
                consent_at=NOW - timedelta(days=30) if consent else None,
                consent_version=CONSENT_VERSION if consent else None,
                unreachable_at=NOW if unreachable else None,
            )
        )
    for unit_id in units:
        session.add(
            Membership(
                user_id=user_id,
                unit_id=unit_id,
                role=role.value,
                since=NOW - timedelta(days=30),
                until=NOW - timedelta(days=1) if ended else None,
            )
        )
    await session.flush()


async def event(session: AsyncSession, user_id: int, unit_id: int, kind: str, ref: str) -> None:
    await ledger.record(
        session,
        user_id=user_id,
        unit_ids=[unit_id],
        kind=kind,
        ref=ref,
        key=f"{kind}:{user_id}:{ref}",
    )


@pytest.fixture
async def org(session: AsyncSession) -> Org:
    school = await _unit(session, "TRUONG-A")
    klass = await _unit(session, "TRUONG-A-10A1", school)
    other = await _unit(session, "CTY-B")
    await person(session, 1, klass)  # read the explainer
    await person(session, 2, school)
    await person(session, 3, school, klass)  # two units in the subtree
    await person(session, 4, other)  # outside the subtree
    await person(session, 5, school, consent=False)
    await person(session, 6, school, unreachable=True)
    await person(session, 7, school, role=Role.TRAINER)
    await person(session, 8, school, ended=True)
    await person(session, 9, klass, language="en")  # passed the quiz, acknowledged #5
    await person(session, 10, klass)  # failed the quiz
    await event(session, 1, klass, ledger.EventKind.LESSON_READ, "chi-thi-07")
    await event(session, 4, other, ledger.EventKind.LESSON_READ, "other")
    await event(session, 9, klass, ledger.EventKind.QUIZ_FINISHED, "chi-thi-07:passed")
    await event(session, 10, klass, ledger.EventKind.QUIZ_FINISHED, "chi-thi-07:failed")
    await event(session, 9, klass, ledger.EventKind.BROADCAST_ACK, "5")
    await person(session, 50, school, role=Role.TRAINER)
    await person(session, 60, other, role=Role.TRAINER)
    await person(session, 70, school, role=Role.OFFICER)
    await session.commit()
    return Org(school, klass, other)


async def make(
    session: AsyncSession,
    unit_id: int,
    *,
    trainer: int = 50,
    audience: Audience = Audience.EVERYONE,
    ref: str | None = None,
    **schedule: object,
) -> int:
    schedule.setdefault("schedule_kind", Kind.DAILY)
    schedule.setdefault("at_time", "08:00")
    draft = svc.Draft(
        unit_id=unit_id,
        text="Nhớ đọc Chỉ thị 07",
        audience=audience,
        audience_ref=ref,
        skip_holidays=False,
        **schedule,  # type: ignore[arg-type]
    )
    access = await access_of(session, trainer, admin_ids=[])
    reminder = await svc.create(
        session, access, draft, now=NOW - timedelta(days=1), default_quiet=QUIET
    )
    assert reminder.id is not None
    return reminder.id


@pytest.mark.parametrize(
    ("audience", "ref", "expected"),
    [
        (Audience.EVERYONE, None, {1, 2, 3, 9, 10}),
        (Audience.UNREAD, "chi-thi-07", {2, 3, 9, 10}),
        (Audience.UNPASSED, "chi-thi-07", {1, 2, 3, 10}),
        (Audience.UNACKED, "5", {1, 2, 3, 10}),
    ],
)
async def test_audience_comes_from_the_ledger(
    session: AsyncSession, org: Org, audience: Audience, ref: str | None, expected: set[int]
) -> None:
    rid = await make(session, org.school, audience=audience, ref=ref)
    reminder = await svc.get_managed(session, await access_of(session, 50, admin_ids=[]), rid)
    recipients = await reminder_fires.audience(session, reminder)
    assert {r.user_id for r in recipients} == expected
    by_user = {r.user_id: r for r in recipients}
    if 3 in by_user:
        assert set(by_user[3].unit_ids) == {org.school, org.klass}
    if 9 in by_user:
        assert by_user[9].language == "en"


async def test_a_child_unit_reminder_reaches_only_its_members(
    session: AsyncSession, org: Org
) -> None:
    rid = await make(session, org.klass)
    reminder = await svc.get_managed(session, await access_of(session, 50, admin_ids=[]), rid)
    recipients = await reminder_fires.audience(session, reminder)
    assert {r.user_id: r.unit_ids for r in recipients} == {
        1: (org.klass,),
        3: (org.klass,),
        9: (org.klass,),
        10: (org.klass,),
    }


async def _deliveries(session: AsyncSession, fire_id: int) -> dict[int, Delivery]:
    rows = await outbox.rows_of(session, source_kind="reminder", source_id=fire_id)
    return {row.chat_id: row for row in rows}


async def test_a_fire_happens_once_even_from_two_sessions(
    sessionmaker: async_sessionmaker[AsyncSession], org: Org
) -> None:
    async with sessionmaker() as session:
        rid = await make(session, org.school, audience=Audience.UNREAD, ref="chi-thi-07")
    args = {"now": NOW + timedelta(minutes=1), "grace": GRACE, "holidays": NO_HOLIDAYS}
    async with sessionmaker() as first, sessionmaker() as second:
        outcome = await reminder_fires.fire_due(first, rid, render=render, **args)
        again = await reminder_fires.fire_due(second, rid, render=render, **args)
    assert outcome.fire_at == NOW and outcome.recipients == 4
    assert again.fire_id is None
    async with sessionmaker() as session:
        assert outcome.fire_id is not None
        rows = await _deliveries(session, outcome.fire_id)
        assert set(rows) == {2, 3, 9, 10}
        assert all(row.status == DeliveryStatus.PENDING.value for row in rows.values())
        contents = {
            row.chat_id: (await outbox.load_content(session, row.content_id))
            for row in rows.values()
        }
        assert contents[9] is not None and contents[9].payload["text"].startswith("[en]")
        assert contents[2] is not None and contents[2].payload["text"].startswith("[vi]")
        fires = (await session.exec(select(ReminderFire))).all()
        assert [(f.reminder_id, f.recipients) for f in fires] == [(rid, 4)]


async def test_late_fires_within_grace_fire_once_older_ones_are_skipped(
    session: AsyncSession, org: Org
) -> None:
    rid = await make(session, org.school)
    late = await reminder_fires.fire_due(
        session,
        rid,
        now=NOW + timedelta(minutes=50),
        grace=GRACE,
        holidays=NO_HOLIDAYS,
        render=render,
    )
    assert late.fire_at == NOW and late.recipients == 5
    # Down for two days: only the newest fire, if it is within the grace window.
    missed = await reminder_fires.fire_due(
        session,
        rid,
        now=NOW + timedelta(days=2, hours=2),
        grace=GRACE,
        holidays=NO_HOLIDAYS,
        render=render,
    )
    assert missed.fire_id is None
    caught = await reminder_fires.fire_due(
        session,
        rid,
        now=NOW + timedelta(days=3, minutes=5),
        grace=GRACE,
        holidays=NO_HOLIDAYS,
        render=render,
    )
    assert caught.fire_at == NOW + timedelta(days=3)


async def test_a_stored_reminder_keeps_to_its_quiet_hours(session: AsyncSession, org: Org) -> None:
    """22:30 falls inside the default quiet hours (21:00-07:00): the fire waits for 07:00."""
    rid = await make(session, org.school, at_time="22:30")
    evening = datetime(2026, 3, 2, 22, 31, tzinfo=VN)
    quiet = await reminder_fires.fire_due(
        session, rid, now=evening, grace=GRACE, holidays=NO_HOLIDAYS, render=render
    )
    assert quiet.fire_id is None and quiet.fire_at is None
    morning = datetime(2026, 3, 3, 7, 0, tzinfo=VN)
    fired = await reminder_fires.fire_due(
        session, rid, now=morning, grace=GRACE, holidays=NO_HOLIDAYS, render=render
    )
    assert fired.fire_id is not None and fired.fire_at == morning
    assert fired.recipients == 5


async def test_paused_and_deleted_reminders_do_not_fire(session: AsyncSession, org: Org) -> None:
    access = await access_of(session, 50, admin_ids=[])
    rid = await make(session, org.school)
    await svc.set_paused(session, access, rid, True, now=NOW - timedelta(minutes=5))
    args = {"grace": GRACE, "holidays": NO_HOLIDAYS, "render": render}
    assert (await reminder_fires.fire_due(session, rid, now=NOW, **args)).fire_id is None
    # Resumed after the fire time: the fire missed while paused is not caught up.
    await svc.set_paused(session, access, rid, False, now=NOW + timedelta(minutes=1))
    later = NOW + timedelta(minutes=2)
    assert (await reminder_fires.fire_due(session, rid, now=later, **args)).fire_id is None
    tomorrow = NOW + timedelta(days=1)
    fired = await reminder_fires.fire_due(session, rid, now=tomorrow, **args)
    assert fired.fire_id is not None
    await svc.delete(session, access, rid, now=tomorrow)
    rows = await _deliveries(session, fired.fire_id)
    assert {row.status for row in rows.values()} == {DeliveryStatus.CANCELLED.value}
    after = NOW + timedelta(days=2)
    assert (await reminder_fires.fire_due(session, rid, now=after, **args)).fire_id is None


async def test_seen_and_snooze(session: AsyncSession, org: Org) -> None:
    rid = await make(session, org.school)
    fired = await reminder_fires.fire_due(
        session, rid, now=NOW, grace=GRACE, holidays=NO_HOLIDAYS, render=render
    )
    assert fired.fire_id is not None
    three = await session.get(User, 3)
    outsider = await session.get(User, 4)
    assert three is not None and outsider is not None

    ack = await reminder_fires.acknowledge(session, three, fired.fire_id, now=NOW)
    assert ack is AckStatus.LOGGED
    assert await reminder_fires.acknowledge(session, three, fired.fire_id, now=NOW) is (
        AckStatus.ALREADY
    )
    assert await reminder_fires.acknowledge(session, outsider, fired.fire_id, now=NOW) is (
        AckStatus.GONE
    )
    assert await ledger.count(session, kind="reminder_ack", user_id=3) == 2  # both units
    assert await ledger.count(session, kind="reminder_ack", ref=str(rid)) == 2

    two = await session.get(User, 2)
    assert two is not None
    snoozed = await reminder_fires.snooze(session, two, fired.fire_id, now=NOW, render=render)
    assert snoozed.status is SnoozeStatus.SNOOZED and snoozed.at == NOW + timedelta(hours=1)
    twice = await reminder_fires.snooze(session, two, fired.fire_id, now=NOW, render=render)
    assert twice.status is SnoozeStatus.ALREADY
    copy = (
        await session.exec(select(ReminderFire).where(col(ReminderFire.origin_id) == fired.fire_id))
    ).one()
    assert copy.id is not None
    rows = await _deliveries(session, copy.id)
    assert set(rows) == {2}
    assert svc.aware(rows[2].next_attempt_at) == NOW + timedelta(hours=1)
    assert rows[2].unit_ids == [org.school]
    # Seen on the snoozed copy counts for the original fire, once.
    assert await reminder_fires.acknowledge(session, two, copy.id, now=NOW) is AckStatus.LOGGED
    assert await reminder_fires.acknowledge(session, two, fired.fire_id, now=NOW) is (
        AckStatus.ALREADY
    )
    again = await reminder_fires.snooze(session, two, copy.id, now=NOW, render=render)
    assert again.status is SnoozeStatus.ALREADY


async def test_a_test_send_reaches_only_the_trainer(session: AsyncSession, org: Org) -> None:
    rid = await make(session, org.school)
    access = await access_of(session, 50, admin_ids=[])
    reminder = await svc.get_managed(session, access, rid)
    trainer = await session.get(User, 50)
    assert trainer is not None
    fire_id = await reminder_fires.send_test(session, reminder, trainer, now=NOW, render=render)
    rows = await _deliveries(session, fire_id)
    assert set(rows) == {50} and rows[50].unit_ids == []
    assert await reminder_fires.acknowledge(session, trainer, fire_id, now=NOW) is AckStatus.TEST


async def test_scope_is_checked_by_the_services(session: AsyncSession, org: Org) -> None:
    with pytest.raises(ScopeError):
        await make(session, org.school, trainer=60)
    with pytest.raises(ScopeError):
        await make(session, org.school, trainer=2)  # a learner
    rid = await make(session, org.klass, trainer=50)
    other = await make(session, org.other, trainer=60)
    school_trainer = await access_of(session, 50, admin_ids=[])
    company_trainer = await access_of(session, 60, admin_ids=[])
    assert [r.id for r in await svc.managed(session, school_trainer)] == [rid]
    assert [r.id for r in await svc.managed(session, company_trainer)] == [other]
    with pytest.raises(ScopeError):
        await svc.set_paused(session, company_trainer, rid, True, now=NOW)
    with pytest.raises(ScopeError):
        await svc.delete(session, company_trainer, rid, now=NOW)
    admin = await access_of(session, 99, admin_ids=[99])
    assert {r.id for r in await svc.managed(session, admin)} == {rid, other}


async def test_drafts_that_cannot_work_are_refused(session: AsyncSession, org: Org) -> None:
    with pytest.raises(svc.ReminderError) as error:
        await make(session, org.school, schedule_kind=Kind.ONCE, once_at=NOW - timedelta(days=2))
    assert error.value.problem is svc.Problem.NEVER_FIRES
    with pytest.raises(svc.ReminderError) as error:
        await make(session, org.school, schedule_kind=Kind.CRON, cron="0 25 * * *")
    assert error.value.problem is svc.Problem.SCHEDULE
    with pytest.raises(svc.ReminderError) as error:
        await make(session, org.school, audience=Audience.UNREAD)
    assert error.value.problem is svc.Problem.NO_REF


async def test_the_19_8_series_is_enabled_once_per_unit(session: AsyncSession, org: Org) -> None:
    access = await access_of(session, 50, admin_ids=[])
    before = datetime(2026, 8, 1, 2, 0, tzinfo=UTC)
    assert await reminder_campaign.offer_units(session, access, 2026) == [
        (org.school, "Đơn vị TRUONG-A")
    ]
    added = await reminder_campaign.enable(
        session, access, org.school, 2026, now=before, default_quiet=QUIET
    )
    assert added == len(campaigns.STEPS)
    again = await reminder_campaign.enable(
        session, access, org.school, 2026, now=before, default_quiet=QUIET
    )
    assert again == 0
    assert await reminder_campaign.offer_units(session, access, 2026) == []
    series = await svc.managed(session, access)
    assert {r.campaign for r in series} == {
        campaigns.campaign_key(2026, step) for step in campaigns.STEPS
    }
    assert {r.message_kind for r in series} == {"explainer", "quiz", "text"}
    d0 = next(r for r in series if (r.campaign or "").endswith(":d0"))
    assert svc.aware(d0.once_at).astimezone(VN) == datetime(2026, 8, 19, 7, 30, tzinfo=VN)  # type: ignore[arg-type]
    with pytest.raises(ScopeError):
        await reminder_campaign.enable(
            session,
            await access_of(session, 60, admin_ids=[]),
            org.school,
            2026,
            now=before,
            default_quiet=QUIET,
        )
    # Enabled late, only the steps still ahead are added.
    late = datetime(2026, 8, 15, 0, 0, tzinfo=UTC)
    other_trainer = await access_of(session, 60, admin_ids=[])
    added_late = await reminder_campaign.enable(
        session, other_trainer, org.other, 2026, now=late, default_quiet=QUIET
    )
    assert added_late == 2


async def test_the_yearly_offer_goes_to_each_trainer_once(session: AsyncSession, org: Org) -> None:
    due = datetime(2026, 7, 20, 2, 0, tzinfo=UTC)

    def offer(year: int, units: list[tuple[int, str]], language: str) -> Payload:
        return Payload(f"{year}: {', '.join(name for _, name in units)}")

    sent = await reminder_campaign.send_offer(session, year=2026, due=due, now=due, render=offer)
    assert sent.fire_id is not None and sent.recipients == 3  # trainers 7, 50 and 60
    rows = await _deliveries(session, sent.fire_id)
    assert set(rows) == {7, 50, 60}
    text = (await outbox.load_content(session, rows[60].content_id)).payload["text"]  # type: ignore[union-attr]
    assert text == "2026: Đơn vị CTY-B"
    twice = await reminder_campaign.send_offer(session, year=2026, due=due, now=due, render=offer)
    assert twice.fire_id is None


async def test_monthly_reports_reach_officers_once(session: AsyncSession, org: Org) -> None:
    seen: list[tuple[int, Period, str]] = []

    async def report(s: AsyncSession, unit_id: int, period: Period, language: str) -> Payload:
        seen.append((unit_id, period, language))
        return Payload(f"report {unit_id}")

    due = datetime(2026, 4, 1, 1, 0, tzinfo=UTC)  # 08:00 on 1/4 in Hà Nội
    served = await monthly_reports.send_monthly(session, due=due, now=due, zone=VN, render=report)
    assert served == 1
    assert seen == [
        (org.school, Period(date(2026, 3, 1), date(2026, 3, 31), PeriodKind.MONTH), "vi")
    ]
    rows = (await session.exec(select(Delivery).where(col(Delivery.source_kind) == "report"))).all()
    assert [(row.chat_id, row.status) for row in rows] == [(70, DeliveryStatus.PENDING.value)]
    again = await monthly_reports.send_monthly(session, due=due, now=due, zone=VN, render=report)
    assert again == 0


async def test_message_links_are_kept(session: AsyncSession, org: Org) -> None:
    rid = await make(session, org.school)
    access = await access_of(session, 50, admin_ids=[])
    reminder = await svc.get_managed(session, access, rid)
    assert reminder.message_kind == MessageKind.TEXT.value and reminder.link_ref is None
    assert reminder.quiet_hours == QUIET and reminder.timezone == "Asia/Ho_Chi_Minh"
    upcoming = await svc.next_fire(session, reminder, holidays=NO_HOLIDAYS, now=NOW)
    assert upcoming == NOW + timedelta(days=1)
