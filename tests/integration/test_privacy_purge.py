"""Erasure and the daily purge against real databases (SQLite and PostgreSQL), on a fixed clock."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import BigInteger
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from typer.testing import CliRunner

from bot.domain.periods import this_month
from bot.domain.privacy import pseudonym
from bot.reports.model import Figures
from bot.services import privacy, users
from bot.services.access import Access
from bot.services.enrollment import redeem_invite
from bot.services.stats import StatsConfig, unit_report
from bot.services.users import Profile
from bot.settings import Settings
from bot.storage import ledger, load_all_models
from bot.storage import privacy as store
from bot.storage.clock import utcnow
from bot.storage.database import create_engine, create_sessionmaker
from bot.storage.models import InviteCode, Membership, Unit, User
from bot.storage.models_delivery import Delivery, DeliveryContent
from bot.storage.models_privacy import GuardianConsent
from bot.storage.models_stats import StatsUserActivity, StatsUserDay
from tests.e2e.scan import holders

load_all_models()

KEY = b"test-pseudonym-key"
NOW = utcnow()
SETTINGS = Settings(_env_file=None)  # type: ignore[call-arg]
CONFIG = StatsConfig.from_settings(SETTINGS)
ADMIN = Access(user_id=1, is_admin=True)
BASE = 9_100_000_000  # people's ids: long enough that no other value contains them
P11, P12, P13, P14, P15 = (BASE + n for n in (11, 12, 13, 14, 15))
P21, P22, P23, P24, P25, P26, P27 = (BASE + n for n in range(21, 28))


async def _unit(session: AsyncSession) -> Unit:
    unit = Unit(code="CTY-A", name="Công ty A", kind="enterprise")
    session.add(unit)
    await session.flush()
    assert unit.id is not None
    session.add(InviteCode(code="VAO", unit_id=unit.id))
    await session.commit()
    return unit


async def _person(
    session: AsyncSession, user_id: int, *, created: datetime, consent: datetime | None
) -> User:
    user = User(id=user_id, language="vi", created_at=created, consent_at=consent)
    if consent is not None:
        user.consent_version = users.CONSENT_VERSION
        user.first_name = f"Người {user_id}"
    session.add(user)
    await session.commit()
    return user


def test_every_big_integer_column_is_classified() -> None:
    """A new table with a person's id must say what erasure does with it."""
    known = {*store.PERSON_COLUMNS, *store.PERSONAL_TABLES, *store.NOT_PERSON_COLUMNS}
    big = {
        (table.name, column.name)
        for table in SQLModel.metadata.sorted_tables
        for column in table.columns
        if isinstance(column.type, BigInteger)
    }
    assert big - known == set()


async def test_first_contacts_without_consent_go_within_seven_days(session: AsyncSession) -> None:
    await _person(session, P11, created=NOW - timedelta(days=6, hours=1), consent=None)
    await _person(session, P12, created=NOW - timedelta(days=5), consent=None)
    await _person(session, P13, created=NOW - timedelta(days=30), consent=NOW - timedelta(days=30))
    await _person(session, P14, created=NOW - timedelta(days=10), consent=None)  # waiting
    await _person(session, P15, created=NOW - timedelta(days=10), consent=None)  # link expired
    for minor, expires in ((P14, NOW + timedelta(days=1)), (P15, NOW - timedelta(hours=1))):
        session.add(
            GuardianConsent(minor_id=minor, token=f"token-of-minor-{minor}-xx", expires_at=expires)
        )
    await session.commit()

    result = await privacy.purge(session, now=NOW, retention_days=365, key=KEY)
    assert result == privacy.PurgeResult(first_contacts=2, erased=0)
    left = set((await session.exec(select(User.id))).all())
    assert left == {P12, P13, P14}
    minors = set((await session.exec(select(GuardianConsent.minor_id))).all())
    assert minors == {P14}
    later = await privacy.purge(session, now=NOW + timedelta(days=2), retention_days=365, key=KEY)
    assert later.first_contacts == 2  # P12 is now old enough; the link of P14 has expired
    assert set((await session.exec(select(User.id))).all()) == {P13}


async def test_people_past_retention_are_erased(session: AsyncSession) -> None:
    unit = await _unit(session)
    assert unit.id is not None
    old, recent = NOW - timedelta(days=400), NOW - timedelta(days=100)
    spans = {
        P21: [(NOW - timedelta(days=800), old)],  # left long ago: erased
        P22: [(NOW - timedelta(days=800), recent)],  # left recently: kept
        P23: [(NOW - timedelta(days=1000), None)],  # still a member: kept
        P25: [(NOW - timedelta(days=800), old), (NOW - timedelta(days=10), None)],  # back: kept
        P26: [(NOW - timedelta(days=800), old)],  # granted, never wrote to the bot: erased
    }
    for user_id in (P21, P22, P23, P25):
        await _person(session, user_id, created=NOW - timedelta(days=900), consent=old)
    await _person(session, P24, created=old, consent=old)  # agreed, never joined: erased
    await _person(session, P27, created=recent, consent=recent)  # agreed lately: kept
    for user_id, memberships in spans.items():
        for since, until in memberships:
            session.add(Membership(user_id=user_id, unit_id=unit.id, since=since, until=until))
        await ledger.record(
            session, user_id=user_id, unit_ids=[unit.id], kind="lesson_read", key=f"r:{user_id}"
        )
    await session.commit()

    result = await privacy.purge(session, now=NOW, retention_days=365, key=KEY)
    assert result == privacy.PurgeResult(first_contacts=0, erased=3)
    for gone in (P21, P24, P26):
        assert await holders(session, gone) == [], gone
    for kept in (P22, P23, P25, P27):
        assert "users.id" in await holders(session, kept), kept
    assert await ledger.count(session, kind="lesson_read", unit_id=unit.id) == 5  # all rows stay
    erased = await session.get(User, pseudonym(P21, KEY))
    assert erased is not None and erased.first_name is None and erased.consent_at is not None
    again = await privacy.purge(session, now=NOW, retention_days=365, key=KEY)
    assert again.erased == 0  # pseudonyms are never erased again


async def _figures(session: AsyncSession, unit_id: int) -> Figures:
    report = await unit_report(
        session, access=ADMIN, unit_id=unit_id, period=this_month(CONFIG.today()), config=CONFIG
    )
    return report.total.figures


async def _join_and_act(session: AsyncSession, user_id: int, unit: Unit, round_: int) -> User:
    profile = Profile(user_id, "Lan", None, "lan", "vi")
    user = await users.touch_user(session, profile, default_language="vi")
    await users.give_consent(session, user, profile)
    await redeem_invite(session, user, "VAO")
    assert unit.id is not None
    await ledger.record(
        session,
        user_id=user_id,
        unit_ids=[unit.id],
        kind="lesson_read",
        ref="chi-thi-07",
        key=f"lesson_read:{user_id}:chi-thi-07",
    )
    content = DeliveryContent(source_kind="broadcast", source_id=99, payload={})
    session.add(content)
    await session.flush()
    assert content.id is not None
    session.add(
        Delivery(
            source_kind="broadcast",
            source_id=99,
            chat_id=user_id,
            user_id=user_id,
            content_id=content.id,
            status="sent" if round_ == 1 else "pending",
        )
    )
    await session.commit()
    return user


async def test_erased_coming_back_and_erased_again(session: AsyncSession) -> None:
    """The same person erased twice gets the same pseudonym: their rows merge and no key
    collides; the figures stay, except that the person is counted once again."""
    unit = await _unit(session)
    assert unit.id is not None
    person = 7_316_492_085
    await _join_and_act(session, person, unit, 1)
    before = await _figures(session, unit.id)
    await privacy.erase(session, person, key=KEY)
    assert await _figures(session, unit.id) == before
    assert await holders(session, person) == []

    await _join_and_act(session, person, unit, 2)  # back, same day, same unit, same lesson
    back = await _figures(session, unit.id)
    assert (back.members, back.lesson_reads) == (2, 2)  # the pseudonym and the person
    await privacy.erase(session, person, key=KEY)
    after = await _figures(session, unit.id)
    # One person again: counted once, every event still counted.
    assert (after.members, after.active, after.lesson_reads) == (1, 1, 2)
    assert await holders(session, person) == []

    alias = pseudonym(person, KEY)
    days = (await session.exec(select(StatsUserDay).where(StatsUserDay.user_id == alias))).all()
    assert sum(d.lesson_reads for d in days) == 2 and len(days) == 1  # merged
    activity = (
        await session.exec(select(StatsUserActivity).where(StatsUserActivity.user_id == alias))
    ).all()
    assert len(activity) == 1
    deliveries = (await session.exec(select(Delivery))).all()
    assert [(d.chat_id, d.status) for d in deliveries] == [(alias, "sent")]  # one per source
    assert len((await session.exec(select(Membership))).all()) == 2


async def test_two_erasures_at_once(sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    """ "Delete" pressed twice at the same moment: one erases, the other finds nothing."""
    async with sessionmaker() as session:
        unit = await _unit(session)
        await _join_and_act(session, 501, unit, 1)

    async def erase() -> None:
        async with sessionmaker() as session:
            await privacy.erase(session, 501, key=KEY)

    await asyncio.gather(erase(), erase())
    async with sessionmaker() as session:
        assert await holders(session, 501) == []
        alias = pseudonym(501, KEY)
        rows = (
            await session.exec(select(Membership).where(col(Membership.user_id) == alias))
        ).all()
        assert len(rows) == 1 and rows[0].until is not None
        assert await ledger.count(session, user_id=alias) == 2  # joined, read


async def test_the_pseudonym_key_is_made_once(session: AsyncSession) -> None:
    first = await privacy.pseudonym_key(session, SETTINGS)
    second = await privacy.pseudonym_key(session, SETTINGS)
    assert first == second and len(first) == 64
    configured = Settings(pseudonym_key="from-the-environment", _env_file=None)  # type: ignore[call-arg]
    assert await privacy.pseudonym_key(session, configured) == b"from-the-environment"


def test_the_command_line_exports_erases_and_purges(
    database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """An administrator answers a request made to them, outside the bot."""
    from bot.cli.app import app

    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("PSEUDONYM_KEY", KEY.decode())
    monkeypatch.delenv("BOT_TOKEN", raising=False)
    monkeypatch.chdir(tmp_path)
    person = 7_316_492_085

    async def prepare() -> None:
        engine = create_engine(database_url)
        async with create_sessionmaker(engine)() as session:
            unit = await _unit(session)
            await _join_and_act(session, person, unit, 1)
        await engine.dispose()

    asyncio.run(prepare())
    cli = CliRunner()
    exported = cli.invoke(app, ["privacy", "export", str(person), "-o", "lan.json"])
    assert exported.exit_code == 0, exported.output
    assert json.loads((tmp_path / "lan.json").read_text())["user"]["first_name"] == "Lan"
    refused = cli.invoke(app, ["privacy", "erase", str(person)])
    assert refused.exit_code == 2 and "--yes" in refused.stderr
    erased = cli.invoke(app, ["privacy", "erase", str(person), "--yes"])
    assert erased.exit_code == 0, erased.output
    purged = cli.invoke(app, ["privacy", "purge"])
    assert purged.exit_code == 0 and "erased 0 person(s)" in purged.stdout

    async def check() -> list[str]:
        engine = create_engine(database_url)
        async with create_sessionmaker(engine)() as session:
            found = await holders(session, person)
            alias = await session.get(User, pseudonym(person, KEY))  # PSEUDONYM_KEY was used
            assert alias is not None
        await engine.dispose()
        return found

    assert asyncio.run(check()) == []
