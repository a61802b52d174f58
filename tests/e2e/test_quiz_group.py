"""A group quiz through the emulator: native quiz polls, answers from members, the leaderboard."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlmodel import select

from bot.chat_driver import plain_text
from bot.emulator import Emulator, SentMessage
from bot.offline import OfflineBot
from bot.services.bank_store import BankStore
from bot.settings import Settings
from bot.storage.models import GroupQuizPoll, ParticipationEvent
from tests.e2e.helpers import World, consent, join
from tests.e2e.test_quiz_private import quiz_banks

GROUP = -1001234567
OTHER_GROUP = -1007654321


@pytest.fixture
def banks(tmp_path: Path) -> BankStore:
    return quiz_banks(tmp_path / "quizzes")


@pytest.fixture
async def offline(
    settings: Settings, emulator: Emulator, banks: BankStore
) -> AsyncIterator[OfflineBot]:
    bot = await OfflineBot.start(settings, emulator=emulator, banks=banks, quiz_timer_interval=0.2)
    yield bot
    await bot.stop()


def polls_in(emulator: Emulator, chat_id: int) -> list[SentMessage]:
    return [message for message in emulator.messages(chat_id) if message.poll]


async def vote(offline: OfflineBot, user_id: int, poll: SentMessage, right: bool) -> None:
    """A member answers; waits until the bot has handled the updates the vote produced."""
    assert poll.poll is not None
    correct = poll.poll["correct_option_ids"]
    wrong = [i for i in range(len(poll.poll["options"])) if i not in correct][:1]
    offline.emulator.answer_poll(user_id, poll.poll["id"], correct if right else wrong)
    used = offline.dispatcher.resolve_used_update_types()
    offline.tracker.expected += ("poll_answer" in used) + ("poll" in used) - 1
    await offline.tracker.queued()


async def test_group_round_answers_and_leaderboard(offline: OfflineBot, world: World) -> None:
    emulator = offline.emulator
    emulator.add_group(GROUP, "Lớp 10A1")
    lan = offline.chat(4001, first_name="Lan")
    minh = offline.chat(4002, first_name="Minh")
    hoa = offline.chat(4003, first_name="Hoa")
    for member in (lan, minh, hoa):
        await join(member, "HS-A")
    await lan.send("/riengtu")
    await lan.press("🏅")  # Lan agrees to show her name
    guest = offline.chat(4004, first_name="Khách")
    await consent(guest)  # consented, but in no unit
    for user_id in (4001, 4002, 4003, 4004, 4005):
        emulator.add_member(GROUP, user_id)

    in_group = offline.chat(4001, chat_id=GROUP, first_name="Lan")
    posted = await in_group.send("/kiemtra thu 3")
    polls = polls_in(emulator, GROUP)
    assert len(polls) == 3 and len(posted) == 4  # an intro, then the polls
    assert "Bộ thử" in plain_text(posted[0])
    sends = [call.params for call in emulator.calls if call.method == "sendPoll"]
    assert all(
        p["type"] == "quiz" and p["is_anonymous"] is False and p["open_period"] == 3 * 2
        for p in sends
    )

    for poll in polls:
        await vote(offline, 4001, poll, right=True)
    for poll, right in zip(polls, (True, True, False), strict=True):
        await vote(offline, 4002, poll, right)
    for poll, right in zip(polls, (False, True, False), strict=True):
        await vote(offline, 4003, poll, right)
    await vote(offline, 4004, polls[0], right=True)  # no unit: not counted
    await vote(offline, 4005, polls[0], right=True)  # never talked to the bot: ignored

    async with offline.storage.sessionmaker() as session:
        answers = (
            await session.exec(
                select(ParticipationEvent).where(ParticipationEvent.kind == "quiz_answered")
            )
        ).all()
        stored = (await session.exec(select(GroupQuizPoll))).all()
    assert len(answers) == 9 and {a.unit_id for a in answers} == {world.unit.id}
    assert all(a.key.startswith(f"quiz_poll:{GROUP}:") for a in answers)
    assert sum(a.value or 0 for a in answers) == 6
    assert len(stored) == 3

    board = plain_text((await in_group.send("/bangxephang"))[-1])
    lines = board.splitlines()
    assert "Lớp 10A1" in lines[0]
    assert "Lan" in lines[1] and "3" in lines[1]
    assert "M." in lines[2] and "Minh" not in board and "2" in lines[2]
    assert "H." in lines[3] and "1" in lines[3]
    assert len(lines) == 4

    again = await in_group.send("/kiemtra thu")
    assert len(again) == 1 and len(polls_in(emulator, GROUP)) == 3  # too soon for a new round


async def test_group_topic_menu_posts_polls(offline: OfflineBot, world: World) -> None:
    emulator = offline.emulator
    emulator.add_group(OTHER_GROUP, "Phòng Hành chính")
    lan = offline.chat(4101, first_name="Lan")
    await join(lan, "HS-A")
    emulator.add_member(OTHER_GROUP, 4101)
    in_group = offline.chat(4101, chat_id=OTHER_GROUP, first_name="Lan")
    menu = (await in_group.send("/kiemtra"))[-1]
    await in_group.press("Bộ thử", menu)
    assert len(polls_in(emulator, OTHER_GROUP)) == 3
    empty = plain_text((await in_group.send("/bangxephang"))[-1])
    assert "/kiemtra" in empty

    private = (await lan.send("/bangxephang"))[-1]
    assert "/bangxephang" in plain_text(private)


async def test_answers_from_outside_the_group_do_not_count(
    offline: OfflineBot, world: World
) -> None:
    """A quiz poll forwarded elsewhere is the same poll: people who are not in the group can
    answer it there. Only the group's members count on its leaderboard."""
    emulator = offline.emulator
    emulator.add_group(GROUP, "Lớp 10A1")
    lan = offline.chat(4201, first_name="Lan")
    outsider = offline.chat(4202, first_name="Tuấn")
    leaver = offline.chat(4203, first_name="Vy")
    for person in (lan, outsider, leaver):
        await join(person, "HS-A")  # all three consented members of a unit
    emulator.add_member(GROUP, 4201)
    emulator.add_member(GROUP, 4203)
    in_group = offline.chat(4201, chat_id=GROUP, first_name="Lan")
    await in_group.send("/kiemtra thu 3")
    first, second, _ = polls_in(emulator, GROUP)
    emulator.state.chats[GROUP].members.discard(4203)  # Vy leaves the group

    await vote(offline, 4201, first, right=True)
    await vote(offline, 4202, first, right=True)  # answers a forwarded copy
    await vote(offline, 4202, second, right=True)
    await vote(offline, 4203, second, right=True)  # answers after leaving

    async with offline.storage.sessionmaker() as session:
        answers = (
            await session.exec(
                select(ParticipationEvent).where(ParticipationEvent.kind == "quiz_answered")
            )
        ).all()
    assert {a.user_id for a in answers} == {4201}
    board = plain_text((await in_group.send("/bangxephang"))[-1])
    assert "T." not in board and "V." not in board and len(board.splitlines()) == 2
