"""Trainers' reminders: create, list, pause, resume, delete.

Every use case checks the caller's scope itself (`require_scope`, trainer or higher on the
reminder's unit or one of its ancestors). Commands from the CLI act with an admin `Access`.
Each change moves `updated_at`, which is how the running scheduler notices it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from enum import StrEnum

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.delivery import outbox
from bot.domain.schedules import (
    Holidays,
    Kind,
    QuietHours,
    Schedule,
    ScheduleError,
    check_timezone,
    parse_time,
)
from bot.services.access import Access
from bot.services.grants import require_scope, scope_roots
from bot.services.units import UnitTree, load_tree
from bot.storage import drafts
from bot.storage.models import Role, Unit
from bot.storage.models_delivery import Delivery, DeliveryStatus, SourceKind
from bot.storage.models_reminders import (
    Audience,
    FireKind,
    MessageKind,
    Reminder,
    ReminderFire,
)

TEXT_LIMIT = 3500  # leaves room for the header and the links within Telegram's 4096
CLI_ACCESS = Access(user_id=0, is_admin=True)


class Problem(StrEnum):
    NOT_FOUND = "not_found"
    EMPTY_TEXT = "empty_text"
    LONG_TEXT = "long_text"
    NO_REF = "no_ref"
    SCHEDULE = "schedule"
    NEVER_FIRES = "never_fires"
    ALREADY_CREATED = "already_created"  # the wizard's draft was made into a reminder


class ReminderError(Exception):
    """A reminder that cannot be created or changed; `problem` says why, `detail` adds to it."""

    def __init__(self, problem: Problem, detail: str = "") -> None:
        super().__init__(f"{problem.value}: {detail}" if detail else problem.value)
        self.problem = problem
        self.detail = detail


@dataclass(frozen=True)
class Draft:
    """What a trainer (or the CLI) asks for; `quiet_hours` None means the default."""

    unit_id: int
    text: str
    schedule_kind: Kind
    once_at: datetime | None = None
    at_time: str | None = None
    weekdays: tuple[int, ...] = ()
    month_day: int | None = None
    cron: str | None = None
    audience: Audience = Audience.EVERYONE
    audience_ref: str | None = None
    message_kind: MessageKind = MessageKind.TEXT
    link_ref: str | None = None
    start_date: date | None = None
    end_date: date | None = None
    quiet_hours: str | None = None
    skip_holidays: bool = True
    timezone: str | None = None  # None: the unit's
    campaign: str | None = None
    token: str | None = None  # the wizard's draft token: the reminder is made from it once


def aware(moment: datetime) -> datetime:
    """SQLite hands datetimes back without a zone; they are stored in UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def schedule_of(reminder: Reminder, holidays: Holidays) -> Schedule:
    """The reminder's timing as a domain `Schedule`; `ScheduleError` if the row is unusable."""
    return Schedule(
        kind=Kind(reminder.schedule_kind),
        timezone=reminder.timezone,
        at=parse_time(reminder.at_time) if reminder.at_time else None,
        weekdays=frozenset(int(day) for day in (reminder.weekdays or "").split(",") if day),
        month_day=reminder.month_day,
        cron=reminder.cron,
        once_at=aware(reminder.once_at) if reminder.once_at else None,
        start=reminder.start_date,
        end=reminder.end_date,
        quiet=QuietHours.parse(reminder.quiet_hours),
        holidays=holidays if reminder.skip_holidays else None,
    )


def _check(draft: Draft) -> None:
    if draft.campaign is None and not draft.text.strip():
        raise ReminderError(Problem.EMPTY_TEXT)
    if len(draft.text) > TEXT_LIMIT:
        raise ReminderError(Problem.LONG_TEXT, str(TEXT_LIMIT))
    if draft.audience is not Audience.EVERYONE and not draft.audience_ref:
        raise ReminderError(Problem.NO_REF, draft.audience.value)
    if draft.message_kind is not MessageKind.TEXT and not draft.link_ref:
        raise ReminderError(Problem.NO_REF, draft.message_kind.value)


def build(draft: Draft, unit: Unit, *, created_by: int | None, now: datetime) -> Reminder:
    """A new row from a draft; raises `ReminderError` when it is unusable or never fires."""
    _check(draft)
    try:
        zone = draft.timezone or unit.timezone
        check_timezone(zone)
        quiet = QuietHours.parse(draft.quiet_hours) if draft.quiet_hours is not None else None
        reminder = Reminder(
            unit_id=draft.unit_id,
            audience=draft.audience.value,
            audience_ref=draft.audience_ref if draft.audience is not Audience.EVERYONE else None,
            message_kind=draft.message_kind.value,
            text=draft.text.strip(),
            link_ref=draft.link_ref if draft.message_kind is not MessageKind.TEXT else None,
            campaign=draft.campaign,
            schedule_kind=draft.schedule_kind.value,
            once_at=draft.once_at.astimezone(UTC) if draft.once_at else None,
            at_time=f"{parse_time(draft.at_time):%H:%M}" if draft.at_time else None,
            weekdays=",".join(str(day) for day in sorted(set(draft.weekdays))) or None,
            month_day=draft.month_day,
            cron=" ".join(draft.cron.split()) if draft.cron else None,
            timezone=zone,
            start_date=draft.start_date,
            end_date=draft.end_date,
            quiet_hours=str(quiet) if quiet else "off",
            skip_holidays=draft.skip_holidays,
            created_by=created_by,
            created_at=now,
            updated_at=now,
            active_since=now,
            draft_token=draft.token,
        )
        schedule = schedule_of(reminder, Holidays())
    except ScheduleError as exc:
        raise ReminderError(Problem.SCHEDULE, str(exc)) from exc
    if schedule.next_fire(now) is None:
        raise ReminderError(Problem.NEVER_FIRES)
    return reminder


def with_default_quiet(draft: Draft, default: str) -> Draft:
    return draft if draft.quiet_hours is not None else replace(draft, quiet_hours=default)


async def create(
    session: AsyncSession, access: Access, draft: Draft, *, now: datetime, default_quiet: str
) -> Reminder:
    """Check the scope and the draft, store the reminder, commit.

    A draft with a token is made into one reminder only (`Problem.ALREADY_CREATED`).
    """
    await require_scope(session, access, draft.unit_id, Role.TRAINER)
    unit = await session.get(Unit, draft.unit_id)
    if unit is None:
        raise ReminderError(Problem.NOT_FOUND)
    row = build(
        with_default_quiet(draft, default_quiet),
        unit,
        created_by=access.user_id or None,
        now=now,
    )
    reminder_id = await drafts.insert_once(session, row)
    await session.commit()
    if reminder_id is None:
        raise ReminderError(Problem.ALREADY_CREATED)
    reminder = await session.get(Reminder, reminder_id)
    assert reminder is not None
    return reminder


def new_draft_token() -> str:
    """The token a new wizard draft carries (`Draft.token`)."""
    return drafts.new_token()


async def made_from(session: AsyncSession, token: str) -> Reminder | None:
    """The reminder made from the wizard draft with `token`, if it was created."""
    return await drafts.made_from(session, Reminder, token)


async def manageable_units(session: AsyncSession, access: Access) -> tuple[UnitTree, list[int]]:
    """Units the user may schedule reminders for: each top unit, then the ones below it."""
    tree = await load_tree(session)
    units = [
        unit_id
        for root in scope_roots(tree, access, Role.TRAINER)
        for unit_id in tree.descendants(root)
    ]
    return tree, list(dict.fromkeys(units))


async def managed(session: AsyncSession, access: Access) -> list[Reminder]:
    """Reminders (not deleted) in the units the user manages, newest first."""
    _, units = await manageable_units(session, access)
    if not units:
        return []
    statement = (
        select(Reminder)
        .where(col(Reminder.unit_id).in_(units), col(Reminder.deleted_at).is_(None))
        .order_by(col(Reminder.id).desc())
    )
    return list((await session.exec(statement)).all())


async def get_managed(session: AsyncSession, access: Access, reminder_id: int) -> Reminder:
    reminder = await session.get(Reminder, reminder_id)
    if reminder is None or reminder.deleted_at is not None:
        raise ReminderError(Problem.NOT_FOUND)
    await require_scope(session, access, reminder.unit_id, Role.TRAINER)
    return reminder


async def set_paused(
    session: AsyncSession, access: Access, reminder_id: int, paused: bool, *, now: datetime
) -> Reminder:
    """Pause, or resume: fires missed while paused are not caught up."""
    reminder = await get_managed(session, access, reminder_id)
    if reminder.paused != paused:
        reminder.paused = paused
        reminder.updated_at = now
        if not paused:
            reminder.active_since = now
        await session.commit()
    return reminder


async def delete(
    session: AsyncSession, access: Access, reminder_id: int, *, now: datetime
) -> Reminder:
    """Delete (the row stays for the record) and cancel its messages not sent yet."""
    reminder = await get_managed(session, access, reminder_id)
    reminder.deleted_at = now
    reminder.updated_at = now
    fires = select(ReminderFire.id).where(col(ReminderFire.reminder_id) == reminder_id)
    waiting = await session.exec(
        select(Delivery.source_id)
        .where(
            col(Delivery.source_kind) == SourceKind.REMINDER.value,
            col(Delivery.status) == DeliveryStatus.PENDING.value,
            col(Delivery.source_id).in_(fires),
        )
        .distinct()
    )
    for fire_id in waiting.all():
        await outbox.cancel(session, source_kind=SourceKind.REMINDER.value, source_id=fire_id)
    await session.commit()
    return reminder


async def last_fire_at(session: AsyncSession, reminder_id: int) -> datetime | None:
    statement = select(func.max(ReminderFire.fire_at)).where(
        col(ReminderFire.reminder_id) == reminder_id,
        col(ReminderFire.kind) == FireKind.SCHEDULED.value,
    )
    latest = (await session.exec(statement)).one()
    return aware(latest) if latest is not None else None


def owed_since(reminder: Reminder, last_fire: datetime | None) -> datetime:
    """Fires after this moment are still owed: after the last one, and not before activation."""
    since = aware(reminder.active_since)
    return max(since, last_fire) if last_fire is not None else since


async def next_fire(
    session: AsyncSession, reminder: Reminder, *, holidays: Holidays, now: datetime
) -> datetime | None:
    """When the reminder fires next (None: paused, finished or unusable)."""
    if reminder.paused or reminder.deleted_at is not None or reminder.id is None:
        return None
    try:
        schedule = schedule_of(reminder, holidays)
    except ScheduleError:
        return None
    after = max(owed_since(reminder, await last_fire_at(session, reminder.id)), now)
    return schedule.next_fire(after)
