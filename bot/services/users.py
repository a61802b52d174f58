"""Use cases about the person behind a chat: first contact, consent, language."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.settings import SUPPORTED_LANGUAGES
from bot.storage import ledger
from bot.storage.clock import utcnow
from bot.storage.database import dialect_of, insert_for
from bot.storage.models import User
from bot.storage.units import active_memberships

# Bumped when the notice changes what is collected or why: older consents are asked again.
# 2: the notice says what is kept before consent, who sees what, how long, and every right.
CONSENT_VERSION = 2


@dataclass(frozen=True)
class Profile:
    """What Telegram tells us about a user on each update."""

    user_id: int
    first_name: str | None
    last_name: str | None
    username: str | None
    language_code: str | None


def pick_language(language_code: str | None, default: str) -> str:
    code = (language_code or "").split("-")[0].lower()
    return code if code in SUPPORTED_LANGUAGES else default


async def touch_user(session: AsyncSession, profile: Profile, *, default_language: str) -> User:
    """Find or create the user. Before consent only the id and language are kept.

    Two first updates of a new person can arrive at once (a message in a group and one in
    private): the row is created with an upsert, so the second finds it instead of failing.
    """
    user = await session.get(User, profile.user_id)
    if user is None:
        fresh = User(
            id=profile.user_id, language=pick_language(profile.language_code, default_language)
        )
        insert = insert_for(dialect_of(session))(User)
        await session.exec(insert.values(fresh.model_dump()).on_conflict_do_nothing())
        await session.commit()
        user = await session.get(User, profile.user_id)
        assert user is not None
        return user
    if user.has_consented and user.consent_version == CONSENT_VERSION:
        changed = _refresh_names(user, profile)
        if user.unreachable_at is not None:
            user.unreachable_at = None
            changed = True
        if changed:
            await session.commit()
    return user


def _refresh_names(user: User, profile: Profile) -> bool:
    names = (profile.first_name, profile.last_name, profile.username)
    if (user.first_name, user.last_name, user.username) == names:
        return False
    user.first_name, user.last_name, user.username = names
    return True


def needs_consent(user: User) -> bool:
    return not user.has_consented or user.consent_version != CONSENT_VERSION


async def give_consent(
    session: AsyncSession, user: User, profile: Profile | None, *, public_name: bool = False
) -> None:
    """Record consent (a minor's once their guardian agreed; then `profile` is None and the
    names are filled on the minor's next message)."""
    user.consent_at = utcnow()
    user.consent_version = CONSENT_VERSION
    user.erased_at = None
    user.public_name = public_name
    if profile is not None:
        _refresh_names(user, profile)
    units = [unit.id for _, unit in await active_memberships(session, user.id) if unit.id]
    await ledger.record(
        session,
        user_id=user.id,
        unit_ids=units,
        kind=ledger.EventKind.CONSENT_GIVEN,
        key=f"consent:{user.id}:{CONSENT_VERSION}",
    )
    await session.commit()


async def remember_start_payload(session: AsyncSession, user: User, payload: str | None) -> None:
    """Keep a `/start` payload until consent is given, so the invite is not lost."""
    user.pending_start = payload[:64] if payload else None
    await session.commit()


async def pop_start_payload(session: AsyncSession, user: User) -> str | None:
    payload, user.pending_start = user.pending_start, None
    await session.commit()
    return payload


async def set_language(session: AsyncSession, user: User, language: str) -> bool:
    if language not in SUPPORTED_LANGUAGES:
        return False
    user.language = language
    await session.commit()
    return True


async def set_public_name(session: AsyncSession, user: User, public: bool) -> None:
    user.public_name = public
    await session.commit()
