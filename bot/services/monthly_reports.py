"""Officers' automatic monthly report: on the first day of each month, last month's figures for
each of their top units, through the outbox (`source_kind` "report"). Off with
MONTHLY_REPORTS=false.

Each (unit, month) is claimed once with a `ReminderFire` (`report:<YYYY-MM>:<unit>`), so a
restart or a second process never sends it twice. What the report says is the seam
`ReportRenderer`: given the unit and the period it returns the message in one language.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable
from datetime import date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.delivery import outbox
from bot.delivery.outbox import Recipient
from bot.delivery.render import Payload
from bot.domain.periods import Period, this_month
from bot.services.access import access_of
from bot.services.grants import scope_roots
from bot.services.reminder_fires import claim
from bot.services.units import load_tree
from bot.services.users import CONSENT_VERSION
from bot.storage.models import Membership, Role, User
from bot.storage.models_delivery import SourceKind
from bot.storage.models_reminders import FireKind, ReminderFire

REPORT_CRON = "0 8 1 * *"  # 08:00 local on the first of each month


class ReportRenderer(Protocol):
    def __call__(
        self, session: AsyncSession, unit_id: int, period: Period, language: str
    ) -> Awaitable[Payload]: ...


def previous_month(day: date) -> Period:
    """The whole calendar month before the one `day` is in."""
    return this_month(day.replace(day=1) - timedelta(days=1))


def report_key(period: Period, unit_id: int) -> str:
    return f"report:{period.start:%Y-%m}:{unit_id}"


async def officers_by_unit(session: AsyncSession) -> dict[int, list[tuple[int, str]]]:
    """Each officer's top units (as officer), mapped to the officers and their language."""
    statement = (
        select(Membership.user_id, User.language)
        .join(User, col(User.id) == Membership.user_id)
        .where(
            col(Membership.role) == Role.OFFICER.value,
            col(Membership.until).is_(None),
            col(User.consent_version) == CONSENT_VERSION,
            col(User.erased_at).is_(None),
            col(User.unreachable_at).is_(None),
        )
    )
    officers = dict((await session.exec(statement)).all())
    tree = await load_tree(session)
    by_unit: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for user_id, language in sorted(officers.items()):
        access = await access_of(session, user_id, admin_ids=[])
        for unit_id in scope_roots(tree, access, Role.OFFICER):
            by_unit[unit_id].append((user_id, language))
    return dict(by_unit)


async def _done(session: AsyncSession, key: str) -> bool:
    found = await session.exec(select(ReminderFire.id).where(col(ReminderFire.key) == key))
    return found.first() is not None


async def send_monthly(
    session: AsyncSession,
    *,
    due: datetime,
    now: datetime,
    zone: ZoneInfo,
    render: ReportRenderer,
) -> int:
    """Queue last month's report to the officers of each unit not yet served; returns how
    many units were served now. Commits once per unit."""
    period = previous_month(due.astimezone(zone).date())
    served = 0
    for unit_id, officers in sorted((await officers_by_unit(session)).items()):
        key = report_key(period, unit_id)
        if await _done(session, key):
            continue
        # Figures first: computing them may commit (rollups), which must not commit a claim.
        payloads = {
            language: await render(session, unit_id, period, language)
            for language in sorted({language for _, language in officers})
        }
        fire_id = await claim(
            session, now=now, key=key, kind=FireKind.REPORT.value, unit_id=unit_id, fire_at=due
        )
        if fire_id is None:
            await session.commit()  # nothing written; a rollback would expire loaded rows
            continue
        contents = {
            language: await outbox.add_content(
                session,
                source_kind=SourceKind.REPORT.value,
                source_id=fire_id,
                payload=payload,
                language=language,
            )
            for language, payload in payloads.items()
        }
        await outbox.enqueue(
            session,
            source_kind=SourceKind.REPORT.value,
            source_id=fire_id,
            recipients=[
                Recipient(chat_id=user_id, user_id=user_id, language=language)
                for user_id, language in officers
            ],
            contents=contents,
        )
        await session.commit()
        served += 1
    return served
