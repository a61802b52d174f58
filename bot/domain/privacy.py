"""Privacy rules that need no database: pseudonyms, how long things are kept, guardian links.

A pseudonym is a keyed hash (HMAC-SHA256) of a Telegram id, mapped to a negative 63-bit
integer: Telegram user ids are positive, so a pseudonym can never be taken for a person.

The purge runs once a day (`PURGE_EVERY`), so "kept at most N days" holds only if a run
deletes what would pass N days before the next run: every cutoff below is moved forward by
one period.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

PRE_CONSENT_DAYS = 7  # a person who never agrees: their id and language, at most this long
GUARDIAN_LINK_DAYS = 7  # how long a guardian link can be opened
PURGE_EVERY = timedelta(days=1)
DEFAULT_RETENTION_DAYS = 365
GUARDIAN_PREFIX = "guardian-"
_TOKEN_BYTES = 16  # 22 URL-safe characters: a deep link payload holds at most 64


def pseudonym(user_id: int, key: bytes) -> int:
    """The negative 63-bit stand-in for `user_id` under `key` (same id and key, same value)."""
    digest = hmac.new(key, str(user_id).encode("ascii"), hashlib.sha256).digest()
    value = int.from_bytes(digest[:8], "big") & ((1 << 63) - 1)
    return -value - 1


def is_pseudonym(user_id: int) -> bool:
    return user_id < 0


def new_key() -> str:
    """A fresh random pseudonym key (hex), for a deployment that did not set one."""
    return secrets.token_hex(32)


def new_token() -> str:
    return secrets.token_urlsafe(_TOKEN_BYTES)


def guardian_payload(token: str) -> str:
    return f"{GUARDIAN_PREFIX}{token}"


def token_of(payload: str) -> str | None:
    """The token of a guardian deep link payload, or None when it is not one."""
    if not payload.startswith(GUARDIAN_PREFIX):
        return None
    token = payload.removeprefix(GUARDIAN_PREFIX)
    return token if 16 <= len(token) <= 43 else None


def guardian_link_expiry(now: datetime) -> datetime:
    return now + timedelta(days=GUARDIAN_LINK_DAYS)


def rekeyed(key: str, nonce: str, *, keep_unit: bool) -> str:
    """A replacement for a ledger or fire key that named a person who was erased.

    Ledger rows written together share their key up to the last ':' segment, the unit
    (`keep_unit`): that part is hashed with a one-off nonce, so rows of one write still group
    together, nothing in the key leads back to the person, and keys of two erasures never
    collide. Other keys are hashed whole.
    """
    base, colon, unit = key.rpartition(":") if keep_unit else ("", "", "")
    if not colon:
        base = key
    digest = hashlib.sha256(f"{nonce}|{base}".encode()).hexdigest()[:32]
    return f"~{digest}:{unit}" if colon else f"~{digest}"


@dataclass(frozen=True)
class PurgeCutoffs:
    """What a purge run at `now` removes: rows older than these instants."""

    pre_consent: datetime  # first contact without consent (and no guardian link pending)
    retention: datetime  # end of the last membership, or consent when there never was one

    @classmethod
    def at(cls, now: datetime, *, retention_days: int) -> PurgeCutoffs:
        return cls(
            pre_consent=now - timedelta(days=PRE_CONSENT_DAYS) + PURGE_EVERY,
            retention=now - timedelta(days=retention_days) + PURGE_EVERY,
        )


def past_retention(
    *, active: bool, last_end: datetime | None, consent_at: datetime | None, cutoff: datetime
) -> bool:
    """True when a person's data has been kept as long as allowed.

    Kept while any membership is active; then until `cutoff` passes the end of the last one,
    or, for someone who never joined a unit, their consent.
    """
    if active:
        return False
    since = last_end or consent_at
    return since is not None and since <= cutoff
