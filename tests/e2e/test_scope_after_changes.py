"""Rights are checked against the scope a person holds now: a trainer whose role was taken away
cannot cancel their old broadcast, and the reminder wizard does not tell whether a broadcast
it may not use exists."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlmodel import col, select

from bot.chat_driver import ChatDriver
from bot.delivery.render import Payload
from bot.emulator import Emulator
from bot.offline import OfflineBot
from bot.services import broadcasts
from bot.services.access import Access, Grant
from bot.services.broadcasts import ContentKind, Draft
from bot.settings import Settings
from bot.storage.clock import utcnow
from bot.storage.models import Membership, Role
from bot.storage.models_delivery import Broadcast
from tests.e2e.helpers import World, add_invite, join
from tests.e2e.test_broadcast import compose, wait_text

TRAINER, TRAINER_B, LAN = 880001, 880002, 880003


@pytest.fixture
async def offline(settings: Settings, emulator: Emulator) -> AsyncIterator[OfflineBot]:
    bot = await OfflineBot.start(settings, emulator=emulator, broadcast_watch_interval=0.2)
    yield bot
    await bot.stop()


@pytest.fixture
async def trainer(offline: OfflineBot, world: World) -> ChatDriver:
    async with offline.storage.sessionmaker() as session:
        await add_invite(session, "GV-A", world.unit, Role.TRAINER)
    driver = offline.chat(TRAINER, first_name="Nam", language_code="en")
    await join(driver, "GV-A")
    await join(offline.chat(LAN, first_name="Lan"), "HS-A")
    return driver


async def test_a_revoked_trainer_cannot_cancel_their_old_broadcast(
    offline: OfflineBot, emulator: Emulator, trainer: ChatDriver
) -> None:
    await compose(trainer, units=["Trường THPT A"])
    await trainer.press("Send later")
    await trainer.send("25/12/2099 08:00")
    await trainer.press("Preview")
    await trainer.press("✅ Send")
    status = await wait_text(emulator, TRAINER, "Scheduled for 08:00 25/12/2099")
    async with offline.storage.sessionmaker() as session:
        role = (
            await session.exec(select(Membership).where(col(Membership.user_id) == TRAINER))
        ).one()
        role.until = utcnow()  # what `canhgiac revoke` does
        session.add(role)
        await session.commit()
    await trainer.press("Cancel the rest", status)
    answer = emulator.callback_answers[list(emulator.callback_answers)[-1]]
    assert "while still a trainer of its units" in answer.get("text", "")
    async with offline.storage.sessionmaker() as session:
        [broadcast] = (await session.exec(select(Broadcast))).all()
        assert broadcast.id is not None
        found = await broadcasts.progress(session, broadcast.id)
    assert broadcast.status == "active"
    assert found is not None and found.count(broadcasts.DeliveryStatus.PENDING) == 1
    assert emulator.violations == []


async def _broadcast(offline: OfflineBot, access: Access, unit_id: int) -> int:
    async with offline.storage.sessionmaker() as session:
        made = await broadcasts.create(
            session,
            access,
            Draft(
                (unit_id,),
                ContentKind.TEXT,
                "Họp",
                scheduled_at=utcnow() + timedelta(days=30),
            ),
            render=lambda broadcast_id, language: Payload(f"Họp #{broadcast_id}"),
        )
    assert made.id is not None
    return made.id


async def test_the_reminder_wizard_does_not_reveal_other_units_broadcasts(
    offline: OfflineBot, emulator: Emulator, trainer: ChatDriver, world: World
) -> None:
    assert world.unit.id is not None and world.other.id is not None and world.child.id
    mine = await _broadcast(
        offline,
        Access(TRAINER, grants=(Grant(world.unit.id, "A", "A", Role.TRAINER),)),
        world.unit.id,
    )
    theirs = await _broadcast(
        offline,
        Access(TRAINER_B, grants=(Grant(world.other.id, "B", "B", Role.TRAINER),)),
        world.other.id,
    )
    # A broadcast to the school's class reached the trainer's units too: it may be used.
    to_class = await _broadcast(offline, Access(0, is_admin=True), world.child.id)

    await trainer.send("/nhacnho")
    for prefix in ("rm1:new", "rm1:pick:0", "rm1:aud:0:unacked"):
        target = trainer.last_with_buttons()
        assert target is not None
        data = next(d for row in target.buttons() for _t, d in row if d and d.startswith(prefix))
        await trainer.press_data(target, data)
    refusals = [
        (await trainer.send(text))[-1].text
        for text in (f"#{theirs}", "999999", str(theirs), "9" * 30)
    ]
    assert refusals == ["There is no broadcast with that number. Send another number."] * 4
    accepted = (await trainer.send(f"#{to_class}"))[-1].text or ""
    assert "no broadcast" not in accepted
    assert mine != theirs
    assert emulator.violations == []
