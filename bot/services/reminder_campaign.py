"""The yearly 19/8 series (`bot.domain.campaigns`): offering it to trainers and enabling it.

Enabling creates one one-off reminder per step still ahead, for everyone in the unit's
subtree; enabling again adds nothing (`Reminder.campaign` is unique per unit). The yearly
offer is one message per trainer, through the outbox like every reminder.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol
from zoneinfo import ZoneInfo

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.delivery import outbox
from bot.delivery.outbox import Recipient
from bot.delivery.render import Payload
from bot.domain import campaigns
from bot.domain.schedules import Kind
from bot.services.access import Access, access_of
from bot.services.grants import require_scope, scope_roots
from bot.services.reminder_fires import FireOutcome, claim
from bot.services.reminders import Draft, ReminderError, build, with_default_quiet
from bot.services.units import UnitTree, load_tree
from bot.services.users import CONSENT_VERSION
from bot.storage.models import Membership, Role, Unit, User
from bot.storage.models_delivery import SourceKind
from bot.storage.models_reminders import FireKind, MessageKind, Reminder

OfferUnit = tuple[int, str]  # unit id, name


class OfferRenderer(Protocol):
    def __call__(self, year: int, units: list[OfferUnit], language: str) -> Payload: ...


async def enabled_units(session: AsyncSession, year: int) -> set[int]:
    prefix = f"{campaigns.SERIES}:{year}:"
    statement = select(Reminder.unit_id).where(
        col(Reminder.campaign).startswith(prefix), col(Reminder.deleted_at).is_(None)
    )
    return set((await session.exec(statement)).all())


async def offer_units(
    session: AsyncSession, access: Access, year: int, *, tree: UnitTree | None = None
) -> list[OfferUnit]:
    """The user's top units (as trainer) that do not have this year's series yet."""
    tree = tree or await load_tree(session)
    done = await enabled_units(session, year)
    found = []
    for unit_id in scope_roots(tree, access, Role.TRAINER):
        node = tree.get(unit_id)
        if node is not None and unit_id not in done:
            found.append((unit_id, node.name))
    return found


async def enable(
    session: AsyncSession,
    access: Access,
    unit_id: int,
    year: int,
    *,
    now: datetime,
    default_quiet: str,
) -> int:
    """Create the steps still ahead for the unit; returns how many were added. Commits."""
    await require_scope(session, access, unit_id, Role.TRAINER)
    unit = await session.get(Unit, unit_id)
    if unit is None:
        return 0
    existing = set(
        (
            await session.exec(
                select(Reminder.campaign).where(
                    col(Reminder.unit_id) == unit_id,
                    col(Reminder.campaign).startswith(f"{campaigns.SERIES}:{year}:"),
                )
            )
        ).all()
    )
    added = 0
    for step in campaigns.STEPS:
        key = campaigns.campaign_key(year, step)
        local = campaigns.fire_time(step, year)
        if key in existing:
            continue
        draft = Draft(
            unit_id=unit_id,
            text="",
            schedule_kind=Kind.ONCE,
            once_at=local.replace(tzinfo=ZoneInfo(unit.timezone)),
            message_kind=MessageKind(step.message_kind),
            link_ref=step.link_ref,
            campaign=key,
            # Each step is timed on purpose and sent once: holidays do not move it.
            skip_holidays=False,
        )
        reminder = _try_build(with_default_quiet(draft, default_quiet), unit, access, now)
        if reminder is not None:
            session.add(reminder)
            added += 1
    await session.commit()
    return added


def _try_build(draft: Draft, unit: Unit, access: Access, now: datetime) -> Reminder | None:
    try:
        return build(draft, unit, created_by=access.user_id or None, now=now)
    except ReminderError:
        return None  # a step already past


async def _trainers(session: AsyncSession) -> dict[int, str]:
    """Active trainers who can be written to, with their language."""
    statement = (
        select(Membership.user_id, User.language)
        .join(User, col(User.id) == Membership.user_id)
        .where(
            col(Membership.role) == Role.TRAINER.value,
            col(Membership.until).is_(None),
            col(User.consent_version) == CONSENT_VERSION,
            col(User.erased_at).is_(None),
            col(User.unreachable_at).is_(None),
        )
    )
    return dict((await session.exec(statement)).all())


async def send_offer(
    session: AsyncSession, *, year: int, due: datetime, now: datetime, render: OfferRenderer
) -> FireOutcome:
    """The yearly message offering the series to each trainer, once per year; commits."""
    fire_id = await claim(
        session,
        now=now,
        key=f"offer:{campaigns.SERIES}:{year}",
        kind=FireKind.OFFER.value,
        fire_at=due,
    )
    if fire_id is None:
        await session.commit()  # nothing written; a rollback would expire loaded rows
        return FireOutcome(None, due)
    tree = await load_tree(session)
    sent = 0
    for user_id, language in sorted((await _trainers(session)).items()):
        access = await access_of(session, user_id, admin_ids=[])
        units = await offer_units(session, access, year, tree=tree)
        if not units:
            continue
        content_id = await outbox.add_content(
            session,
            source_kind=SourceKind.REMINDER.value,
            source_id=fire_id,
            payload=render(year, units, language),
            language=language,
        )
        sent += await outbox.enqueue(
            session,
            source_kind=SourceKind.REMINDER.value,
            source_id=fire_id,
            recipients=[Recipient(chat_id=user_id, user_id=user_id, language=language)],
            contents={language: content_id},
        )
    await session.commit()
    return FireOutcome(fire_id, due, sent)
