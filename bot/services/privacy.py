"""Privacy use cases: the export, erasure into pseudonyms, a minor's guardian consent, and the
daily purge of what is kept too long.

Erasure keeps the rows a unit's figures are computed from (ledger, memberships, deliveries,
reminder fires, rollups) with the Telegram id replaced by a keyed pseudonym
(`bot.domain.privacy.pseudonym`), deletes the rows that served only the person (quiz attempts
and reviews, lesson views) and the `users` row. If the person writes again, the bot meets
them as a stranger: a fresh `users` row, before consent.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain.privacy import (
    PurgeCutoffs,
    guardian_link_expiry,
    new_key,
    new_token,
    past_retention,
    pseudonym,
)
from bot.services import users
from bot.settings import Settings
from bot.storage import privacy as store
from bot.storage.clock import utcnow
from bot.storage.models import User
from bot.storage.models_privacy import GuardianConsent

# Clears what the bot remembers of a person's open dialogue (FSM state and drafts).
StateEraser = Callable[[int], Awaitable[None]]
ERASE_BATCH = 500


async def forget_nothing(_user_id: int) -> None:
    """A `StateEraser` for processes without FSM storage (the command line)."""
    return None


def _aware(moment: datetime | None) -> datetime | None:
    """SQLite hands datetimes back without a zone; they are stored in UTC."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


# --- the pseudonym key -------------------------------------------------------------------------


async def pseudonym_key(session: AsyncSession, settings: Settings) -> bytes:
    """PSEUDONYM_KEY, or else the key generated once and kept in the database."""
    configured = settings.pseudonym_key.get_secret_value().strip() if settings.pseudonym_key else ""
    if configured:
        return configured.encode("utf-8")
    value, _ = await store.stored_secret(session, store.PSEUDONYM_SECRET, new_key())
    return value.encode("utf-8")


def key_is_configured(settings: Settings) -> bool:
    return bool(settings.pseudonym_key and settings.pseudonym_key.get_secret_value().strip())


# --- access (export) ---------------------------------------------------------------------------


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return _aware(value).isoformat()  # type: ignore[union-attr]
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"not JSON: {type(value).__name__}")


async def export(
    session: AsyncSession,
    user_id: int,
    *,
    open_dialogue: Mapping[str, Any] | None = None,
    now: datetime | None = None,
) -> bytes:
    """Everything held about the person, as a JSON file (UTF-8); `open_dialogue` is what a
    wizard they left open remembers (its draft)."""
    held = await store.held_about(session, user_id)
    document = {
        "telegram_id": user_id,
        "exported_at": now or utcnow(),
        **held,
        "open_dialogue": dict(open_dialogue or {}),
    }
    return json.dumps(document, ensure_ascii=False, indent=2, default=_json_value).encode()


# --- erasure -----------------------------------------------------------------------------------


async def erase(
    session: AsyncSession,
    user_id: int,
    *,
    key: bytes,
    forget_state: StateEraser = forget_nothing,
    now: datetime | None = None,
) -> None:
    """Withdraw the person's consent and erase them (see the module docstring). Erasing
    someone already erased changes nothing."""
    await erase_many(session, [user_id], key=key, forget_state=forget_state, now=now)


async def erase_many(
    session: AsyncSession,
    user_ids: Sequence[int],
    *,
    key: bytes,
    forget_state: StateEraser = forget_nothing,
    now: datetime | None = None,
) -> int:
    """Erase several people, a batch per transaction; returns how many."""
    moment = now or utcnow()
    people = sorted({u for u in user_ids if u > 0})
    for user_id in people:
        await forget_state(user_id)
    for start in range(0, len(people), ERASE_BATCH):
        batch = people[start : start + ERASE_BATCH]
        guardians = await store.guardians_of(session, batch)
        await store.erase_people(
            session,
            {user_id: pseudonym(user_id, key) for user_id in batch},
            guardians={g: pseudonym(g, key) for g in guardians if g > 0},
            nonce=secrets.token_hex(16),
            now=moment,
        )
        await session.commit()
    return len(people)


# --- a minor's guardian ------------------------------------------------------------------------


async def ask_guardian(session: AsyncSession, user: User, *, now: datetime) -> GuardianConsent:
    """A new guardian link for a minor who agreed; earlier links stop working."""
    await store.drop_pending_guardians(session, user.id)
    link = GuardianConsent(
        minor_id=user.id, token=new_token(), created_at=now, expires_at=guardian_link_expiry(now)
    )
    session.add(link)
    await session.commit()
    return link


async def waiting_guardian(
    session: AsyncSession, user: User, *, now: datetime
) -> GuardianConsent | None:
    """The guardian link a minor waits on, if one can still be opened."""
    return await store.pending_guardian(session, user.id, now)


async def stop_waiting(session: AsyncSession, user: User) -> None:
    """The minor starts over (or declines): open links stop working."""
    await store.drop_pending_guardians(session, user.id)
    await session.commit()


class LinkStatus(StrEnum):
    OPEN = "open"  # a guardian may agree
    OWN = "own"  # the minor opened their own link
    AGREED = "agreed"  # a guardian has agreed already
    EXPIRED = "expired"
    UNKNOWN = "unknown"  # no such link (or the minor's first contact was purged)


@dataclass(frozen=True)
class LinkCheck:
    status: LinkStatus
    link: GuardianConsent | None = None
    minor: User | None = None


async def check_link(
    session: AsyncSession, token: str, *, opener_id: int, now: datetime
) -> LinkCheck:
    link = await store.guardian_by_token(session, token)
    if link is None:
        return LinkCheck(LinkStatus.UNKNOWN)
    if link.minor_id == opener_id:
        return LinkCheck(LinkStatus.OWN, link)
    if link.agreed_at is not None:
        return LinkCheck(LinkStatus.AGREED, link)
    expires = _aware(link.expires_at)
    if expires is None or expires <= now:
        return LinkCheck(LinkStatus.EXPIRED, link)
    minor = await session.get(User, link.minor_id)
    if minor is None:
        return LinkCheck(LinkStatus.UNKNOWN)
    return LinkCheck(LinkStatus.OPEN, link, minor)


async def guardian_agrees(
    session: AsyncSession, token: str, *, guardian_id: int, now: datetime
) -> LinkCheck:
    """The guardian agrees: their id and the time are kept as proof, and the minor's consent
    is given. OPEN in the answer means this call gave it (a second tap finds AGREED)."""
    check = await check_link(session, token, opener_id=guardian_id, now=now)
    if check.status is not LinkStatus.OPEN or check.link is None or check.minor is None:
        return check
    assert check.link.id is not None
    if not await store.mark_guardian_agreed(
        session, check.link.id, guardian_id=guardian_id, now=now
    ):
        await session.rollback()
        return LinkCheck(LinkStatus.AGREED, check.link)
    await users.give_consent(session, check.minor, None)
    return check


async def guardian_declines(
    session: AsyncSession, token: str, *, guardian_id: int, now: datetime
) -> LinkCheck:
    """The guardian refuses: the link stops working; nothing about the minor was recorded."""
    check = await check_link(session, token, opener_id=guardian_id, now=now)
    if check.status is LinkStatus.OPEN and check.minor is not None:
        await stop_waiting(session, check.minor)
    return check


# --- the daily purge ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PurgeResult:
    first_contacts: int  # people who never agreed: their id and language deleted
    erased: int  # people kept past RETENTION_DAYS: erased into pseudonyms


async def purge(
    session: AsyncSession,
    *,
    now: datetime,
    retention_days: int,
    key: bytes,
    forget_state: StateEraser = forget_nothing,
) -> PurgeResult:
    cutoffs = PurgeCutoffs.at(now, retention_days=retention_days)
    strangers = await store.expired_first_contacts(
        session, created_before=cutoffs.pre_consent, now=now
    )
    await store.delete_first_contacts(session, strangers)
    await session.commit()
    due = [
        user_id
        for user_id, active, last_end, consent_at in await store.retention_candidates(session)
        if past_retention(
            active=active,
            last_end=_aware(last_end),
            consent_at=_aware(consent_at),
            cutoff=cutoffs.retention,
        )
    ]
    erased = await erase_many(session, due, key=key, forget_state=forget_state, now=now)
    return PurgeResult(first_contacts=len(strangers), erased=erased)
