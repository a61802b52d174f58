"""The SQL behind the privacy use cases: what is held about a person, erasing people into
pseudonyms, guardian links, the pseudonym key, and whom the daily purge removes.

Every column that can hold a person's Telegram id is named in `PERSON_COLUMNS` (kept rows:
the id is replaced by the pseudonym) or `PERSONAL_TABLES` (rows that served only the person
and are deleted); `NOT_PERSON_COLUMNS` lists the other big-integer columns. A test checks that
every big-integer column of every table is in one of them, so a new table cannot be missed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Table, and_, case, delete, exists, func, or_, update
from sqlalchemy.orm import aliased
from sqlalchemy.sql.expression import bindparam
from sqlmodel import SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain.privacy import rekeyed
from bot.storage import stats
from bot.storage.database import dialect_of, insert_for
from bot.storage.models import (
    GroupQuizPoll,
    InviteCode,
    LessonView,
    Membership,
    ParticipationEvent,
    QuizAttempt,
    QuizReview,
    Unit,
    User,
)
from bot.storage.models_delivery import Broadcast, Delivery, DeliveryStatus
from bot.storage.models_privacy import AppSecret, GuardianConsent
from bot.storage.models_reminders import Reminder, ReminderFire
from bot.storage.models_stats import StatsState


def _t(model: Any) -> Table:
    return model.__table__


EVENTS, FIRES, DELIVERIES, USERS = _t(ParticipationEvent), _t(ReminderFire), _t(Delivery), _t(User)
GUARDIANS = _t(GuardianConsent)

# Kept rows whose column simply gets the pseudonym: a new table of this kind needs only a line.
REPLACED_COLUMNS: tuple[tuple[str, str], ...] = (
    ("memberships", "user_id"),
    ("broadcasts", "created_by"),
    ("reminders", "created_by"),
    ("invite_codes", "created_by"),
    ("guardian_consents", "minor_id"),
    ("guardian_consents", "guardian_id"),
)
# Kept rows that need more than that (see `erase_people`).
PERSON_COLUMNS: tuple[tuple[str, str], ...] = (
    *REPLACED_COLUMNS,
    ("participation_events", "user_id"),  # and the key re-keyed
    ("reminder_fires", "user_id"),  # and the key re-keyed
    ("deliveries", "chat_id"),  # pending rows cancelled first
    ("deliveries", "user_id"),
    ("broadcasts", "status_chat_id"),  # set to NULL: the status message is no longer kept up
    ("users", "id"),  # deleted; a pseudonymous row keeps the consent time
    ("stats_user_days", "user_id"),  # the rollups move in `stats.reassign_people`
    ("stats_user_months", "user_id"),
    ("stats_user_activity", "user_id"),
    ("stats_first_reads", "user_id"),
)
# Rows that serve only the person (resuming a quiz, spaced review, the reading timer):
# deleted, since no figure of a unit is computed from them.
PERSONAL_TABLES: tuple[tuple[str, str], ...] = (
    ("quiz_attempts", "user_id"),
    ("quiz_attempts", "chat_id"),
    ("quiz_reviews", "user_id"),
    ("lesson_views", "user_id"),
)
NOT_PERSON_COLUMNS: tuple[tuple[str, str], ...] = (
    ("group_quiz_polls", "chat_id"),  # a group
    ("deliveries", "message_id"),
    ("stats_state", "last_event_id"),
    ("processed_updates", "bot_id"),  # the handled-updates record: bot and update ids
    ("processed_updates", "update_id"),
)
_ = (GroupQuizPoll, StatsState)  # the tables named above, for readers following the names

PSEUDONYM_SECRET = "pseudonym_key"


# --- the pseudonym key -------------------------------------------------------------------------


async def stored_secret(session: AsyncSession, name: str, fresh: str) -> tuple[str, bool]:
    """The secret `name`, made from `fresh` the first time; (value, made now). Replicas that
    race to make it all end up with the first one written."""
    found = await session.get(AppSecret, name)
    if found is not None:
        return found.value, False
    statement = (
        insert_for(dialect_of(session))(AppSecret)
        .values(name=name, value=fresh)
        .on_conflict_do_nothing(index_elements=["name"])
    )
    made = (await session.exec(statement)).rowcount
    await session.commit()
    value = (await session.exec(select(AppSecret.value).where(AppSecret.name == name))).one()
    return str(value), bool(made)


# --- guardian links ----------------------------------------------------------------------------


async def pending_guardian(
    session: AsyncSession, minor_id: int, now: datetime
) -> GuardianConsent | None:
    """The minor's newest guardian link that can still be opened, if any."""
    statement = (
        select(GuardianConsent)
        .where(
            col(GuardianConsent.minor_id) == minor_id,
            col(GuardianConsent.agreed_at).is_(None),
            col(GuardianConsent.expires_at) > now,
        )
        .order_by(col(GuardianConsent.created_at).desc())
        .limit(1)
    )
    return (await session.exec(statement)).first()


async def guardian_by_token(session: AsyncSession, token: str) -> GuardianConsent | None:
    statement = select(GuardianConsent).where(col(GuardianConsent.token) == token)
    return (await session.exec(statement)).first()


async def drop_pending_guardians(session: AsyncSession, minor_id: int) -> None:
    await session.exec(
        delete(GuardianConsent).where(
            col(GuardianConsent.minor_id) == minor_id, col(GuardianConsent.agreed_at).is_(None)
        )
    )


async def mark_guardian_agreed(
    session: AsyncSession, link_id: int, *, guardian_id: int, now: datetime
) -> bool:
    """Record the agreement once (a second tap, or a race, finds it taken)."""
    result = await session.exec(
        update(GuardianConsent)
        .where(
            col(GuardianConsent.id) == link_id,
            col(GuardianConsent.agreed_at).is_(None),
            col(GuardianConsent.expires_at) > now,
        )
        .values(guardian_id=guardian_id, agreed_at=now)
    )
    return bool(result.rowcount)


# --- what is held about a person ---------------------------------------------------------------


def _plain(row: Any, *names: str) -> dict[str, Any]:
    return {name: getattr(row, name) for name in names}


async def held_about(session: AsyncSession, user_id: int) -> dict[str, Any]:
    """Every row that names the person, as plain values (the export)."""

    async def rows(statement: Any) -> list[Any]:
        return list((await session.exec(statement)).all())

    user = await session.get(User, user_id)
    memberships = await rows(
        select(Membership, Unit)
        .join(Unit, col(Unit.id) == Membership.unit_id)
        .where(col(Membership.user_id) == user_id)
        .order_by(col(Membership.since))
    )
    units = {unit.id: unit.code for unit in (await rows(select(Unit)))}
    events = await rows(
        select(ParticipationEvent)
        .where(col(ParticipationEvent.user_id) == user_id)
        .order_by(col(ParticipationEvent.at), col(ParticipationEvent.id))
    )
    attempts = await rows(
        select(QuizAttempt)
        .where(col(QuizAttempt.user_id) == user_id)
        .order_by(col(QuizAttempt.started_at))
    )
    reviews = await rows(select(QuizReview).where(col(QuizReview.user_id) == user_id))
    views = await rows(select(LessonView).where(col(LessonView.user_id) == user_id))
    deliveries = await rows(
        select(Delivery)
        .where(or_(col(Delivery.user_id) == user_id, col(Delivery.chat_id) == user_id))
        .order_by(col(Delivery.id))
    )
    fires = await rows(
        select(ReminderFire)
        .where(col(ReminderFire.user_id) == user_id)
        .order_by(col(ReminderFire.id))
    )
    guardians = await rows(
        select(GuardianConsent).where(
            or_(
                col(GuardianConsent.minor_id) == user_id,
                col(GuardianConsent.guardian_id) == user_id,
            )
        )
    )
    broadcasts = await rows(select(Broadcast).where(col(Broadcast.created_by) == user_id))
    reminders = await rows(select(Reminder).where(col(Reminder.created_by) == user_id))
    invites = await rows(select(InviteCode).where(col(InviteCode.created_by) == user_id))
    return {
        "user": None
        if user is None
        else _plain(
            user,
            "id",
            "first_name",
            "last_name",
            "username",
            "language",
            "consent_at",
            "consent_version",
            "public_name",
            "pending_start",
            "unreachable_at",
            "created_at",
        ),
        "memberships": [
            {"unit": unit.code, "unit_name": unit.name, **_plain(m, "role", "since", "until")}
            for m, unit in memberships
        ],
        "participation": [
            {"unit": units.get(e.unit_id), **_plain(e, "kind", "ref", "value", "at")}
            for e in events
        ],
        "quiz_attempts": [
            _plain(
                a,
                "bank_id",
                "status",
                "plan",
                "answers",
                "position",
                "started_at",
                "finished_at",
                "correct",
                "total",
                "percent",
                "passed",
            )
            for a in attempts
        ],
        "quiz_reviews": [
            _plain(r, "bank_id", "question_id", "misses", "streak", "due_at") for r in reviews
        ],
        "lesson_views": [_plain(v, "explainer_id", "opened_at") for v in views],
        "deliveries": [
            _plain(
                d,
                "source_kind",
                "source_id",
                "status",
                "attempts",
                "sent_at",
                "error",
                "unit_ids",
            )
            for d in deliveries
        ],
        "reminder_fires": [
            _plain(f, "kind", "reminder_id", "origin_id", "fire_at", "created_at") for f in fires
        ],
        # The guardian's id is theirs, not the minor's: each side sees that consent was given.
        "guardian_consents": [
            {
                "role": "minor" if g.minor_id == user_id else "guardian",
                **_plain(g, "created_at", "expires_at", "agreed_at"),
            }
            for g in guardians
        ],
        "broadcasts_created": [
            _plain(b, "id", "unit_ids", "content_kind", "body", "link_ref", "status", "created_at")
            for b in broadcasts
        ],
        "reminders_created": [
            _plain(r, "id", "unit_id", "text", "schedule_kind", "created_at", "deleted_at")
            for r in reminders
        ],
        "invites_created": [
            _plain(i, "code", "unit_id", "role", "expires_at", "created_at") for i in invites
        ],
    }


# --- erasure -----------------------------------------------------------------------------------


async def guardians_of(session: AsyncSession, minor_ids: Sequence[int]) -> list[int]:
    """Who agreed for these minors (their ids go with the minors' data)."""
    statement = select(GUARDIANS.c.guardian_id).where(
        GUARDIANS.c.minor_id.in_(minor_ids), GUARDIANS.c.guardian_id.is_not(None)
    )
    return sorted({int(g) for g in (await session.exec(statement)).all()})


async def erase_people(
    session: AsyncSession,
    pseudonyms: Mapping[int, int],
    *,
    guardians: Mapping[int, int] | None = None,
    nonce: str,
    now: datetime,
) -> None:
    """Replace each person's Telegram id by their pseudonym in every kept row, delete the rows
    that served only them and their `users` row. The caller commits.

    A pseudonymous `users` row (no name, no language of their own) keeps the consent time of
    people who had consented, so the figures of their units stay as they were. The guardians
    who agreed for erased minors get their own pseudonyms (`guardians`) in those proofs.
    """
    if not pseudonyms:
        return
    ids = sorted(pseudonyms)
    connection = await session.connection()
    await stats.hold_rollups(connection)
    await _pseudonymise_outbox(session, pseudonyms)
    await _rekey(session, EVENTS, pseudonyms, nonce, keep_unit=True)
    await _rekey(session, FIRES, pseudonyms, nonce, keep_unit=False)
    await session.exec(
        update(Membership)
        .where(col(Membership.user_id).in_(ids), col(Membership.until).is_(None))
        .values(until=now)
    )
    if guardians:
        await session.exec(
            update(GUARDIANS)
            .where(GUARDIANS.c.minor_id.in_(ids), GUARDIANS.c.guardian_id.in_(sorted(guardians)))
            .values(guardian_id=_swap(GUARDIANS.c.guardian_id, guardians))
        )
    tables = SQLModel.metadata.tables
    for name, column in REPLACED_COLUMNS:
        await _replace(session, tables[name], column, pseudonyms)
    await session.exec(
        update(Broadcast).where(col(Broadcast.status_chat_id).in_(ids)).values(status_chat_id=None)
    )
    for name, column in PERSONAL_TABLES:
        await session.exec(delete(tables[name]).where(tables[name].c[column].in_(ids)))
    await stats.reassign_people(connection, pseudonyms)
    await _replace_users(session, pseudonyms, now)


def _swap(column: Any, pseudonyms: Mapping[int, int]) -> Any:
    """Each id of `pseudonyms` in `column` as its pseudonym (one statement for many people)."""
    return case(dict(pseudonyms), value=column, else_=column)


async def _replace(
    session: AsyncSession, table: Table, column: str, pseudonyms: Mapping[int, int]
) -> None:
    await session.exec(
        update(table)
        .where(table.c[column].in_(sorted(pseudonyms)))
        .values({column: _swap(table.c[column], pseudonyms)})
    )


async def _rekey(
    session: AsyncSession,
    table: Table,
    pseudonyms: Mapping[int, int],
    nonce: str,
    *,
    keep_unit: bool,
) -> None:
    """The person's rows get the pseudonym and a key that no longer names them."""
    found = await session.exec(
        select(table.c.id, table.c.user_id, table.c.key).where(
            table.c.user_id.in_(sorted(pseudonyms))
        )
    )
    changes = [
        {
            "row": row_id,
            "new_user": pseudonyms[user_id],
            "new_key": rekeyed(key, nonce, keep_unit=keep_unit),
        }
        for row_id, user_id, key in found.all()
    ]
    if changes:
        statement = (
            update(table)
            .where(table.c.id == bindparam("row"))
            .values(user_id=bindparam("new_user"), key=bindparam("new_key"))
        )
        connection = await session.connection()
        await connection.execute(statement, changes)


async def _pseudonymise_outbox(session: AsyncSession, pseudonyms: Mapping[int, int]) -> None:
    """Nothing more is sent to the person; their deliveries stay for the senders' counts."""
    ids = sorted(pseudonyms)
    await session.exec(
        update(Delivery)
        .where(
            col(Delivery.chat_id).in_(ids),
            col(Delivery.status) == DeliveryStatus.PENDING.value,
        )
        .values(status=DeliveryStatus.CANCELLED.value)
    )
    # A source reaches a chat once: where the pseudonym already has the source's row (the
    # person was erased before, came back and was sent the same thing), that row is kept.
    other = aliased(DELIVERIES)
    chat = DELIVERIES.c.chat_id
    taken = exists().where(
        and_(
            other.c.source_kind == DELIVERIES.c.source_kind,
            other.c.source_id == DELIVERIES.c.source_id,
            other.c.chat_id == _swap(chat, pseudonyms),
        )
    )
    await session.exec(
        update(DELIVERIES).where(chat.in_(ids), ~taken).values(chat_id=_swap(chat, pseudonyms))
    )
    await session.exec(delete(DELIVERIES).where(chat.in_(ids)))
    await _replace(session, DELIVERIES, "user_id", pseudonyms)


async def _replace_users(
    session: AsyncSession, pseudonyms: Mapping[int, int], now: datetime
) -> None:
    ids = sorted(pseudonyms)
    found = await session.exec(select(USERS.c.id, USERS.c.consent_at).where(USERS.c.id.in_(ids)))
    consent = {user_id: consent_at for user_id, consent_at in found.all()}
    await session.exec(delete(User).where(col(User.id).in_(ids)))
    rows = [
        {
            "id": pseudonyms[user_id],
            "language": "vi",
            "public_name": False,
            "consent_at": consent_at,
            "erased_at": now,
            "created_at": now,
        }
        for user_id, consent_at in consent.items()
        if consent_at is not None
    ]
    if not rows:
        return
    statement = insert_for(dialect_of(session))(User)
    statement = statement.on_conflict_do_update(
        index_elements=["id"],
        set_={"consent_at": func.coalesce(USERS.c.consent_at, statement.excluded.consent_at)},
    )
    connection = await session.connection()
    await connection.execute(statement, rows)


# --- the purge's choices -----------------------------------------------------------------------


async def expired_first_contacts(
    session: AsyncSession, *, created_before: datetime, now: datetime
) -> list[int]:
    """People who never agreed, wrote first before `created_before`, and wait for no guardian."""
    waiting = exists().where(
        GUARDIANS.c.minor_id == USERS.c.id,
        GUARDIANS.c.agreed_at.is_(None),
        GUARDIANS.c.expires_at > now,
    )
    statement = select(USERS.c.id).where(
        USERS.c.id > 0,
        USERS.c.consent_at.is_(None),
        USERS.c.created_at <= created_before,
        ~waiting,
    )
    return [int(user_id) for user_id in (await session.exec(statement)).all()]


async def delete_first_contacts(session: AsyncSession, user_ids: Sequence[int]) -> None:
    """Delete what is kept before consent: the users row (id, language, pending invite code)
    and guardian links never agreed to. The caller commits."""
    if not user_ids:
        return
    await session.exec(
        delete(GuardianConsent).where(
            col(GuardianConsent.minor_id).in_(user_ids), col(GuardianConsent.agreed_at).is_(None)
        )
    )
    await session.exec(
        delete(User).where(col(User.id).in_(user_ids), col(User.consent_at).is_(None))
    )


async def retention_candidates(
    session: AsyncSession,
) -> list[tuple[int, bool, datetime | None, datetime | None]]:
    """(person, any membership active, end of the last one, consent time) of every real
    person with a membership or a consent; the rule is `domain.privacy.past_retention`."""
    member = _t(Membership)
    memberships = (
        select(
            member.c.user_id.label("user_id"),
            func.sum(case((member.c.until.is_(None), 1), else_=0)).label("active"),
            func.max(member.c.until).label("last_end"),
        )
        .where(member.c.user_id > 0)
        .group_by(member.c.user_id)
    )
    found: dict[int, list[Any]] = {}
    for user_id, active, last_end in (await session.exec(memberships)).all():
        found[user_id] = [user_id, bool(active), last_end, None]
    consented = select(USERS.c.id, USERS.c.consent_at).where(
        USERS.c.id > 0, USERS.c.consent_at.is_not(None)
    )
    for user_id, consent_at in (await session.exec(consented)).all():
        found.setdefault(user_id, [user_id, False, None, None])[3] = consent_at
    return [(row[0], row[1], row[2], row[3]) for row in found.values()]
