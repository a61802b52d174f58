"""Statistics, exports, invites and the honour roll through the Bot API emulator.

People here speak English (`language_code="en"`), so the checks read the English messages.
"""

from __future__ import annotations

import io
from datetime import timedelta

from openpyxl import load_workbook
from sqlmodel import select

from bot.chat_driver import ChatDriver
from bot.emulator import SentMessage
from bot.offline import OfflineBot
from bot.storage import ledger
from bot.storage.clock import utcnow
from bot.storage.models import InviteCode, Membership, Role
from bot.telegram.callbacks import InviteCb
from tests.e2e.helpers import World, add_invite, consent

PNG = b"\x89PNG\r\n\x1a\n"
LEARNER_A, LEARNER_B, OFFICER, TRAINER_B = 3001, 3002, 3010, 3020


def chat(offline: OfflineBot, user_id: int, name: str) -> ChatDriver:
    return offline.chat(user_id, first_name=name, language_code="en")


async def join(driver: ChatDriver, code: str) -> None:
    await consent(driver)
    await driver.send(f"/start {code}")


async def _organisation(offline: OfflineBot, world: World) -> dict[str, ChatDriver]:
    async with offline.storage.sessionmaker() as session:
        await add_invite(session, "CB-A", world.unit, Role.OFFICER)
        await add_invite(session, "GV-B", world.other, Role.TRAINER)
    people = {
        "learner_a": chat(offline, LEARNER_A, "Lan"),
        "learner_b": chat(offline, LEARNER_B, "Minh"),
        "officer": chat(offline, OFFICER, "Hoa"),
        "trainer_b": chat(offline, TRAINER_B, "Tuan"),
    }
    await join(people["learner_a"], "HS-10A1")
    await join(people["learner_b"], "HS-A")
    await join(people["officer"], "CB-A")
    await join(people["trainer_b"], "GV-B")
    moment = utcnow() - timedelta(minutes=5)
    child, unit = world.child.id, world.unit.id
    assert child is not None and unit is not None
    async with offline.storage.sessionmaker() as session:
        for key, user, units, kind, ref, value in (
            ("e1", LEARNER_A, [child], "lesson_read", "chi-thi-07", None),
            ("e2", LEARNER_A, [child], "quiz_finished", "chi-thi-07:passed", 90.0),
            ("e3", LEARNER_A, [child], "reminder_ack", None, None),
            ("e4", LEARNER_B, [unit], "quiz_finished", "chi-thi-07:failed", 40.0),
            ("e5", LEARNER_B, [unit], "broadcast_ack", None, None),
        ):
            await ledger.record(
                session,
                user_id=user,
                unit_ids=units,
                kind=kind,
                key=key,
                ref=ref,
                value=value,
                at=moment,
            )
        await session.commit()
    return people


def _row(message: SentMessage, code: str) -> list[str]:
    for line in (message.text or "").splitlines():
        if line.split(" ", 1)[0] == code:
            return line.split()
    raise AssertionError(f"no row for {code} in {message.text!r}")


async def test_officer_gets_table_chart_and_spreadsheet(offline: OfflineBot, world: World) -> None:
    people = await _organisation(offline, world)
    officer = people["officer"]
    table = (await officer.send("/thongke"))[-1]
    assert "Trường THPT A" in (table.text or "")
    # Unit, members, active, read, quiz, pass%, avg, reminders, announcements, tier; joining
    # is an event too, so all three members are active.
    expected = ["TRUONG-A", "3", "3", "1", "2", "50", "65", "1", "1", "C"]
    assert _row(table, "TRUONG-A")[:10] == expected
    assert _row(table, "TRUONG-A-10A1")[:5] == ["TRUONG-A-10A1", "1", "1", "1", "1"]
    assert "<pre>" in (table.html or "")

    chart = (await officer.press("📈", table))[-1]
    assert chart.photo is not None and chart.photo.startswith(PNG)

    sheet_message = (await officer.press("📗", table))[-1]
    assert sheet_message.document is not None and sheet_message.filename is not None
    assert sheet_message.filename.endswith(".xlsx")
    book = load_workbook(io.BytesIO(sheet_message.document))
    summary = book["Tổng hợp"]
    header = [cell.value for cell in summary[1]]
    rows = {
        row[0]: dict(zip(header, row, strict=True))
        for row in summary.iter_rows(min_row=2, values_only=True)
    }
    total = rows["TRUONG-A"]
    assert (total["Thành viên"], total["Thành viên hoạt động"], total["Lượt đọc bài"]) == (3, 3, 1)
    assert (total["Lượt hoàn thành kiểm tra"], total["Lượt đạt"]) == (2, 1)
    assert total["Xác nhận nhắc nhở"] == 1 and total["Xác nhận thông báo"] == 1
    assert summary.freeze_panes == "A2"
    people_sheet = book["TRUONG-A-10A1"]
    names = [row[0] for row in people_sheet.iter_rows(values_only=True)]
    assert "Lan" in names  # the officer of the unit sees its members

    csv_message = (await officer.press("📄", table))[-1]
    assert csv_message.document is not None
    assert csv_message.document.decode("utf-8-sig").splitlines()[1].startswith("TRUONG-A,")
    assert offline.emulator.violations == []


async def test_trainer_elsewhere_and_learner_are_refused(offline: OfflineBot, world: World) -> None:
    people = await _organisation(offline, world)
    refused = (await people["trainer_b"].send("/thongke TRUONG-A"))[-1]
    assert "not allowed to see this unit" in (refused.text or "")
    own = (await people["trainer_b"].send("/stats"))[-1]
    assert _row(own, "CTY-B")[:2] == ["CTY-B", "1"]
    learner = (await people["learner_a"].send("/thongke"))[-1]
    assert "/ketqua" in (learner.text or "") and "TRUONG" not in (learner.text or "")
    assert offline.emulator.violations == []


async def test_officer_invites_with_link_and_qr(offline: OfflineBot, world: World) -> None:
    people = await _organisation(offline, world)
    officer = people["officer"]
    browser = (await officer.send("/moi"))[-1]
    assert "TRUONG-A-10A1" in str(browser.buttons())
    await officer.press("📂", browser)
    roles = (await officer.press("✅"))[-1]
    assert world.child.id is not None
    data = InviteCb(act="make", unit=world.child.id, role="learner").pack()
    sent = await officer.press_data(roles, data)
    qr = next(m for m in sent if m.photo is not None)
    assert qr.photo is not None and qr.photo.startswith(PNG)
    async with offline.storage.sessionmaker() as session:
        invite = (
            await session.exec(select(InviteCode).where(InviteCode.created_by == OFFICER))
        ).one()
    assert invite.unit_id == world.child.id and invite.expires_at is not None
    link = f"https://t.me/canhgiac_test_bot?start={invite.code}"
    assert any(link in (m.text or "") for m in sent)

    newcomer = chat(offline, 3030, "Binh")
    await join(newcomer, invite.code)
    async with offline.storage.sessionmaker() as session:
        joined = (await session.exec(select(Membership).where(Membership.user_id == 3030))).one()
    assert joined.unit_id == world.child.id
    refused = (await people["learner_a"].send("/moi"))[-1]
    assert "Only officers" in (refused.text or "")
    assert offline.emulator.violations == []


async def test_honour_roll_uses_initials(offline: OfflineBot, world: World) -> None:
    people = await _organisation(offline, world)
    roll = (await people["learner_b"].send("/vinhdanh"))[-1]
    text = roll.text or ""
    assert "Honour roll" in text and "1. L. — 1 passed" in text
    assert "Lan" not in text
    assert offline.emulator.violations == []


async def test_a_person_of_two_separate_units_chooses_one(
    offline: OfflineBot, world: World
) -> None:
    people = await _organisation(offline, world)
    officer = people["officer"]
    await officer.send("/start GV-B")  # now also a trainer of CTY-B, outside TRUONG-A
    choice = (await officer.send("/thongke"))[-1]
    labels = [text for row in choice.buttons() for text, _ in row]
    assert "Which unit?" in (choice.text or "")
    assert any(label.startswith("TRUONG-A ·") for label in labels)
    assert any(label.startswith("CTY-B ·") for label in labels)
    shown = await officer.press("CTY-B ·", choice)
    assert _row(shown[-1], "CTY-B")[:2] == ["CTY-B", "2"]
    assert offline.emulator.violations == []


async def test_honour_roll_asks_a_person_without_a_unit_to_join_one(
    offline: OfflineBot, world: World
) -> None:
    stranger = chat(offline, 3999, "Khách")
    await consent(stranger)
    reply = (await stranger.send("/vinhdanh"))[-1]
    assert "Join a unit first" in (reply.text or "")
    assert offline.emulator.violations == []
