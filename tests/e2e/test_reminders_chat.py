"""Reminders through the Bot API emulator: a reminder scheduled a few seconds ahead reaches only
the learners who have not done the task, "Seen" and "Remind me in an hour", a blocked learner,
a restart while the reminder is due, and a trainer's /nhacnho wizard.

Buttons are found by their callback data, so the checks hold in any language.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlmodel import col, select

from bot.chat_driver import ChatDriver
from bot.domain.schedules import Kind
from bot.emulator import Emulator, SentMessage
from bot.offline import OfflineBot
from bot.services import monthly_reports, reminder_campaign
from bot.services import reminders as svc
from bot.settings import Settings
from bot.storage import ledger
from bot.storage.clock import utcnow
from bot.storage.models import Role, Unit, User
from bot.storage.models_delivery import FINAL_STATUSES, Delivery, DeliveryStatus
from bot.storage.models_reminders import Audience, Reminder
from bot.telegram.reminder_cards import MonthlyReportRenderer, OfferRenderer
from tests.e2e.helpers import add_invite, join

TEXT = "Nhắc nhở: đọc Chỉ thị 07 trước thứ Sáu"


async def start_bot(
    settings: Settings, emulator: Emulator, *, like: OfflineBot | None = None
) -> OfflineBot:
    """The real bot with its scheduler syncing quickly; returns once its sender runs.

    `like`: a bot stopped earlier whose loaded explainers and banks are reused (a restart).
    """
    catalogs = {}
    if like is not None:
        catalogs = {"content": like.dispatcher["content"], "banks": like.dispatcher["banks"]}
    offline = await OfflineBot.start(
        settings, emulator=emulator, reminder_sync_interval=0.2, **catalogs
    )
    await wait_for(lambda: "sender" in offline.dispatcher.workflow_data)
    return offline


async def stop_bot(offline: OfflineBot) -> None:
    await offline.stop()


@pytest.fixture
async def reminder_bot(settings: Settings, emulator: Emulator) -> AsyncIterator[OfflineBot]:
    offline = await start_bot(settings, emulator)
    yield offline
    await stop_bot(offline)


@dataclass
class School:
    unit: Unit
    klass: Unit


async def school(offline: OfflineBot) -> School:
    async with offline.storage.sessionmaker() as session:
        unit = Unit(code="TRUONG-A", name="Trường THPT A", kind="school")
        other = Unit(code="CTY-B", name="Công ty B", kind="enterprise")
        session.add_all([unit, other])
        await session.flush()
        klass = Unit(code="TRUONG-A-10A1", name="Lớp 10A1", kind="class", parent_id=unit.id)
        session.add(klass)
        await session.commit()
        await add_invite(session, "HS-A", unit)
        await add_invite(session, "HS-10A1", klass)
        await add_invite(session, "HS-B", other)
        await add_invite(session, "GV-A", unit, Role.TRAINER)
        return School(unit, klass)


def reminders_in(offline: OfflineBot, chat_id: int) -> list[SentMessage]:
    return [
        m for m in offline.emulator.messages(chat_id) if TEXT in (m.text or "") and not m.deleted
    ]


def data_of(message: SentMessage, prefix: str) -> str:
    for row in message.buttons():
        for _text, data in row:
            if data and data.startswith(prefix):
                return data
    raise LookupError(f"no button {prefix!r}")


async def wait_for(check: Callable[[], bool], within: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not check():
        assert loop.time() < deadline, "timed out waiting"
        await asyncio.sleep(0.05)


async def schedule_in(offline: OfflineBot, unit: Unit, seconds: float, **draft: object) -> int:
    """What `canhgiac reminders add` does, while the bot runs."""
    assert unit.id is not None
    async with offline.storage.sessionmaker() as session:
        reminder = await svc.create(
            session,
            svc.CLI_ACCESS,
            svc.Draft(
                unit_id=unit.id,
                text=TEXT,
                schedule_kind=Kind.ONCE,
                once_at=utcnow() + timedelta(seconds=seconds),
                quiet_hours="off",  # the test may run at night
                skip_holidays=False,
                **draft,  # type: ignore[arg-type]
            ),
            now=utcnow(),
            default_quiet="off",
        )
        assert reminder.id is not None
        return reminder.id


async def test_a_reminder_reaches_only_those_who_have_not_read(
    reminder_bot: OfflineBot,
) -> None:
    offline = reminder_bot
    org = await school(offline)
    chats = {user_id: offline.chat(user_id) for user_id in (3001, 3002, 3003, 3004, 3005)}
    await join(chats[3001], "HS-A")
    await join(chats[3002], "HS-10A1")
    await join(chats[3003], "HS-B")  # another organisation
    await join(chats[3004], "HS-A")  # has read the explainer
    await join(chats[3005], "HS-A")  # will block the bot
    trainer = offline.chat(3100)
    await join(trainer, "GV-A")
    async with offline.storage.sessionmaker() as session:
        await ledger.record(
            session,
            user_id=3004,
            unit_ids=[org.unit.id or 0],
            kind=ledger.EventKind.LESSON_READ,
            ref="chi-thi-07",
            key="lesson_read:3004:chi-thi-07",
        )
        await session.commit()
    offline.emulator.block(3005)

    await schedule_in(offline, org.unit, 1.5, audience=Audience.UNREAD, audience_ref="chi-thi-07")
    await wait_for(lambda: bool(reminders_in(offline, 3001) and reminders_in(offline, 3002)))

    async def settled() -> bool:
        async with offline.storage.sessionmaker() as session:
            rows = (await session.exec(select(Delivery))).all()
            return bool(rows) and all(r.status in FINAL_STATUSES for r in rows)

    for _ in range(100):
        if await settled():
            break
        await asyncio.sleep(0.05)
    else:
        raise AssertionError("deliveries still in flight")
    for user_id in (3003, 3004, 3100):
        assert reminders_in(offline, user_id) == []
    [message] = reminders_in(offline, 3001)
    assert "Trường THPT A" in (message.text or "")
    async with offline.storage.sessionmaker() as session:
        blocked = await session.get(User, 3005)
        assert blocked is not None and blocked.unreachable_at is not None
        statuses = {row.chat_id: row.status for row in (await session.exec(select(Delivery))).all()}
    assert statuses == {
        3001: DeliveryStatus.SENT.value,
        3002: DeliveryStatus.SENT.value,
        3005: DeliveryStatus.BLOCKED.value,
    }

    # "Seen": counted once, for the learner's unit.
    seen = data_of(message, "rn1:ack:")
    await chats[3001].press_data(message, seen)
    await chats[3001].press_data(message, seen)
    async with offline.storage.sessionmaker() as session:
        assert await ledger.count(session, kind="reminder_ack", user_id=3001) == 1
        assert await ledger.count(session, kind="reminder_ack", unit_id=org.unit.id) == 1

    # "Remind me in an hour": one more delivery, due an hour later, to this learner only.
    [other] = reminders_in(offline, 3002)
    before = utcnow()
    await chats[3002].press_data(other, data_of(other, "rn1:snz:"))
    async with offline.storage.sessionmaker() as session:
        pending = (
            await session.exec(
                select(Delivery).where(col(Delivery.status) == DeliveryStatus.PENDING.value)
            )
        ).all()
    assert [row.chat_id for row in pending] == [3002]
    wait = svc.aware(pending[0].next_attempt_at) - before
    assert timedelta(minutes=59) < wait <= timedelta(hours=1, seconds=5)


async def test_a_restart_while_the_reminder_is_due_sends_it_once(
    settings: Settings, emulator: Emulator
) -> None:
    first = await start_bot(settings, emulator)
    org = await school(first)
    learner = first.chat(3201)
    await join(learner, "HS-10A1")
    await schedule_in(first, org.unit, 1.0)
    await stop_bot(first)  # down before it is due, still down when it is
    await asyncio.sleep(1.5)
    assert reminders_in(first, 3201) == []

    second = await start_bot(settings, emulator, like=first)
    try:
        await wait_for(lambda: bool(reminders_in(second, 3201)))
    finally:
        await stop_bot(second)
    third = await start_bot(settings, emulator, like=first)
    await asyncio.sleep(1.0)
    await stop_bot(third)
    assert len(reminders_in(third, 3201)) == 1


def newest(chat: ChatDriver) -> SentMessage:
    message = chat.last_with_buttons()
    assert message is not None
    return message


async def press(chat: ChatDriver, prefix: str, message: SentMessage | None = None) -> None:
    target = message or newest(chat)
    await chat.press_data(target, data_of(target, prefix))


async def test_a_trainer_creates_a_reminder_with_the_wizard(reminder_bot: OfflineBot) -> None:
    offline = reminder_bot
    org = await school(offline)
    learner = offline.chat(3301)
    await join(learner, "HS-A")
    trainer = offline.chat(3300)
    await join(trainer, "GV-A")

    await trainer.send("/nhacnho")
    await press(trainer, "rm1:new")
    units = newest(trainer)
    assert "Trường THPT A" in str(units.buttons()) and "Lớp 10A1" in str(units.buttons())
    await press(trainer, "rm1:pick:0")  # the school
    await press(trainer, "rm1:aud:0:unread")
    explainers = newest(trainer)
    index = next(
        i
        for i, (text, _data) in enumerate(b for row in explainers.buttons() for b in row)
        if "07/CT-BCA-V28" in text
    )
    await press(trainer, f"rm1:pick:{index}:")
    await trainer.send("Các em nhớ đọc Chỉ thị 07 <trước> thứ Sáu")
    await press(trainer, "rm1:link:0:same")
    await press(trainer, "rm1:kind:0:weekly")
    bad = await trainer.send("thứ hai 8 giờ")
    assert bad, "no answer to an unreadable schedule"
    confirm = (await trainer.send("T2 T4 08:00"))[-1]
    assert "Trường THPT A" in (confirm.text or "")
    await press(trainer, "rm1:hol", confirm)
    await press(trainer, "rm1:ok", newest(trainer))
    async with offline.storage.sessionmaker() as session:
        [reminder] = (await session.exec(select(Reminder))).all()
    assert (reminder.unit_id, reminder.audience, reminder.audience_ref) == (
        org.unit.id,
        "unread",
        "chi-thi-07",
    )
    assert (reminder.message_kind, reminder.link_ref) == ("explainer", "chi-thi-07")
    assert (reminder.schedule_kind, reminder.weekdays, reminder.at_time) == (
        "weekly",
        "0,2",
        "08:00",
    )
    assert reminder.quiet_hours == "21:00-07:00" and reminder.skip_holidays is False
    # Plain text is kept as HTML, escaped (formatting entities would become tags).
    assert reminder.text == "Các em nhớ đọc Chỉ thị 07 &lt;trước&gt; thứ Sáu"
    assert reminder.created_by == 3300

    # The list, a test to the trainer, pause and delete.
    await trainer.send("/nhacnho")
    listing = newest(trainer)
    assert f"#{reminder.id}" in (listing.text or "")
    await press(trainer, f"rm1:test:{reminder.id}", listing)

    def tests() -> list[SentMessage]:
        return [m for m in offline.emulator.messages(3300) if "🔔" in (m.text or "")]

    await wait_for(lambda: bool(tests()))
    [test_message] = tests()
    assert "🧪" in (test_message.text or "")
    assert "Chỉ thị 07" in (test_message.text or "")
    assert any(
        "start=doc-chi-thi-07" in (data or "") for row in test_message.buttons() for _t, data in row
    )

    def screen() -> SentMessage:  # the list, edited in place by each button
        return next(
            m for m in offline.emulator.messages(3300) if m.message_id == listing.message_id
        )

    await press(trainer, f"rm1:pause:{reminder.id}", screen())
    assert f"rm1:resume:{reminder.id}" in str(screen().buttons())
    await press(trainer, f"rm1:del:{reminder.id}", screen())
    await press(trainer, f"rm1:delok:{reminder.id}", screen())
    assert f"#{reminder.id}" not in (screen().text or "")
    async with offline.storage.sessionmaker() as session:
        gone = await session.get(Reminder, reminder.id)
        assert gone is not None and gone.paused and gone.deleted_at is not None
    assert reminders_in(offline, 3301) == []


async def test_trainers_are_offered_the_19_8_series(reminder_bot: OfflineBot) -> None:
    offline = reminder_bot
    org = await school(offline)
    learner = offline.chat(3401)
    await join(learner, "HS-A")
    answer = (await learner.send("/nhacnho"))[-1]
    assert not answer.buttons()  # learners have no reminders to manage
    trainer = offline.chat(3400)
    await join(trainer, "GV-A")
    now = utcnow()
    async with offline.storage.sessionmaker() as session:
        sent = await reminder_campaign.send_offer(
            session, year=2030, due=now, now=now, render=OfferRenderer(offline.dispatcher["i18n"])
        )
    assert sent.recipients == 1
    offline.dispatcher["sender"].wake()
    await wait_for(lambda: any("2030" in (m.text or "") for m in offline.emulator.messages(3400)))
    offer = next(m for m in offline.emulator.messages(3400) if "2030" in (m.text or ""))
    assert "521/QĐ-TTg" in (offer.text or "") and "Trường THPT A" in str(offer.buttons())
    await press(trainer, f"rm1:camp:{org.unit.id}:2030", offer)
    await press(trainer, f"rm1:camp:{org.unit.id}:2030", offer)
    async with offline.storage.sessionmaker() as session:
        series = (
            await session.exec(select(Reminder).where(col(Reminder.campaign).is_not(None)))
        ).all()
    assert sorted(r.campaign or "" for r in series) == [
        f"ngay-hoi-19-8:2030:{step}" for step in ("d0", "d1", "d14", "d7")
    ]
    assert {r.unit_id for r in series} == {org.unit.id}
    # The one-week step, sent as a test: the built-in text and a button starting the quiz.
    week = next(r for r in series if (r.campaign or "").endswith(":d7"))
    menu = (await trainer.send("/nhacnho"))[-1]
    await press(trainer, f"rm1:test:{week.id}", menu)

    def tests() -> list[SentMessage]:
        return [m for m in offline.emulator.messages(3400) if "🔔" in (m.text or "")]

    await wait_for(lambda: bool(tests()))
    [card] = tests()
    assert "07/CT-BCA-V28" in (card.text or "")
    assert "qm1:new:chi-thi-07" in str(card.buttons())


async def test_officers_get_the_monthly_report_and_its_spreadsheet(
    reminder_bot: OfflineBot,
) -> None:
    offline = reminder_bot
    org = await school(offline)
    async with offline.storage.sessionmaker() as session:
        await add_invite(session, "CB-A", org.unit, Role.OFFICER)
    officer = offline.chat(3500)
    await join(officer, "CB-A")
    learner = offline.chat(3501)
    await join(learner, "HS-10A1")
    due = utcnow()
    renderer = MonthlyReportRenderer(offline.dispatcher["i18n"], offline.settings)
    async with offline.storage.sessionmaker() as session:
        served = await monthly_reports.send_monthly(
            session, due=due, now=due, zone=offline.settings.timezone, render=renderer
        )
    assert served == 1
    offline.dispatcher["sender"].wake()

    def reports() -> list[SentMessage]:
        return [m for m in offline.emulator.messages(3500) if "🗓" in (m.text or "")]

    await wait_for(lambda: bool(reports()))
    [report] = reports()
    assert "TRUONG-A" in (report.text or "") and "10A1" in (report.text or "")
    assert not any("🗓" in (m.text or "") for m in offline.emulator.messages(3501))
    # The /thongke buttons: the Excel file is made when the officer asks for it.
    await press(officer, "st1:xlsx:", report)

    def documents() -> list[SentMessage]:
        return [m for m in offline.emulator.messages(3500) if m.method == "sendDocument"]

    await wait_for(lambda: bool(documents()))
    [document] = documents()
    assert (document.filename or "").endswith(".xlsx")
    assert (document.document or b"").startswith(b"PK")  # a zip: the XLSX container
