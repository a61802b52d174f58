"""Broadcast use cases on both databases: scope, audience, the one-transaction outbox,
acknowledgments, cancelling, finishing once, scheduling; and `canhgiac broadcast send`
running beside a sender on the same database."""

from __future__ import annotations

import asyncio
import os
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.delivery.render import Payload
from bot.services import broadcasts
from bot.services.access import Access, Grant
from bot.services.broadcasts import AckStatus, ContentKind, Draft
from bot.services.grants import ScopeError
from bot.services.units import load_tree
from bot.services.users import CONSENT_VERSION
from bot.storage import ledger
from bot.storage.clock import utcnow
from bot.storage.models import Membership, Role, Unit, User
from bot.storage.models_delivery import Broadcast, Delivery, DeliveryContent

ROOT = Path(__file__).resolve().parents[2]
TRAINER = 900_100
LAN, MINH, KHANH, TUAN, HUONG, PHONG, VY = range(900_101, 900_108)


@dataclass
class Org:
    school: int
    klass: int
    other: int


def trainer_of(unit_id: int, code: str = "A") -> Access:
    return Access(TRAINER, grants=(Grant(unit_id, code, code, Role.TRAINER),))


def text_draft(*unit_ids: int, **kwargs: object) -> Draft:
    return Draft(unit_ids, ContentKind.TEXT, "<b>Họp</b> lúc 8 giờ", **kwargs)  # type: ignore[arg-type]


def plain(broadcast_id: int, language: str) -> Payload:
    return Payload(f"<b>Họp</b> #{broadcast_id} ({language})")


@pytest.fixture
async def org(sessionmaker: async_sessionmaker[AsyncSession]) -> Org:
    async with sessionmaker() as session:
        school = Unit(code="TRUONG-A", name="Trường A", kind="school")
        other = Unit(code="CTY-B", name="Công ty B", kind="enterprise")
        session.add_all([school, other])
        await session.flush()
        klass = Unit(code="LOP-10A1", name="Lớp 10A1", kind="class", parent_id=school.id)
        session.add(klass)
        await session.flush()
        assert school.id and other.id and klass.id
        now = utcnow()

        def person(user_id: int, **fields: object) -> User:
            values: dict[str, object] = {
                "consent_at": now,
                "consent_version": CONSENT_VERSION,
                **fields,
            }
            return User(id=user_id, first_name=f"U{user_id}", **values)  # type: ignore[arg-type]

        session.add_all(
            [
                person(TRAINER),
                person(LAN),
                person(MINH, language="en"),
                User(id=KHANH),  # never agreed
                person(TUAN, unreachable_at=now),
                person(HUONG),
                person(PHONG),
                person(VY, erased_at=now),
            ]
        )
        memberships = [
            (TRAINER, school.id, Role.TRAINER),
            (LAN, school.id, Role.LEARNER),
            (MINH, klass.id, Role.LEARNER),
            (MINH, school.id, Role.LEARNER),
            (KHANH, school.id, Role.LEARNER),
            (TUAN, klass.id, Role.LEARNER),
            (HUONG, school.id, Role.LEARNER),
            (PHONG, other.id, Role.LEARNER),
            (VY, school.id, Role.LEARNER),
        ]
        for user_id, unit_id, role in memberships:
            ended = now if user_id == HUONG else None
            session.add(Membership(user_id=user_id, unit_id=unit_id, role=role.value, until=ended))
        await session.commit()
        return Org(school.id, klass.id, other.id)


async def test_audience_is_the_consenting_reachable_members_of_the_subtrees(
    session: AsyncSession, org: Org
) -> None:
    tree = await load_tree(session)
    found = await broadcasts.audience(session, tree, [org.school, org.klass], sender=TRAINER)
    assert {(r.chat_id, r.language, r.unit_ids) for r in found} == {
        (LAN, "vi", (org.school,)),
        (MINH, "en", tuple(sorted((org.school, org.klass)))),
    }


async def test_trainers_broadcast_only_inside_their_subtree(
    session: AsyncSession, org: Org
) -> None:
    tree = await load_tree(session)
    of_school = trainer_of(org.school)
    assert [u.code for u in broadcasts.selectable_units(tree, of_school)] == [
        "TRUONG-A",
        "LOP-10A1",
    ]
    of_class = trainer_of(org.klass, "LOP-10A1")
    assert [u.code for u in broadcasts.selectable_units(tree, of_class)] == ["LOP-10A1"]
    with pytest.raises(ScopeError):
        await broadcasts.create(session, of_class, text_draft(org.school), render=plain)
    with pytest.raises(ScopeError):
        await broadcasts.create(session, of_school, text_draft(org.other), render=plain)
    admin = Access(1, is_admin=True)
    assert {u.code for u in broadcasts.selectable_units(tree, admin)} == {
        "TRUONG-A",
        "LOP-10A1",
        "CTY-B",
    }


async def test_the_outbox_is_written_in_one_transaction(
    sessionmaker: async_sessionmaker[AsyncSession], org: Org
) -> None:
    def broken(broadcast_id: int, language: str) -> Payload:
        if language == "vi":
            raise RuntimeError("rendering failed half-way")
        return plain(broadcast_id, language)

    async with sessionmaker() as session:
        with pytest.raises(RuntimeError):
            await broadcasts.create(
                session, trainer_of(org.school), text_draft(org.school), render=broken
            )
    async with sessionmaker() as session:
        for table in (Broadcast, DeliveryContent, Delivery):
            count = (await session.exec(select(func.count()).select_from(table))).one()
            assert count == 0, table.__name__
        broadcast = await broadcasts.create(
            session, trainer_of(org.school), text_draft(org.school), render=plain
        )
    assert broadcast.id is not None and broadcast.recipients == 2
    async with sessionmaker() as session:
        rows = (await session.exec(select(Delivery))).all()
        contents = {c.id: c for c in (await session.exec(select(DeliveryContent))).all()}
    assert sorted(r.chat_id for r in rows) == [LAN, MINH]
    languages = {r.chat_id: contents[r.content_id].language for r in rows}
    assert languages == {LAN: "vi", MINH: "en"}
    assert {c.ledger_kind for c in contents.values()} == {"broadcast_delivered"}


async def test_acknowledgments_count_once_per_unit(session: AsyncSession, org: Org) -> None:
    broadcast = await broadcasts.create(
        session, trainer_of(org.school), text_draft(org.school, ask_ack=True), render=plain
    )
    assert broadcast.id is not None
    assert await broadcasts.acknowledge(session, PHONG, broadcast.id) is AckStatus.NOT_RECIPIENT
    assert await broadcasts.acknowledge(session, MINH, broadcast.id) is AckStatus.LOGGED
    assert await broadcasts.acknowledge(session, MINH, broadcast.id) is AckStatus.ALREADY
    acks = await ledger.count(session, kind="broadcast_ack", ref=str(broadcast.id))
    assert acks == 2  # Minh belongs to the school and to 10A1


async def test_cancel_and_finish_once(session: AsyncSession, org: Org) -> None:
    broadcast = await broadcasts.create(
        session, trainer_of(org.school), text_draft(org.school), render=plain
    )
    assert broadcast.id is not None
    assert not await broadcasts.finish_if_done(session, broadcast.id)  # still pending
    stranger = Access(PHONG)
    assert await broadcasts.cancel(session, stranger, broadcast.id) is None
    assert await broadcasts.cancel(session, trainer_of(org.school), broadcast.id) == 2
    assert broadcast.id in await broadcasts.open_ids(session)
    assert await broadcasts.finish_if_done(session, broadcast.id)
    assert not await broadcasts.finish_if_done(session, broadcast.id)
    found = await broadcasts.progress(session, broadcast.id)
    assert found is not None and found.broadcast.status == "cancelled"
    assert found.count(broadcasts.DeliveryStatus.CANCELLED) == 2
    assert broadcast.id not in await broadcasts.open_ids(session)


async def test_a_scheduled_broadcast_waits_in_the_outbox(session: AsyncSession, org: Org) -> None:
    later = utcnow() + timedelta(hours=3)
    broadcast = await broadcasts.create(
        session,
        trainer_of(org.school),
        text_draft(org.school, scheduled_at=later),
        render=plain,
    )
    rows = (await session.exec(select(Delivery))).all()
    assert broadcast.scheduled_at is not None
    assert {abs((r.next_attempt_at - later).total_seconds()) < 1 for r in rows} == {True}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("18:30", datetime(2026, 3, 2, 11, 30, tzinfo=UTC)),
        ("07h05", datetime(2026, 3, 3, 0, 5, tzinfo=UTC)),  # passed today: tomorrow
        ("25/12 08:00", datetime(2026, 12, 25, 1, 0, tzinfo=UTC)),
        ("1/1/2027 00:00", datetime(2026, 12, 31, 17, 0, tzinfo=UTC)),
        ("01/03 08:00", None),  # earlier this year
        ("31/02 08:00", None),
        ("sáng mai", None),
    ],
)
def test_parse_when(text: str, expected: datetime | None) -> None:
    now = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)  # 10:00 in Hà Nội
    zone = ZoneInfo("Asia/Ho_Chi_Minh")
    assert broadcasts.parse_when(text, now=now, zone=zone) == expected


@pytest.mark.slow
async def test_the_cli_and_a_running_sender_never_send_a_row_twice(
    database_url: str, sessionmaker: async_sessionmaker[AsyncSession], org: Org
) -> None:
    from pydantic import SecretStr

    from bot.delivery.sender import Sender
    from bot.emulator import Emulator
    from bot.settings import Settings
    from bot.telegram.dispatcher import create_bot

    token = "100000003:broadcast-cli-token-000000000000000"
    extra = list(range(900_200, 900_260))
    async with sessionmaker() as session:
        session.add_all(
            User(id=u, consent_at=utcnow(), consent_version=CONSENT_VERSION) for u in extra
        )
        session.add_all(Membership(user_id=u, unit_id=org.klass) for u in extra)
        await session.commit()
    async with Emulator(bot_username="canhgiac_cli_bot", check_results=True) as emulator:
        for user_id in (LAN, MINH, *extra):
            emulator.add_user(user_id)
        settings = Settings(  # type: ignore[call-arg]
            _env_file=None, bot_token=SecretStr(token), telegram_api_base=emulator.base_url
        )
        bot = create_bot(settings)
        running = Sender.from_settings(bot, sessionmaker, settings, poll_interval=0.05)
        running.start()
        env = {
            **os.environ,
            "BOT_TOKEN": token,
            "TELEGRAM_API_BASE": emulator.base_url,
            "DATABASE_URL": database_url,
            "BROADCAST_RATE": "30",
        }
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "broadcast",
            "send",
            "--unit",
            "TRUONG-A",
            "--text",
            "Diễn tập <b>PCCC</b> sáng thứ Hai",
            "--ack",
            cwd=ROOT,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(process.communicate(), 120)
        await running.stop()
        await bot.session.close()
        assert process.returncode == 0, err.decode()
        # The trainer is a member too, but never opened a chat with this bot.
        assert "Broadcast #1: 63 recipient(s)." in out.decode()
        assert "blocked: chat not found" in out.decode()
        counts = {u: len(emulator.messages(u)) for u in (LAN, MINH, *extra)}
        assert set(counts.values()) == {1}
        assert emulator.violations == []
    async with sessionmaker() as session:
        found = await broadcasts.progress(session, 1)
        trainer = await session.get(User, TRAINER)
    assert found is not None and found.count(broadcasts.DeliveryStatus.SENT) == 62
    assert found.count(broadcasts.DeliveryStatus.BLOCKED) == 1
    assert found.broadcast.status == "finished"
    assert trainer is not None and trainer.unreachable_at is not None


async def test_a_sender_who_lost_the_scope_can_no_longer_cancel(
    session: AsyncSession, org: Org
) -> None:
    broadcast = await broadcasts.create(
        session,
        trainer_of(org.school),
        text_draft(org.school, scheduled_at=utcnow() + timedelta(hours=3)),
        render=plain,
    )
    assert broadcast.id is not None
    revoked = Access(TRAINER)  # the same person, the trainer role taken away
    narrower = trainer_of(org.klass, "LOP-10A1")  # now trainer of the class only
    learner = Access(TRAINER, grants=(Grant(org.school, "A", "A", Role.LEARNER),))
    elsewhere = trainer_of(org.other, "CTY-B")
    for access in (revoked, narrower, learner, elsewhere):
        assert await broadcasts.cancel(session, access, broadcast.id) is None
    found = await broadcasts.progress(session, broadcast.id)
    assert found is not None and found.broadcast.status == "active"
    assert found.count(broadcasts.DeliveryStatus.PENDING) == 2
    assert await broadcasts.cancel(session, Access(PHONG, is_admin=True), broadcast.id) == 2
