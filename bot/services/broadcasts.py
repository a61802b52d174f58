"""Broadcasts: who may send to which units, who receives, the outbox written in one go,
progress, cancelling, acknowledgments and the final report.

A trainer broadcasts to units inside their own subtrees (admins anywhere). Recipients are the
active members of the chosen units and of every unit below them who have given the current
consent and have not blocked the bot; a person in two chosen units gets one message, credited
to both units. The broadcast, its message bodies (one per language) and one outbox row per
recipient are written in a single transaction before anything is sent.

Ledger: `broadcast_delivered` when a message arrives (written by the sender), `broadcast_ack`
when the recipient presses the button; ref `<broadcast id>`.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from enum import StrEnum

from sqlalchemy import case, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.delivery import outbox
from bot.delivery.outbox import Recipient
from bot.delivery.render import Payload
from bot.reports.safe_cells import csv_row
from bot.services.access import Access
from bot.services.grants import ScopeError, in_scope, scope_roots
from bot.services.units import UnitNode, UnitTree, load_tree
from bot.services.users import CONSENT_VERSION
from bot.storage import drafts, ledger
from bot.storage.clock import utcnow
from bot.storage.models import Membership, Role, User
from bot.storage.models_delivery import (
    Broadcast,
    BroadcastStatus,
    DeliveryStatus,
    SourceKind,
)

BROADCAST = SourceKind.BROADCAST.value
SCOPE_ROLE = Role.TRAINER
MAX_UNITS = 40  # units offered as buttons
UNDELIVERED = (
    DeliveryStatus.FAILED,
    DeliveryStatus.BLOCKED,
    DeliveryStatus.UNCERTAIN,
    DeliveryStatus.CANCELLED,
)


class ContentKind(StrEnum):
    TEXT = "text"
    PHOTO = "photo"
    DOCUMENT = "document"
    LESSON = "lesson"  # an explainer, with a button opening it
    QUIZ = "quiz"  # a quiz bank, with a button starting it


@dataclass(frozen=True)
class Draft:
    """What the trainer composed; `body` is HTML (the caption of a photo or document)."""

    unit_ids: tuple[int, ...]
    kind: ContentKind
    body: str
    file_id: str | None = None
    link_ref: str | None = None
    ask_ack: bool = False
    silent: bool = False
    scheduled_at: datetime | None = None
    token: str | None = None  # the wizard's draft token: the broadcast is made from it once


class AlreadySent(Exception):
    """The draft was made into a broadcast already (a second tap of "Send")."""

    def __init__(self, broadcast_id: int | None) -> None:
        super().__init__(f"draft already sent as broadcast {broadcast_id}")
        self.broadcast_id = broadcast_id


# Render one language's message of broadcast `id` (0 for a preview).
Renderer = Callable[[int, str], Payload]


@dataclass(frozen=True)
class Progress:
    broadcast: Broadcast
    counts: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def count(self, status: DeliveryStatus) -> int:
        return self.counts.get(status.value, 0)

    @property
    def unsettled(self) -> int:
        return self.count(DeliveryStatus.PENDING) + self.count(DeliveryStatus.SENDING)


class AckStatus(StrEnum):
    LOGGED = "logged"
    ALREADY = "already"
    NOT_RECIPIENT = "not_recipient"


# Who may send where


def selectable_units(tree: UnitTree, access: Access) -> list[UnitNode]:
    """The units a user may broadcast to, each top unit followed by its sub-units."""
    found: list[UnitNode] = []
    for root in scope_roots(tree, access, SCOPE_ROLE):
        for unit_id in tree.descendants(root):
            node = tree.get(unit_id)
            if node is not None and node not in found:
                found.append(node)
    return found[:MAX_UNITS]


def check_units(tree: UnitTree, access: Access, unit_ids: Iterable[int]) -> tuple[int, ...]:
    """The chosen units, each checked against the user's scope (`ScopeError` if not)."""
    chosen = tuple(dict.fromkeys(unit_ids))
    if not chosen:
        raise ValueError("no unit chosen")
    for unit_id in chosen:
        if not in_scope(tree, access, unit_id, SCOPE_ROLE):
            raise ScopeError(unit_id, SCOPE_ROLE)
    return chosen


# Who receives


async def audience(
    session: AsyncSession, tree: UnitTree, unit_ids: Iterable[int], *, sender: int | None = None
) -> list[Recipient]:
    """One recipient per person in the chosen subtrees, with the units to credit; the person
    sending (`sender`) has seen the preview and is left out."""
    covered: set[int] = set()
    for unit_id in unit_ids:
        covered.update(tree.descendants(unit_id))
    if not covered:
        return []
    statement = (
        select(Membership.user_id, Membership.unit_id, User.language)
        .join(User, col(User.id) == Membership.user_id)
        .where(
            col(Membership.unit_id).in_(covered),
            col(Membership.until).is_(None),
            col(User.consent_at).is_not(None),
            col(User.consent_version) == CONSENT_VERSION,
            col(User.erased_at).is_(None),
            col(User.unreachable_at).is_(None),
        )
        .order_by(col(Membership.user_id), col(Membership.unit_id))
    )
    people: dict[int, tuple[str, list[int]]] = {}
    for user_id, unit_id, language in (await session.exec(statement)).all():
        if user_id == sender:
            continue
        _, units = people.setdefault(user_id, (language, []))
        if unit_id not in units:
            units.append(unit_id)
    return [
        Recipient(chat_id=user_id, user_id=user_id, language=language, unit_ids=tuple(units))
        for user_id, (language, units) in people.items()
    ]


async def audience_size(session: AsyncSession, access: Access, unit_ids: Iterable[int]) -> int:
    tree = await load_tree(session)
    chosen = check_units(tree, access, unit_ids)
    return len(await audience(session, tree, chosen, sender=access.user_id))


# Writing the outbox


async def create(
    session: AsyncSession,
    access: Access,
    draft: Draft,
    *,
    render: Renderer,
    status_chat_id: int | None = None,
) -> Broadcast:
    """Check the scope, then write the broadcast and its outbox in one transaction.

    A draft with a token is made into one broadcast only: `AlreadySent` when it was made.
    """
    tree = await load_tree(session)
    unit_ids = check_units(tree, access, draft.unit_ids)
    recipients = await audience(session, tree, unit_ids, sender=access.user_id)
    row = Broadcast(
        created_by=access.user_id or None,
        unit_ids=list(unit_ids),
        content_kind=draft.kind.value,
        body=draft.body,
        file_id=draft.file_id,
        link_ref=draft.link_ref,
        ask_ack=draft.ask_ack,
        silent=draft.silent,
        recipients=len(recipients),
        scheduled_at=draft.scheduled_at,
        status_chat_id=status_chat_id,
        draft_token=draft.token,
    )
    broadcast_id = await drafts.insert_once(session, row)
    if broadcast_id is None:
        await session.commit()  # wrote nothing; ends the transaction
        assert draft.token is not None
        made = await drafts.made_from(session, Broadcast, draft.token)
        raise AlreadySent(made.id if made else None)
    broadcast = await session.get(Broadcast, broadcast_id)
    assert broadcast is not None and broadcast.id is not None
    languages = {recipient.language for recipient in recipients}
    contents = {
        language: await outbox.add_content(
            session,
            source_kind=BROADCAST,
            source_id=broadcast.id,
            payload=render(broadcast.id, language),
            language=language,
            ledger_kind=ledger.EventKind.BROADCAST_DELIVERED,
        )
        for language in sorted(languages)
    }
    await outbox.enqueue(
        session,
        source_kind=BROADCAST,
        source_id=broadcast.id,
        recipients=recipients,
        contents=contents,
        not_before=draft.scheduled_at,
    )
    if not recipients:
        broadcast.status = BroadcastStatus.FINISHED.value
        broadcast.finished_at = utcnow()
    await session.commit()
    return broadcast


def new_draft_token() -> str:
    """The token a new wizard draft carries (`Draft.token`)."""
    return drafts.new_token()


async def made_from(session: AsyncSession, token: str) -> Broadcast | None:
    """The broadcast made from the wizard draft with `token`, if it was sent."""
    return await drafts.made_from(session, Broadcast, token)


async def set_status_message(session: AsyncSession, broadcast_id: int, message_id: int) -> None:
    await session.exec(
        update(Broadcast)
        .where(col(Broadcast.id) == broadcast_id)
        .values(status_message_id=message_id)
    )
    await session.commit()


# Following it


async def progress(session: AsyncSession, broadcast_id: int) -> Progress | None:
    broadcast = await session.get(Broadcast, broadcast_id, populate_existing=True)
    if broadcast is None:
        return None
    counts = await outbox.counts(session, source_kind=BROADCAST, source_id=broadcast_id)
    return Progress(broadcast, counts)


async def open_ids(session: AsyncSession) -> list[int]:
    """Broadcasts not reported yet (sending, scheduled, or cancelled with sends in flight)."""
    statement = select(Broadcast.id).where(col(Broadcast.finished_at).is_(None))
    return [i for i in (await session.exec(statement)).all() if i is not None]


async def finish_if_done(session: AsyncSession, broadcast_id: int) -> bool:
    """Close a broadcast with nothing left to send; True only for the one caller that did
    it (so the report goes out once)."""
    found = await progress(session, broadcast_id)
    if found is None or found.unsettled:
        return False
    still_active = col(Broadcast.status) == BroadcastStatus.ACTIVE.value
    result = await session.exec(
        update(Broadcast)
        .where(col(Broadcast.id) == broadcast_id, col(Broadcast.finished_at).is_(None))
        .values(
            finished_at=utcnow(),
            status=case((still_active, BroadcastStatus.FINISHED.value), else_=Broadcast.status),
        )
        .execution_options(synchronize_session=False)
    )
    await session.commit()
    return bool(result.rowcount)


def may_manage(tree: UnitTree, access: Access, broadcast: Broadcast) -> bool:
    """An admin, or its sender while still a trainer of every unit it went to."""
    if access.is_admin:
        return True
    return broadcast.created_by == access.user_id and all(
        in_scope(tree, access, unit_id, SCOPE_ROLE) for unit_id in broadcast.unit_ids
    )


def reached_scope(tree: UnitTree, access: Access, broadcast: Broadcast) -> bool:
    """True when the broadcast went to units the user is a trainer of, below them, or above
    them (and so reached them); any broadcast for an admin."""
    if access.is_admin:
        return True
    mine = set(scope_roots(tree, access, SCOPE_ROLE))
    return any(
        mine.intersection(tree.ancestors(unit_id))
        or any(root in mine for root in tree.descendants(unit_id))
        for unit_id in broadcast.unit_ids
    )


async def find_in_scope(
    session: AsyncSession, access: Access, broadcast_id: int
) -> Broadcast | None:
    """The broadcast if it reached the user's units; None alike for one that does not exist
    and for one elsewhere, so the answer tells nothing about other units."""
    broadcast = await session.get(Broadcast, broadcast_id)
    if broadcast is None or not reached_scope(await load_tree(session), access, broadcast):
        return None
    return broadcast


async def cancel(session: AsyncSession, access: Access, broadcast_id: int) -> int | None:
    """Cancel what is not sent yet; the number of messages cancelled, None if not allowed."""
    broadcast = await session.get(Broadcast, broadcast_id)
    if broadcast is None or not may_manage(await load_tree(session), access, broadcast):
        return None
    cancelled = await outbox.cancel(session, source_kind=BROADCAST, source_id=broadcast_id)
    if broadcast.status == BroadcastStatus.ACTIVE.value:
        broadcast.status = BroadcastStatus.CANCELLED.value
    await session.commit()
    return cancelled


async def acknowledge(session: AsyncSession, user_id: int, broadcast_id: int) -> AckStatus:
    """The recipient pressed "I have read it": log it once for their units."""
    row = await outbox.delivery_for(
        session, source_kind=BROADCAST, source_id=broadcast_id, chat_id=user_id
    )
    if row is None or row.user_id != user_id:
        return AckStatus.NOT_RECIPIENT
    added = await ledger.record(
        session,
        user_id=user_id,
        unit_ids=row.unit_ids,
        kind=ledger.EventKind.BROADCAST_ACK,
        key=f"broadcast_ack:{broadcast_id}:{user_id}",
        ref=str(broadcast_id),
    )
    await session.commit()
    return AckStatus.LOGGED if added else AckStatus.ALREADY


# The report


@dataclass(frozen=True)
class Undelivered:
    user_id: int | None
    name: str
    username: str
    status: str
    error: str


async def undelivered(session: AsyncSession, broadcast_id: int) -> list[Undelivered]:
    rows = await outbox.rows_of(
        session, source_kind=BROADCAST, source_id=broadcast_id, statuses=UNDELIVERED
    )
    people = {
        user.id: user
        for user in (
            await session.exec(
                select(User).where(col(User.id).in_([r.user_id for r in rows if r.user_id]))
            )
        ).all()
    }
    found = []
    for row in rows:
        person = people.get(row.user_id) if row.user_id is not None else None
        name = " ".join(p for p in (person.first_name, person.last_name) if p) if person else ""
        found.append(
            Undelivered(
                user_id=row.user_id,
                name=name,
                username=(person.username or "") if person else "",
                status=row.status,
                error=row.error or "",
            )
        )
    return found


def reasons(rows: Iterable[Undelivered]) -> Counter[tuple[str, str]]:
    """Undelivered messages per (status, reason); `most_common()` puts the big ones first."""
    return Counter((row.status, _short(row.error)) for row in rows)


def _short(error: str) -> str:
    return re.sub(r"\s+", " ", error.split(":", 1)[-1]).strip()[:80]


def undelivered_csv(rows: Iterable[Undelivered]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["telegram_id", "name", "username", "status", "error"])
    for row in rows:
        writer.writerow(csv_row([row.user_id, row.name, row.username, row.status, row.error]))
    return buffer.getvalue().encode("utf-8-sig")  # the BOM lets spreadsheet apps see UTF-8


# Scheduling


_WHEN = re.compile(
    r"^\s*(?:(\d{1,2})[/.-](\d{1,2})(?:[/.-](\d{4}))?\s+)?(\d{1,2})[:hg](\d{2})\s*$",
    re.IGNORECASE,
)


def parse_when(text: str, *, now: datetime, zone: tzinfo) -> datetime | None:
    """`HH:MM` (today, or tomorrow once passed) or `DD/MM[/YYYY] HH:MM` in `zone`, as UTC.

    None when the text is not a time, or names a moment already past.
    """
    match = _WHEN.match(text)
    if match is None:
        return None
    day, month, year, hour, minute = match.groups()
    local_now = now.astimezone(zone)
    try:
        moment = local_now.replace(
            year=int(year) if year else local_now.year,
            month=int(month) if month else local_now.month,
            day=int(day) if day else local_now.day,
            hour=int(hour),
            minute=int(minute),
            second=0,
            microsecond=0,
        )
    except ValueError:
        return None
    if moment <= local_now:
        if day is not None:
            return None
        moment += timedelta(days=1)
    return moment.astimezone(now.tzinfo)
