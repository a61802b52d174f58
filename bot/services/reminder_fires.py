"""A reminder firing: who needs it (from the ledger, at fire time), the outbox rows, and what a
learner does with it ("Seen", "Remind me in an hour"); also a trainer's test send.

A fire is claimed by inserting its `ReminderFire` row (unique key), and its deliveries are
queued in the same transaction, so a fire happens once even when two processes race or the
bot restarts mid-way; the shared sender sends the rows.

Who receives a reminder: active *learners* of the reminder's unit and of every unit below it
who have consented, have not blocked the bot (`unreachable_at`) and, depending on the
audience, have not yet
- read explainer X: no `lesson_read` event with ref X;
- passed bank Y: no `quiz_finished` event with ref `<Y>:passed`;
- acknowledged broadcast Z: no `broadcast_ack` event with ref `<Z>` (the broadcast id).
A learner is credited (and acknowledges) for each of their units inside the subtree.

Ledger: `reminder_ack`, ref `<reminder id>`, key `reminder_ack:<fire>:<user>` (a snoozed copy
acknowledges its original fire, so one fire counts once).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol

from sqlalchemy import exists, select, update
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.delivery import outbox
from bot.delivery.outbox import Recipient
from bot.delivery.render import Payload
from bot.domain.schedules import Holidays, ScheduleError
from bot.services.quizzes import ref_with
from bot.services.reminders import last_fire_at, owed_since, schedule_of
from bot.services.units import load_tree
from bot.services.users import CONSENT_VERSION, needs_consent
from bot.storage import ledger
from bot.storage.database import dialect_of, insert_for
from bot.storage.models import Membership, ParticipationEvent, Role, Unit, User
from bot.storage.models_delivery import SourceKind
from bot.storage.models_reminders import Audience, FireKind, Reminder, ReminderFire

SNOOZE_DELAY = timedelta(hours=1)
REMINDER = SourceKind.REMINDER.value


@dataclass(frozen=True)
class Card:
    """What one reminder message says; rendered once per language by a `Renderer`."""

    reminder_id: int
    fire_id: int  # the buttons act on this fire (a snooze acknowledges its original)
    unit_name: str
    text: str
    message_kind: str
    link_ref: str | None
    campaign: str | None
    can_snooze: bool = True
    test: bool = False


class Renderer(Protocol):
    def __call__(self, card: Card, language: str) -> Payload: ...


@dataclass(frozen=True)
class FireOutcome:
    fire_id: int | None  # None: nothing was due, or another process fired it
    fire_at: datetime | None = None
    recipients: int = 0


def scheduled_key(reminder_id: int, fire_at: datetime) -> str:
    return f"r{reminder_id}@{fire_at:%Y%m%dT%H%M%SZ}"


async def claim(session: AsyncSession, *, now: datetime, **values: Any) -> int | None:
    """Insert a fire row; None when its key is already taken (it fired elsewhere)."""
    statement = (
        insert_for(dialect_of(session))(ReminderFire)
        .values(recipients=0, created_at=now, **values)
        .on_conflict_do_nothing(index_elements=["key"])
        .returning(col(ReminderFire.id))
    )
    connection = await session.connection()
    return (await connection.execute(statement)).scalar()


def _not_done(reminder: Reminder) -> Any:
    """A condition on `Membership.user_id`: the member has not done what the audience names."""
    audience = Audience(reminder.audience)
    ref = reminder.audience_ref or ""
    if audience is Audience.EVERYONE:
        return None
    kind, event_ref = {
        Audience.UNREAD: (ledger.EventKind.LESSON_READ, ref),
        Audience.UNPASSED: (ledger.EventKind.QUIZ_FINISHED, ref_with(ref, "passed")),
        Audience.UNACKED: (ledger.EventKind.BROADCAST_ACK, ref),
    }[audience]
    done = select(ParticipationEvent.id).where(  # type: ignore[call-overload]
        col(ParticipationEvent.user_id) == Membership.user_id,
        col(ParticipationEvent.kind) == kind,
        col(ParticipationEvent.ref) == event_ref,
    )
    return ~exists(done)


async def audience(session: AsyncSession, reminder: Reminder) -> list[Recipient]:
    """The learners who need this reminder now, each with their units in the subtree."""
    tree = await load_tree(session)
    units = tree.descendants(reminder.unit_id)
    if not units:
        return []
    statement = (
        select(Membership.user_id, Membership.unit_id, User.language)  # type: ignore[call-overload]
        .join(User, col(User.id) == Membership.user_id)
        .where(
            col(Membership.unit_id).in_(units),
            col(Membership.until).is_(None),
            col(Membership.role) == Role.LEARNER.value,
            col(User.consent_at).is_not(None),
            col(User.consent_version) == CONSENT_VERSION,
            col(User.erased_at).is_(None),
            col(User.unreachable_at).is_(None),
        )
    )
    condition = _not_done(reminder)
    if condition is not None:
        statement = statement.where(condition)
    units_of: dict[int, set[int]] = defaultdict(set)
    language_of: dict[int, str] = {}
    connection = await session.connection()
    for user_id, unit_id, language in (await connection.execute(statement)).all():
        units_of[user_id].add(unit_id)
        language_of[user_id] = language
    return [
        Recipient(
            chat_id=user_id,
            user_id=user_id,
            language=language_of[user_id],
            unit_ids=tuple(sorted(units_of[user_id])),
        )
        for user_id in sorted(units_of)
    ]


async def _card(session: AsyncSession, reminder: Reminder, fire_id: int, **extra: Any) -> Card:
    unit = await session.get(Unit, reminder.unit_id)
    assert reminder.id is not None
    values: dict[str, Any] = {
        "reminder_id": reminder.id,
        "fire_id": fire_id,
        "unit_name": unit.name if unit else "",
        "text": reminder.text,
        "message_kind": reminder.message_kind,
        "link_ref": reminder.link_ref,
        "campaign": reminder.campaign,
    }
    values.update(extra)
    return Card(**values)


async def _queue(
    session: AsyncSession,
    *,
    fire_id: int,
    card: Card,
    recipients: list[Recipient],
    render: Renderer,
    not_before: datetime | None = None,
) -> int:
    contents = {}
    for language in sorted({recipient.language for recipient in recipients}):
        contents[language] = await outbox.add_content(
            session,
            source_kind=REMINDER,
            source_id=fire_id,
            payload=render(card, language),
            language=language,
        )
    count = await outbox.enqueue(
        session,
        source_kind=REMINDER,
        source_id=fire_id,
        recipients=recipients,
        contents=contents,
        not_before=not_before,
    )
    connection = await session.connection()
    await connection.execute(
        update(ReminderFire).where(col(ReminderFire.id) == fire_id).values(recipients=count)
    )
    return count


async def fire_due(
    session: AsyncSession,
    reminder_id: int,
    *,
    now: datetime,
    grace: timedelta,
    holidays: Holidays,
    render: Renderer,
) -> FireOutcome:
    """Fire the newest fire owed at `now` (none older than `grace`); commits.

    A scheduler that runs late, or restarts within the grace window, fires once; older
    fires are not sent.
    """
    reminder = await session.get(Reminder, reminder_id)
    if reminder is None or reminder.deleted_at is not None or reminder.paused:
        return FireOutcome(None)
    try:
        schedule = schedule_of(reminder, holidays)
    except ScheduleError:
        return FireOutcome(None)
    after = max(owed_since(reminder, await last_fire_at(session, reminder_id)), now - grace)
    due = schedule.latest_due(after, now)
    if due is None:
        return FireOutcome(None)
    fire_id = await claim(
        session,
        now=now,
        key=scheduled_key(reminder_id, due),
        kind=FireKind.SCHEDULED.value,
        reminder_id=reminder_id,
        unit_id=reminder.unit_id,
        fire_at=due,
    )
    if fire_id is None:
        await session.commit()  # nothing written; a rollback would expire loaded rows
        return FireOutcome(None, due)
    recipients = await audience(session, reminder)
    card = await _card(session, reminder, fire_id)
    count = await _queue(session, fire_id=fire_id, card=card, recipients=recipients, render=render)
    await session.commit()
    return FireOutcome(fire_id, due, count)


async def send_test(
    session: AsyncSession, reminder: Reminder, user: User, *, now: datetime, render: Renderer
) -> int:
    """Queue the reminder to its trainer alone (credited to no unit); commits."""
    assert reminder.id is not None
    fire_id = await claim(
        session,
        now=now,
        key=f"test:{reminder.id}:{user.id}:{now:%Y%m%dT%H%M%S%f}",
        kind=FireKind.TEST.value,
        reminder_id=reminder.id,
        unit_id=reminder.unit_id,
        fire_at=now,
        user_id=user.id,
    )
    assert fire_id is not None
    card = await _card(session, reminder, fire_id, test=True)
    recipient = Recipient(chat_id=user.id, user_id=user.id, language=user.language)
    await _queue(session, fire_id=fire_id, card=card, recipients=[recipient], render=render)
    await session.commit()
    return fire_id


class AckStatus(StrEnum):
    LOGGED = "logged"
    ALREADY = "already"
    TEST = "test"
    NOT_COUNTED = "not_counted"  # no consent, or no unit any more
    GONE = "gone"  # not a reminder this person received


class SnoozeStatus(StrEnum):
    SNOOZED = "snoozed"
    ALREADY = "already"
    GONE = "gone"


@dataclass(frozen=True)
class SnoozeResult:
    status: SnoozeStatus
    at: datetime | None = None


async def _received(
    session: AsyncSession, fire_id: int, user: User
) -> tuple[ReminderFire, list[int]] | None:
    """The fire and the units credited, if this person was sent this fire."""
    fire = await session.get(ReminderFire, fire_id)
    if fire is None or fire.reminder_id is None:
        return None
    delivery = await outbox.delivery_for(
        session, source_kind=REMINDER, source_id=fire_id, chat_id=user.id
    )
    if delivery is None:
        return None
    return fire, list(delivery.unit_ids)


async def acknowledge(
    session: AsyncSession, user: User, fire_id: int, *, now: datetime
) -> AckStatus:
    """ "Seen": one `reminder_ack` per unit of the learner, once per fire; commits."""
    received = await _received(session, fire_id, user)
    if received is None:
        return AckStatus.GONE
    fire, unit_ids = received
    if fire.kind == FireKind.TEST.value:
        return AckStatus.TEST
    if needs_consent(user) or not unit_ids:
        return AckStatus.NOT_COUNTED
    origin = fire.origin_id or fire.id
    added = await ledger.record(
        session,
        user_id=user.id,
        unit_ids=unit_ids,
        kind=ledger.EventKind.REMINDER_ACK,
        ref=str(fire.reminder_id),
        key=f"reminder_ack:{origin}:{user.id}",
        at=now,
    )
    await session.commit()
    return AckStatus.LOGGED if added else AckStatus.ALREADY


async def snooze(
    session: AsyncSession,
    user: User,
    fire_id: int,
    *,
    now: datetime,
    render: Renderer,
    delay: timedelta = SNOOZE_DELAY,
) -> SnoozeResult:
    """ "Remind me later": the same reminder to this person once more, `delay` from now."""
    received = await _received(session, fire_id, user)
    if received is None:
        return SnoozeResult(SnoozeStatus.GONE)
    fire, unit_ids = received
    if fire.kind == FireKind.SNOOZE.value:
        return SnoozeResult(SnoozeStatus.ALREADY)
    reminder = await session.get(Reminder, fire.reminder_id)
    if reminder is None or reminder.deleted_at is not None:
        return SnoozeResult(SnoozeStatus.GONE)
    due = now + delay
    snooze_id = await claim(
        session,
        now=now,
        key=f"snooze:{fire.id}:{user.id}",
        kind=FireKind.SNOOZE.value,
        reminder_id=fire.reminder_id,
        unit_id=fire.unit_id,
        fire_at=due,
        user_id=user.id,
        origin_id=fire.id,
    )
    if snooze_id is None:
        await session.commit()  # nothing written; a rollback would expire loaded rows
        return SnoozeResult(SnoozeStatus.ALREADY)
    card = await _card(
        session,
        reminder,
        snooze_id,
        can_snooze=False,
        test=fire.kind == FireKind.TEST.value,
    )
    recipient = Recipient(
        chat_id=user.id, user_id=user.id, language=user.language, unit_ids=tuple(unit_ids)
    )
    await _queue(
        session, fire_id=snooze_id, card=card, recipients=[recipient], render=render, not_before=due
    )
    await session.commit()
    return SnoozeResult(SnoozeStatus.SNOOZED, due)
