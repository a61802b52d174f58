"""Rights that work, through the emulator: erase leaves the Telegram id nowhere while the unit's
figures stay; the export holds every kind of row; a minor waits for a guardian; declining
keeps only what the message says, for as long as it says."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import pytest
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.chat_driver import ChatDriver, plain_text
from bot.emulator import Emulator
from bot.offline import OfflineBot
from bot.scheduler import ReminderScheduler
from bot.services.users import CONSENT_VERSION
from bot.settings import Settings
from bot.storage import ledger, load_all_models
from bot.storage.clock import utcnow
from bot.storage.models import (
    InviteCode,
    LessonView,
    Membership,
    ParticipationEvent,
    QuizAttempt,
    QuizReview,
    Role,
    User,
)
from bot.storage.models_delivery import Broadcast, Delivery, DeliveryContent
from bot.storage.models_privacy import GuardianConsent
from bot.storage.models_reminders import Reminder, ReminderFire
from tests.e2e.helpers import World, add_invite, answer_age, join
from tests.e2e.scan import holders

load_all_models()

LAN = 7_316_492_085  # a Telegram id no other value in the database can look like
OFFICER = 6_210_000_001
MINOR, GUARDIAN = 6_300_000_001, 6_300_000_002


class Clock:
    """The scheduler's clock, moved by the test."""

    def __init__(self) -> None:
        self.shift = timedelta()

    def __call__(self) -> datetime:
        return utcnow() + self.shift


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def offline(
    settings: Settings, emulator: Emulator, clock: Clock
) -> AsyncIterator[OfflineBot]:
    bot = await OfflineBot.start(settings, emulator=emulator, reminder_clock=clock)
    yield bot
    await bot.stop()


async def populate(session: AsyncSession, world: World, user_id: int) -> None:
    """A row of every kind that names the person (beyond what the chat itself made)."""
    unit, child, other = world.unit.id, world.child.id, world.other.id
    assert unit is not None and child is not None and other is not None
    now = utcnow()
    session.add(
        Membership(
            user_id=user_id,
            unit_id=other,
            role=Role.LEARNER.value,
            since=now - timedelta(days=90),
            until=now - timedelta(days=30),
        )
    )
    session.add(
        QuizAttempt(
            user_id=user_id,
            chat_id=user_id,
            bank_id="chi-thi-07",
            status="finished",
            plan=[["q1", [0, 1, 2]]],
            answers=[{"q": "q1", "chosen": [1], "right": True}],
            position=1,
            correct=1,
            total=1,
            percent=100.0,
            passed=True,
            finished_at=now,
        )
    )
    session.add(QuizReview(user_id=user_id, question_id="q9", bank_id="chi-thi-07", misses=1))
    broadcast = Broadcast(
        created_by=user_id,
        status_chat_id=user_id,
        unit_ids=[unit],
        body="Họp lớp",
        status="finished",
    )
    session.add(broadcast)
    await session.flush()
    assert broadcast.id is not None
    content = DeliveryContent(source_kind="broadcast", source_id=broadcast.id, payload={})
    session.add(content)
    await session.flush()
    assert content.id is not None
    session.add(
        Delivery(
            source_kind="broadcast",
            source_id=broadcast.id,
            chat_id=user_id,
            user_id=user_id,
            content_id=content.id,
            unit_ids=[child],
            status="sent",
            sent_at=now,
        )
    )
    session.add(
        Reminder(
            unit_id=unit,
            text="Đọc Chỉ thị 07",
            schedule_kind="daily",
            at_time="08:00",
            paused=True,
            created_by=user_id,
        )
    )
    session.add(
        ReminderFire(key=f"snooze:1:{user_id}", kind="snooze", fire_at=now, user_id=user_id)
    )
    session.add(InviteCode(code="LAN-MOI", unit_id=child, created_by=user_id))
    session.add(
        GuardianConsent(
            minor_id=424_242,
            token="t" * 22,
            expires_at=now + timedelta(days=7),
            guardian_id=user_id,
            agreed_at=now,
        )
    )
    for kind, ref, value, key in (
        ("lesson_read", "chi-thi-07", None, f"lesson_read:{user_id}:chi-thi-07"),
        ("quiz_finished", "chi-thi-07:passed", 100.0, f"quiz_finished:{user_id}"),
        ("reminder_ack", None, None, f"reminder_ack:1:{user_id}"),
        ("broadcast_ack", str(broadcast.id), None, f"broadcast_ack:{broadcast.id}:{user_id}"),
    ):
        await ledger.record(
            session, user_id=user_id, unit_ids=[child], kind=kind, ref=ref, value=value, key=key
        )
    await session.commit()


async def _learner_and_officer(offline: OfflineBot, world: World) -> tuple[ChatDriver, ChatDriver]:
    async with offline.storage.sessionmaker() as session:
        await add_invite(session, "CB-A", world.unit, Role.OFFICER)
    lan = offline.chat(LAN, first_name="Lan")
    officer = offline.chat(OFFICER, first_name="Hoa")
    await join(lan, "HS-10A1")
    await join(officer, "CB-A")
    await lan.send("/start doc-chi-thi-07")  # a lesson view
    async with offline.storage.sessionmaker() as session:
        await populate(session, world, LAN)
    return lan, officer


async def test_erase_leaves_the_id_nowhere_and_the_figures_unchanged(
    offline: OfflineBot, world: World
) -> None:
    lan, officer = await _learner_and_officer(offline, world)
    async with offline.storage.sessionmaker() as session:
        before_holders = await holders(session, LAN)
    assert {"users.id", "participation_events.user_id", "lesson_views.user_id"} <= set(
        before_holders
    )
    before = plain_text((await officer.send("/thongke"))[-1])
    assert "TRUONG-A-10A1" in before

    panel = (await lan.send("/riengtu"))[-1]
    confirm = (await lan.press("🗑", panel))[-1]
    done = (await lan.press("Có, xoá", confirm))[-1]
    assert "đã được xóa" in plain_text(done)

    async with offline.storage.sessionmaker() as session:
        assert await holders(session, LAN) == []
        left = (await session.exec(select(ParticipationEvent))).all()
        assert len([e for e in left if e.user_id < 0]) >= 5  # kept, under the pseudonym
        for model in (QuizAttempt, QuizReview, LessonView):
            assert (await session.exec(select(model))).all() == []  # only the person used them
    after = plain_text((await officer.send("/thongke"))[-1])
    assert after == before  # the unit's figures are those of before the erasure

    # The old panel pressed again (erase twice, export after erasing): a stranger now.
    for label in ("🗑", "📄"):
        await lan.press(label, panel)
        answer = list(offline.emulator.callback_answers.values())[-1]
        assert answer.get("show_alert") and "Tôi đồng ý" in str(answer.get("text"))
    assert not [m for m in offline.emulator.messages(LAN) if m.document is not None]
    again = (await lan.send("/riengtu"))[-1]
    assert "Tôi đồng ý" in str(again.buttons())  # the notice: nothing but the id is held
    async with offline.storage.sessionmaker() as session:
        assert await holders(session, LAN) == ["users.id"]  # the new first contact only
        user = await session.get(User, LAN)
        assert user is not None and user.consent_at is None and user.first_name is None
    assert offline.emulator.violations == []


async def test_export_holds_every_kind_of_row(offline: OfflineBot, world: World) -> None:
    lan, _ = await _learner_and_officer(offline, world)
    await lan.send("/riengtu")
    sent = (await lan.press("📄"))[-1]
    assert sent.document is not None
    data = json.loads(sent.document)
    assert data["telegram_id"] == LAN and data["user"]["first_name"] == "Lan"
    assert data["user"]["consent_version"] == CONSENT_VERSION
    memberships = {(m["unit"], m["until"] is None) for m in data["memberships"]}
    assert memberships == {("TRUONG-A-10A1", True), ("CTY-B", False)}  # present and past
    kinds = {e["kind"] for e in data["participation"]}
    assert {"enrolled", "lesson_read", "quiz_finished", "reminder_ack", "broadcast_ack"} <= kinds
    assert data["quiz_attempts"][0]["answers"] == [{"q": "q1", "chosen": [1], "right": True}]
    assert data["quiz_reviews"][0]["question_id"] == "q9"
    assert data["lesson_views"][0]["explainer_id"] == "chi-thi-07"
    assert data["deliveries"][0]["status"] == "sent"
    assert data["reminder_fires"][0]["kind"] == "snooze"
    assert data["guardian_consents"] == [
        {
            "role": "guardian",
            "created_at": data["guardian_consents"][0]["created_at"],
            "expires_at": data["guardian_consents"][0]["expires_at"],
            "agreed_at": data["guardian_consents"][0]["agreed_at"],
        }
    ]
    assert data["broadcasts_created"][0]["body"] == "Họp lớp"
    assert data["reminders_created"][0]["text"] == "Đọc Chỉ thị 07"
    assert data["invites_created"][0]["code"] == "LAN-MOI"
    assert data["open_dialogue"] == {}
    assert offline.emulator.violations == []


async def _counts(session: AsyncSession, user_id: int) -> tuple[int, int]:
    memberships = (
        await session.exec(select(Membership).where(Membership.user_id == user_id))
    ).all()
    events = await ledger.count(session, user_id=user_id)
    return len(memberships), events


async def test_a_minor_waits_for_a_guardian_before_anything_is_logged(
    offline: OfflineBot, world: World
) -> None:
    minor = offline.chat(MINOR, first_name="Bông")
    await minor.send("/start HS-A")
    await minor.press("✅")
    question = minor.last_text()
    assert "Bạn dưới 18 tuổi?" in question
    asked = (await answer_age(minor, minor=True))[-1]
    found = re.search(
        r"https://t\.me/canhgiac_test_bot\?start=(guardian-[\w-]+)", plain_text(asked)
    )
    assert found is not None
    payload = found[1]

    gate = (await minor.send("chỉ thị 07"))[-1]  # anything: the gate says where it stands
    assert payload in plain_text(gate) and "chưa đồng ý" in plain_text(gate)
    until = re.compile(r"\d\d:\d\d \d\d/\d\d/\d{4}")
    shown = until.search(plain_text(asked))
    assert shown is not None and shown[0] in plain_text(gate)  # the same local time, read back
    own = (await minor.send(f"/start {payload}"))[-1]
    assert "không phải cho bạn" in plain_text(own)
    async with offline.storage.sessionmaker() as session:
        assert await _counts(session, MINOR) == (0, 0)
        user = await session.get(User, MINOR)
        assert user is not None and user.consent_at is None and user.first_name is None

    guardian = offline.chat(GUARDIAN, first_name="Mẹ Bông")
    notice = (await guardian.send(f"/start {payload}"))[-1]
    assert "cha mẹ hoặc người giám hộ" in plain_text(notice)
    thanks = (await guardian.press("✅", notice))[-1]
    assert "đã được ghi nhận" in plain_text(thanks)
    told = offline.emulator.last_message(MINOR)
    assert told is not None and "đã đồng ý" in plain_text(told)
    assert [data for row in told.buttons() for _, data in row] == [
        "https://t.me/canhgiac_test_bot?start=HS-A"
    ]
    async with offline.storage.sessionmaker() as session:
        link = (await session.exec(select(GuardianConsent))).one()
        assert link.guardian_id == GUARDIAN and link.agreed_at is not None
        user = await session.get(User, MINOR)
        assert user is not None and user.consent_version == CONSENT_VERSION
        helper = await session.get(User, GUARDIAN)  # the guardian agreed to nothing for themselves
        assert helper is not None and helper.consent_at is None and helper.first_name is None

    joined = (await minor.send("/start HS-A"))[-1]  # the "Continue" link
    assert "Trường THPT A" in plain_text(joined)
    async with offline.storage.sessionmaker() as session:
        assert await _counts(session, MINOR) == (1, 1)  # logging has started
        assert await ledger.count(session, kind="enrolled", unit_id=world.unit.id) == 1
        user = await session.get(User, MINOR)
        assert user is not None and user.first_name == "Bông"

    assert offline.emulator.violations == []


async def test_a_guardian_can_withdraw_and_the_minor_is_erased(
    offline: OfflineBot, world: World
) -> None:
    minor = offline.chat(MINOR, first_name="Bông")
    await minor.send("/start HS-A")
    await minor.press("✅")
    asked = (await answer_age(minor, minor=True))[-1]
    found = re.search(r"start=(guardian-[\w-]+)", plain_text(asked))
    assert found is not None
    guardian = offline.chat(GUARDIAN, first_name="Mẹ Bông")
    await guardian.press("✅", (await guardian.send(f"/start {found[1]}"))[-1])
    await minor.send("/start HS-A")

    stranger = offline.chat(GUARDIAN + 1, first_name="Ai đó")
    refused = (await stranger.send(f"/start {found[1]}"))[-1]
    assert "đã trả lời" in plain_text(refused) and not refused.buttons()
    again = (await guardian.send(f"/start {found[1]}"))[-1]
    withdrawn = (await guardian.press("🗑", again))[-1]
    assert "đã được rút lại" in plain_text(withdrawn)
    told = offline.emulator.last_message(MINOR)
    assert told is not None and "rút lại" in plain_text(told)
    async with offline.storage.sessionmaker() as session:
        assert await holders(session, MINOR) == []
        assert await holders(session, GUARDIAN) == ["users.id"]  # their own first contact
    assert offline.emulator.violations == []


async def test_declining_keeps_only_what_the_message_says_for_as_long_as_it_says(
    offline: OfflineBot, world: World, clock: Clock
) -> None:
    chat = offline.chat(LAN, first_name="Lan")
    await chat.send("/start HS-A")
    said = plain_text((await chat.press("✖️"))[-1])
    assert "chỉ giữ Telegram id và ngôn ngữ" in said and "trong vòng 7 ngày" in said
    assert "không có thông tin nào khác" in said
    async with offline.storage.sessionmaker() as session:
        assert await holders(session, LAN) == ["users.id"]
        user = await session.get(User, LAN)
        assert user is not None
        kept = {k: v for k, v in user.model_dump().items() if v not in (None, False)}
        assert set(kept) == {"id", "language", "created_at"}  # and the invite code is dropped

    scheduler = offline.dispatcher.workflow_data["reminder_scheduler"]
    assert isinstance(scheduler, ReminderScheduler)
    clock.shift = timedelta(days=5)
    assert (await scheduler.purge()).first_contacts == 0
    clock.shift = timedelta(days=6, minutes=1)  # the daily run before day 7 deletes it
    assert (await scheduler.purge()).first_contacts == 1
    async with offline.storage.sessionmaker() as session:
        assert await holders(session, LAN) == []
    assert offline.emulator.violations == []
