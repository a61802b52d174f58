"""Private quizzes against a real database (SQLite and PostgreSQL): start, answers, timeouts,
races, finishing, the ledger, the retake cooldown, reviews, and continuing after a restart."""

from __future__ import annotations

import asyncio
import random
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain.quiz import Bank, Question
from bot.services import quiz_results, quizzes, users
from bot.services.quizzes import QuestionCard, StartStatus, Step, StepStatus
from bot.services.users import Profile
from bot.storage.clock import utcnow
from bot.storage.database import create_engine, create_sessionmaker
from bot.storage.models import (
    Membership,
    ParticipationEvent,
    QuizAttempt,
    QuizReview,
    Unit,
    User,
)

T0 = utcnow().replace(microsecond=0)


def make_bank(count: int = 6, per_attempt: int = 3, seconds: int = 30) -> Bank:
    questions = tuple(
        Question(
            id=f"q{index}",
            text=f"Câu hỏi số {index}?",
            options=("đúng", "sai một", "sai hai", "sai ba"),
            correct=frozenset({0, 1}) if index == 0 else frozenset({0}),
            explanation="Vì đó là quy định.",
            difficulty="easy",
            source="SEED",
            learn_more="chi-thi-07",
        )
        for index in range(count)
    )
    return Bank(
        id="thu",
        title="Bộ thử",
        language="vi",
        topic="thu",
        pass_mark=60,
        questions_per_attempt=per_attempt,
        seconds_per_question=seconds,
        questions=questions,
        path=Path("thu.yaml"),
    )


async def person(
    session: AsyncSession, user_id: int = 7001, *, units: int = 2, consent: bool = True
) -> User:
    profile = Profile(user_id, "Lan", "Trần", None, "vi")
    user = await users.touch_user(session, profile, default_language="vi")
    for index in range(units):
        unit = Unit(code=f"U{user_id}-{index}", name=f"Đơn vị {index}")
        session.add(unit)
        await session.flush()
        assert unit.id is not None
        session.add(Membership(user_id=user_id, unit_id=unit.id))
    await session.commit()
    if consent:
        await users.give_consent(session, user, profile)
    return user


def right(card: QuestionCard) -> list[int]:
    return sorted(card.drawn.displayed_correct(card.question))


def wrong(card: QuestionCard) -> list[int]:
    correct = card.drawn.displayed_correct(card.question)
    return [next(i for i in range(len(card.drawn.order)) if i not in correct)]


async def events(session: AsyncSession, kind: str) -> list[ParticipationEvent]:
    statement = select(ParticipationEvent).where(ParticipationEvent.kind == kind)
    return list((await session.exec(statement)).all())


async def start(
    session: AsyncSession, user: User, bank: Bank, at: datetime = T0, **kwargs: object
) -> QuestionCard:
    result = await quizzes.start_quiz(
        session,
        user,
        bank,
        chat_id=user.id,
        message_id=10,
        now=at,
        rng=random.Random(1),
        **kwargs,  # type: ignore[arg-type]
    )
    assert result.status is StartStatus.STARTED and result.card is not None
    return result.card


async def reply(
    session: AsyncSession,
    bank: Bank,
    user: User,
    card: QuestionCard,
    chosen: list[int],
    at: datetime,
) -> Step:
    return await quizzes.answer(
        session,
        {bank.id: bank},
        user,
        attempt_id=card.attempt_id,
        position=card.position,
        chosen=chosen,
        now=at,
    )


async def test_start_logs_once_per_unit(session: AsyncSession) -> None:
    bank = make_bank()
    user = await person(session)
    result = await quizzes.start_quiz(session, user, bank, chat_id=user.id, now=T0)
    assert result.status is StartStatus.STARTED and result.counted
    assert result.card is not None and (result.card.position, result.card.total) == (0, 3)
    started = await events(session, "quiz_started")
    assert [(e.ref, e.key.rsplit(":", 1)[0]) for e in started] == [
        ("thu", f"quiz_started:{result.card.attempt_id}")
    ] * 2
    attempt = await session.get(QuizAttempt, result.card.attempt_id)
    assert attempt is not None and attempt.status == "active" and len(attempt.plan) == 3
    assert attempt.question_sent_at == T0 and attempt.message_id is None


async def test_right_wrong_timeout_and_finish(session: AsyncSession) -> None:
    bank = make_bank(seconds=30)
    user = await person(session, units=1)
    card = await start(session, user, bank)

    first = await reply(session, bank, user, card, right(card), T0 + timedelta(seconds=4))
    assert first.status is StepStatus.ANSWERED and first.feedback and first.feedback.correct
    assert first.next is not None and first.summary is None
    sent = T0 + timedelta(seconds=10)
    second = await reply(session, bank, user, first.next, wrong(first.next), sent)
    assert second.feedback is not None and not second.feedback.correct
    assert second.next is not None

    # Not due yet 31 s after the question was sent (a second of grace), due after.
    assert (
        await quizzes.expire_due(session, {bank.id: bank}, now=sent + timedelta(seconds=31)) == []
    )
    steps = await quizzes.expire_due(session, {bank.id: bank}, now=sent + timedelta(seconds=32))
    assert [s.status for s in steps] == [StepStatus.TIMED_OUT]
    final = steps[0]
    assert final.feedback is not None and final.feedback.timed_out and final.next is None
    assert final.summary is not None
    assert (final.summary.correct, final.summary.total, final.summary.percent) == (1, 3, 33)
    assert not final.summary.passed
    assert [m.question.id for m in final.summary.missed] == [
        second.feedback.question.id,
        final.feedback.question.id,
    ]
    assert final.summary.duration == timedelta(seconds=42)

    answered = sorted(await events(session, "quiz_answered"), key=lambda e: e.key)
    assert [e.value for e in answered] == [1.0, 0.0, 0.0]
    assert answered[0].ref == f"{first.feedback.question.id}:4"
    assert answered[2].ref == f"{final.feedback.question.id}:timeout"
    (finished,) = await events(session, "quiz_finished")
    assert (finished.ref, finished.value) == ("thu:failed", 33.0)
    attempt = await session.get(QuizAttempt, card.attempt_id)
    assert attempt is not None
    await session.refresh(attempt)
    assert (attempt.status, attempt.correct, attempt.passed) == ("finished", 1, False)
    assert [a["c"] is None for a in attempt.answers] == [False, False, True]

    ended = await reply(session, bank, user, card, right(card), T0 + timedelta(days=11))
    assert ended.status is StepStatus.ENDED


async def test_late_tap_is_a_timeout(session: AsyncSession) -> None:
    bank = make_bank(seconds=30)
    user = await person(session)
    card = await start(session, user, bank)
    step = await reply(session, bank, user, card, right(card), T0 + timedelta(seconds=45))
    assert step.status is StepStatus.TIMED_OUT
    assert step.feedback is not None and not step.feedback.correct


async def test_double_tap_counts_once(session: AsyncSession) -> None:
    bank = make_bank()
    user = await person(session)
    card = await start(session, user, bank)
    first = await reply(session, bank, user, card, right(card), T0 + timedelta(seconds=2))
    again = await reply(session, bank, user, card, wrong(card), T0 + timedelta(seconds=3))
    assert (first.status, again.status) == (StepStatus.ANSWERED, StepStatus.ALREADY)
    assert len(await events(session, "quiz_answered")) == 2  # one answer, two units


async def test_simultaneous_taps_and_timer_advance_once(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    bank = make_bank(per_attempt=6, seconds=5)
    banks = {bank.id: bank}
    async with sessionmaker() as session:
        user = await person(session, units=1)
        card = await start(session, user, bank)

    async def tap(chosen: list[int]) -> StepStatus:
        async with sessionmaker() as session:
            me = await session.get(User, user.id)
            assert me is not None
            step = await reply(session, bank, me, card, chosen, T0 + timedelta(seconds=6))
            return step.status

    async def sweep() -> list[Step]:
        async with sessionmaker() as session:
            return await quizzes.expire_due(session, banks, now=T0 + timedelta(seconds=6.5))

    outcomes = await asyncio.gather(tap(right(card)), tap(wrong(card)), tap(right(card)), sweep())
    taps, swept = list(outcomes[:3]), outcomes[3]
    assert isinstance(swept, list)
    won = taps.count(StepStatus.ANSWERED) + len(swept)
    assert won == 1 and taps.count(StepStatus.ALREADY) == 3 - taps.count(StepStatus.ANSWERED)
    async with sessionmaker() as session:
        attempt = await session.get(QuizAttempt, card.attempt_id)
        assert attempt is not None and attempt.position == 1 and len(attempt.answers) == 1
        assert len(await events(session, "quiz_answered")) == 1


async def test_several_answers_must_all_be_ticked(session: AsyncSession) -> None:
    bank = make_bank(count=1, per_attempt=1)
    user = await person(session)
    card = await start(session, user, bank)
    assert card.multiple
    step = await reply(session, bank, user, card, right(card)[:1], T0 + timedelta(seconds=3))
    assert step.feedback is not None and not step.feedback.correct
    card = await start(session, user, bank, T0 + timedelta(minutes=1))
    step = await reply(session, bank, user, card, right(card), T0 + timedelta(minutes=1, seconds=3))
    assert step.feedback is not None and step.feedback.correct
    assert step.summary is not None and step.summary.passed


async def test_retake_cooldown(session: AsyncSession) -> None:
    bank = make_bank(per_attempt=1)
    user = await person(session)
    cooldown = timedelta(minutes=10)
    card = await start(session, user, bank, cooldown=cooldown)
    await reply(session, bank, user, card, right(card), T0 + timedelta(seconds=5))
    refused = await quizzes.start_quiz(
        session, user, bank, chat_id=user.id, cooldown=cooldown, now=T0 + timedelta(minutes=5)
    )
    assert refused.status is StartStatus.COOLDOWN
    assert refused.wait == timedelta(minutes=5, seconds=5)
    await start(session, user, bank, T0 + timedelta(minutes=11), cooldown=cooldown)


async def test_next_attempt_avoids_the_previous_questions(session: AsyncSession) -> None:
    bank = make_bank(count=6, per_attempt=3)
    user = await person(session)
    card = await start(session, user, bank)
    first = {d["q"] for d in (await session.get(QuizAttempt, card.attempt_id)).plan}  # type: ignore[union-attr]
    second_card = await start(session, user, bank, T0 + timedelta(minutes=1))
    second = {d["q"] for d in (await session.get(QuizAttempt, second_card.attempt_id)).plan}  # type: ignore[union-attr]
    assert not first & second
    old = await reply(session, bank, user, card, right(card), T0 + timedelta(minutes=1))
    assert old.status is StepStatus.ENDED  # starting again abandoned the first attempt


async def test_missed_questions_come_back_when_due(session: AsyncSession) -> None:
    bank = make_bank(count=6, per_attempt=3)
    user = await person(session)
    card = await start(session, user, bank)
    missed = card.question.id
    await reply(session, bank, user, card, wrong(card), T0 + timedelta(seconds=5))
    review = await session.get(QuizReview, (user.id, missed))
    assert review is not None and review.misses == 1
    assert review.due_at == T0 + timedelta(seconds=5) + timedelta(days=1)

    later = T0 + timedelta(days=2)
    found = await quiz_results.results(session, {bank.id: bank}, user, now=later)
    assert [q.id for topic in found.due for q in topic.questions] == [missed]

    card = await start(session, user, bank, later)
    assert card.question.id == missed  # a due review comes first
    await reply(session, bank, user, card, right(card), later + timedelta(seconds=3))
    await session.refresh(review)
    assert review.streak == 1
    assert review.due_at == later + timedelta(seconds=3) + timedelta(days=3)


async def test_results_list_attempts_and_best_scores(session: AsyncSession) -> None:
    bank = make_bank(per_attempt=2)
    user = await person(session)
    for minute, picks in ((0, (right, wrong)), (5, (right, right))):
        card: QuestionCard | None = await start(session, user, bank, T0 + timedelta(minutes=minute))
        for pick in picks:
            assert card is not None
            step = await reply(
                session, bank, user, card, pick(card), T0 + timedelta(minutes=minute, seconds=9)
            )
            card = step.next
    found = await quiz_results.results(session, {bank.id: bank}, user, now=T0 + timedelta(hours=1))
    assert [line.percent for line in found.attempts] == [100, 50]
    assert [(b.bank.id, b.percent, b.passed) for b in found.best] == [("thu", 100, True)]
    assert found.scheduled == 1 and found.due == ()


async def test_without_a_unit_nothing_is_logged(session: AsyncSession) -> None:
    bank = make_bank(per_attempt=1)
    user = await person(session, units=0)
    result = await quizzes.start_quiz(session, user, bank, chat_id=user.id, now=T0)
    assert result.status is StartStatus.STARTED and not result.counted
    assert result.card is not None
    step = await reply(
        session, bank, user, result.card, right(result.card), T0 + timedelta(seconds=2)
    )
    assert step.summary is not None and step.summary.passed
    assert (await session.exec(select(ParticipationEvent))).all() == []


async def test_without_consent_nothing_is_logged(session: AsyncSession) -> None:
    """A member of two units who has not agreed (or whose consent is for an older notice)
    may take a quiz, but none of it reaches the ledger."""
    bank = make_bank(per_attempt=2)
    never = await person(session, 7101, consent=False)
    card = await start(session, never, bank)
    first = await reply(session, bank, never, card, right(card), T0 + timedelta(seconds=2))
    assert first.next is not None
    last = await reply(
        session, bank, never, first.next, wrong(first.next), T0 + timedelta(seconds=4)
    )
    assert last.summary is not None

    lapsed = await person(session, 7102)
    card = await start(session, lapsed, bank)
    assert len(await events(session, "quiz_started")) == 2  # consented then: one per unit
    lapsed.consent_version = users.CONSENT_VERSION - 1
    session.add(lapsed)
    await session.commit()
    sent = T0 + timedelta(seconds=2)
    first = await reply(session, bank, lapsed, card, right(card), sent)
    assert first.status is StepStatus.ANSWERED and first.next is not None
    steps = await quizzes.expire_due(session, {bank.id: bank}, now=sent + timedelta(seconds=32))
    assert [step.status for step in steps] == [StepStatus.TIMED_OUT]
    assert steps[0].summary is not None

    rows = (await session.exec(select(ParticipationEvent))).all()
    assert sorted(row.kind for row in rows if row.kind.startswith("quiz_")) == [
        "quiz_started",
        "quiz_started",
    ]
    assert {row.user_id for row in rows if row.kind.startswith("quiz_")} == {7102}


async def test_someone_elses_attempt_is_refused(session: AsyncSession) -> None:
    bank = make_bank()
    owner = await person(session)
    other = await person(session, 7002)
    card = await start(session, owner, bank)
    step = await reply(session, bank, other, card, right(card), T0 + timedelta(seconds=2))
    assert step.status is StepStatus.NOT_YOURS


async def test_a_quiz_continues_after_a_restart(database_url: str) -> None:
    bank = make_bank(per_attempt=3, seconds=30)
    banks = {bank.id: bank}
    engine = create_engine(database_url)
    async with create_sessionmaker(engine)() as session:
        user = await person(session)
        card = await start(session, user, bank)
        step = await reply(session, bank, user, card, right(card), T0 + timedelta(seconds=3))
    await engine.dispose()
    assert step.next is not None

    engine = create_engine(database_url)  # a new process: new engine, new service calls
    sessionmaker = create_sessionmaker(engine)
    async with sessionmaker() as session:
        me = await session.get(User, user.id)
        assert me is not None
        status, current = await quizzes.current_question(session, banks, me)
        assert status is StepStatus.ANSWERED and current == step.next
        steps = await quizzes.expire_due(session, banks, now=T0 + timedelta(minutes=5))
        assert [s.status for s in steps] == [StepStatus.TIMED_OUT]
        assert steps[0].message_id == 10 and steps[0].next is not None
        last = await reply(
            session,
            bank,
            me,
            steps[0].next,
            right(steps[0].next),
            T0 + timedelta(minutes=5, seconds=1),
        )
        assert last.summary is not None and last.summary.correct == 2
    await engine.dispose()


async def test_a_bank_that_lost_its_questions_ends_the_attempt(session: AsyncSession) -> None:
    bank = make_bank()
    user = await person(session)
    card = await start(session, user, bank)
    smaller = make_bank(count=0)
    step = await reply(session, smaller, user, card, [0], T0 + timedelta(seconds=2))
    assert step.status is StepStatus.ENDED
    attempt = await session.get(QuizAttempt, card.attempt_id)
    assert attempt is not None
    await session.refresh(attempt)
    assert attempt.status == "abandoned"


async def test_a_plan_without_review_states_reads_them(session: AsyncSession) -> None:
    """Attempts drawn before plans carried review states still schedule reviews."""
    bank = make_bank(per_attempt=2)
    user = await person(session)
    card = await start(session, user, bank)
    session.add(QuizReview(user_id=user.id, question_id=card.question.id, bank_id="thu", misses=2))
    attempt = await session.get(QuizAttempt, card.attempt_id)
    assert attempt is not None
    attempt.plan = [{"q": item["q"], "o": item["o"]} for item in attempt.plan]
    await session.commit()
    await reply(session, bank, user, card, wrong(card), T0 + timedelta(seconds=3))
    review = await session.get(QuizReview, (user.id, card.question.id))
    assert review is not None
    await session.refresh(review)
    assert review.misses == 3
