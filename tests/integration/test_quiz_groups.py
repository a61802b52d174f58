"""Group quizzes against a real database: rounds, poll answers in the ledger, the leaderboard."""

from __future__ import annotations

import random
from datetime import timedelta
from pathlib import Path

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain.quiz import Bank, Question
from bot.services import quiz_groups, users
from bot.services.quiz_groups import RoundStatus
from bot.services.users import Profile
from bot.storage.clock import utcnow
from bot.storage.models import GroupQuizPoll, Membership, ParticipationEvent, Unit, User

T0 = utcnow().replace(microsecond=0)
CHAT = -100555


def bank_of(count: int = 4) -> Bank:
    questions = tuple(
        Question(
            id=f"g{index}",
            text=f"Câu nhóm {index}?",
            options=("đúng", "sai", "cũng sai"),
            correct=frozenset({0}),
            explanation="Giải thích ngắn.",
            difficulty="medium",
            source="SEED",
            learn_more="chi-thi-07",
        )
        for index in range(count)
    )
    return Bank("nhom", "Bộ nhóm", "vi", "nhom", 70, 3, 20, questions, Path("nhom.yaml"))


async def member(
    session: AsyncSession,
    user_id: int,
    first: str,
    last: str,
    unit: Unit | None,
    *,
    consent: bool = True,
    public: bool = False,
) -> User:
    profile = Profile(user_id, first, last, None, "vi")
    user = await users.touch_user(session, profile, default_language="vi")
    if unit is not None:
        assert unit.id is not None
        session.add(Membership(user_id=user_id, unit_id=unit.id))
        await session.commit()
    if consent:
        await users.give_consent(session, user, profile, public_name=public)
    return user


async def in_any_chat(chat_id: int, user_id: int) -> bool:
    return True


async def test_a_round_logs_answers_and_ranks_members(session: AsyncSession) -> None:
    bank = bank_of()
    unit = Unit(code="TO-1", name="Tổ 1")
    session.add(unit)
    await session.commit()
    lan = await member(session, 8001, "Lan", "Trần", unit, public=True)
    minh = await member(session, 8002, "Minh", "Lê", unit)
    guest = await member(session, 8003, "Khách", "Vãng", unit, consent=False)
    loner = await member(session, 8004, "Hà", "Phạm", None)

    plan = await quiz_groups.plan_round(
        session, bank, chat_id=CHAT, count=3, now=T0, rng=random.Random(3)
    )
    assert plan.status is RoundStatus.READY and len(plan.items) == 3
    assert plan.open_period == 60
    polls = []
    for number, (question, drawn) in enumerate(plan.items):
        poll_id = f"poll-{number}"
        await quiz_groups.record_poll(
            session,
            poll_id=poll_id,
            chat_id=CHAT,
            bank_id=bank.id,
            question=question,
            drawn=drawn,
            message_id=number + 1,
            sent_at=T0,
        )
        right = sorted(drawn.displayed_correct(question))
        polls.append((poll_id, right, [i for i in range(3) if i not in right][:1]))
    rows = (await session.exec(select(GroupQuizPoll))).all()
    assert sorted(row.poll_id for row in rows) == ["poll-0", "poll-1", "poll-2"]

    async def vote(
        user: User, poll: int, good: bool, second: int = 7, *, in_chat: bool = True
    ) -> bool:
        poll_id, right, wrong = polls[poll]

        async def is_member(chat_id: int, user_id: int) -> bool:
            assert (chat_id, user_id) == (CHAT, user.id)
            return in_chat

        return await quiz_groups.record_poll_answer(
            session,
            user,
            poll_id=poll_id,
            option_ids=right if good else wrong,
            is_member=is_member,
            now=T0 + timedelta(seconds=second),
        )

    assert not await vote(lan, 0, True, in_chat=False)  # a forwarded copy, outside the group
    assert await vote(lan, 0, True) and await vote(lan, 1, True) and await vote(lan, 2, False)
    assert await vote(minh, 0, True) and await vote(minh, 1, False)
    assert not await vote(minh, 1, True)  # the first answer counts
    assert not await vote(guest, 0, True)  # no consent: ignored
    assert not await vote(loner, 0, True)  # no unit: nothing to log
    assert not await quiz_groups.record_poll_answer(
        session, lan, poll_id="x", option_ids=[0], is_member=in_any_chat
    )

    logged = (
        await session.exec(
            select(ParticipationEvent).where(ParticipationEvent.kind == "quiz_answered")
        )
    ).all()
    assert len(logged) == 5
    first = next(
        e for e in logged if e.user_id == lan.id and e.key.startswith(f"quiz_poll:{CHAT}:poll-0:")
    )
    assert (first.ref, first.value) == (f"{plan.items[0][0].id}:7", 1.0)

    board = await quiz_groups.leaderboard(session, CHAT)
    assert [(row.name, row.correct, row.answered) for row in board] == [
        ("Lan Trần", 2, 3),
        ("M. L.", 1, 2),
    ]
    assert await quiz_groups.leaderboard(session, -100999) == []

    again = await quiz_groups.plan_round(
        session, bank, chat_id=CHAT, now=T0 + timedelta(seconds=30)
    )
    assert again.status is RoundStatus.TOO_SOON


async def test_members_in_two_units_count_once(session: AsyncSession) -> None:
    bank = bank_of(2)
    first, second = Unit(code="A", name="A"), Unit(code="B", name="B")
    session.add_all([first, second])
    await session.commit()
    lan = await member(session, 8101, "Lan", "Trần", first)
    assert second.id is not None
    session.add(Membership(user_id=lan.id, unit_id=second.id))
    await session.commit()
    plan = await quiz_groups.plan_round(session, bank, chat_id=CHAT, count=1, now=T0)
    question, drawn = plan.items[0]
    await quiz_groups.record_poll(
        session,
        poll_id="p",
        chat_id=CHAT,
        bank_id=bank.id,
        question=question,
        drawn=drawn,
        message_id=1,
        sent_at=T0,
    )
    right = sorted(drawn.displayed_correct(question))
    assert await quiz_groups.record_poll_answer(
        session, lan, poll_id="p", option_ids=right, is_member=in_any_chat
    )
    board = await quiz_groups.leaderboard(session, CHAT)
    assert [(row.name, row.correct, row.answered) for row in board] == [("L. T.", 1, 1)]
    later = await quiz_groups.plan_round(
        session, bank, chat_id=CHAT, count=99, now=T0 + timedelta(minutes=2)
    )
    assert later.status is RoundStatus.READY and len(later.items) == 2
