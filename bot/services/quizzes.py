"""Taking a quiz in a private chat: start, answer, time out, finish.

Everything about an attempt lives in its `QuizAttempt` row (the drawn plan with option orders,
the answers, the position, the message and when the current question was sent), so a quiz
survives a restart and any replica may serve the next tap.

Ledger conventions (one row per unit of a consenting member; no unit, nothing logged):
- `quiz_started`  key `quiz_started:<attempt>`           ref `<bank>`
- `quiz_answered` key `quiz_answered:<attempt>:<position>` ref `<question>:<seconds>`, or
  `<question>:timeout` when the time ran out; value 1 (right) or 0 (wrong or timed out)
- `quiz_finished` key `quiz_finished:<attempt>`          ref `<bank>:passed` or
  `<bank>:failed`; value the percent scored (rounded down)
A ref is at most 64 characters: a longer id is cut so that the suffix always fits.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain.quiz import Bank
from bot.domain.quiz_engine import (
    DrawnQuestion,
    ReviewState,
    cooldown_left,
    draw,
    score,
    update_review,
)
from bot.services.quiz_attempts import (
    ANSWER_GRACE,
    REF_LIMIT,
    UNKNOWN_REVIEW,
    Snapshot,
    card_at,
    close,
    counted_units,
    deadline_of,
    ref_with,
    review_from,
    review_item,
    snapshot,
    usable_bank,
)
from bot.services.quiz_outcomes import (
    Feedback,
    QuestionCard,
    StartResult,
    StartStatus,
    Step,
    StepStatus,
    Summary,
)
from bot.storage import ledger
from bot.storage import quizzes as store
from bot.storage.clock import utcnow
from bot.storage.models import User

# QUIZ_RETAKE_COOLDOWN_MINUTES decides; callers pass it, and this is the default.
DEFAULT_RETAKE_COOLDOWN = timedelta(minutes=0)


async def start_quiz(
    session: AsyncSession,
    user: User,
    bank: Bank,
    *,
    chat_id: int,
    message_id: int | None = None,
    cooldown: timedelta = DEFAULT_RETAKE_COOLDOWN,
    now: datetime | None = None,
    rng: random.Random | None = None,
) -> StartResult:
    """Draw a new attempt; any attempt still running for the user is abandoned."""
    moment = now or utcnow()
    last = await store.last_closed_attempt(session, user.id, bank.id)
    wait = cooldown_left(last["finished_at"] if last else None, moment, cooldown)
    if wait is not None:
        return StartResult(StartStatus.COOLDOWN, wait=wait)
    running = [snapshot(row) for row in await store.active_attempts(session, user.id)]
    previous = [item["q"] for item in last["plan"]] if last else []
    for snap in running:
        if snap.bank_id == bank.id:  # what the user just saw is the attempt not to repeat
            previous = [drawn.question_id for drawn in snap.plan]
            break
    reviews = {
        row.question_id: store.review_state(row)
        for row in await store.reviews_of(session, user.id, bank_id=bank.id)
    }
    units = await counted_units(session, user.id, user=user)
    plan = draw(
        bank,
        previous_attempt=previous,
        reviews=reviews,
        now=moment,
        rng=rng or random.Random(),
    )
    async with store.writing(session):
        for snap in running:
            await close(session, snap, moment)
        card = await _insert_attempt(
            session,
            user,
            bank,
            plan,
            reviews,
            chat_id=chat_id,
            message_id=message_id,
            moment=moment,
        )
        await ledger.record(
            session,
            user_id=user.id,
            unit_ids=units,
            kind=ledger.EventKind.QUIZ_STARTED,
            ref=bank.id[:REF_LIMIT],
            key=f"quiz_started:{card.attempt_id}",
            at=moment,
        )
        await session.commit()
    return StartResult(StartStatus.STARTED, card=card, counted=bool(units))


async def _insert_attempt(
    session: AsyncSession,
    user: User,
    bank: Bank,
    plan: Sequence[DrawnQuestion],
    reviews: Mapping[str, ReviewState],
    *,
    chat_id: int,
    message_id: int | None,
    moment: datetime,
) -> QuestionCard:
    values: dict[str, Any] = {
        "user_id": user.id,
        "chat_id": chat_id,
        "bank_id": bank.id,
        "status": store.ACTIVE,
        "plan": [
            {
                "q": drawn.question_id,
                "o": list(drawn.order),
                "r": review_item(reviews.get(drawn.question_id)),
            }
            for drawn in plan
        ],
        "answers": [],
        "position": 0,
        "message_id": message_id,
        "question_sent_at": moment,
        "started_at": moment,
    }
    values["id"] = await store.add_attempt(session, values)
    return card_at(snapshot(values), bank, 0)


async def current_question(
    session: AsyncSession,
    banks: Mapping[str, Bank],
    user: User,
    *,
    attempt_id: int | None = None,
    position: int | None = None,
) -> tuple[StepStatus, QuestionCard | None]:
    """The question an attempt waits on (the user's running one if no id is given)."""
    if attempt_id is None:
        running = await store.active_attempts(session, user.id)
        if not running:
            return StepStatus.ENDED, None
        snap = snapshot(running[0])
    else:
        attempt = await store.attempt_by_id(session, attempt_id)
        if attempt is None:
            return StepStatus.ENDED, None
        snap = snapshot(attempt)
    status = _check(snap, user, position)
    if status is not None:
        return status, None
    bank = usable_bank(snap, banks)
    if bank is None:
        await close(session, snap, utcnow())
        await session.commit()
        return StepStatus.ENDED, None
    return StepStatus.ANSWERED, card_at(snap, bank, snap.position)


def _check(snap: Snapshot, user: User, position: int | None) -> StepStatus | None:
    if snap.user_id != user.id:
        return StepStatus.NOT_YOURS
    if snap.status != store.ACTIVE:
        return StepStatus.ENDED
    if position is not None and snap.position != position:
        return StepStatus.ALREADY
    return None


async def set_message(session: AsyncSession, attempt_id: int, message_id: int) -> None:
    """Remember which message shows the attempt (after it had to be sent anew)."""
    await store.set_message_id(session, attempt_id, message_id)
    await session.commit()


async def abandon(session: AsyncSession, attempt_id: int, *, now: datetime | None = None) -> None:
    """Stop an attempt that can no longer be shown (e.g. the user blocked the bot)."""
    attempt = await store.attempt_by_id(session, attempt_id)
    if attempt is not None and attempt["status"] == store.ACTIVE:
        await close(session, snapshot(attempt), now or utcnow())
    await session.commit()


async def answer(
    session: AsyncSession,
    banks: Mapping[str, Bank],
    user: User,
    *,
    attempt_id: int,
    position: int,
    chosen: Sequence[int],
    now: datetime | None = None,
) -> Step:
    """Record the displayed options chosen for the question at `position`.

    Only the first answer to a question counts; one given after the deadline is a timeout."""
    attempt = await store.attempt_by_id(session, attempt_id)
    if attempt is None:
        return Step(StepStatus.ENDED, attempt_id)
    snap = snapshot(attempt)
    status = _check(snap, user, position)
    if status is not None:
        return Step(status, attempt_id)
    moment = now or utcnow()
    bank = usable_bank(snap, banks)
    if bank is None:
        await close(session, snap, moment)
        await session.commit()
        return Step(StepStatus.ENDED, attempt_id)
    deadline = deadline_of(snap, bank)
    late = deadline is not None and moment > deadline
    chosen_now = None if late else tuple(chosen)
    return await _advance(session, snap, bank, chosen_now, moment)


async def expire_due(
    session: AsyncSession, banks: Mapping[str, Bank], *, now: datetime | None = None
) -> list[Step]:
    """Time out every question whose deadline has passed and move those attempts on.

    The timer task calls this about once a second; attempts left from before a restart are
    found the same way."""
    moment = now or utcnow()
    shortest = min((bank.seconds_per_question for bank in banks.values()), default=0)
    sent_before = moment - timedelta(seconds=shortest) - ANSWER_GRACE
    snaps = [snapshot(row) for row in await store.waiting_since(session, sent_before)]
    steps: list[Step] = []
    for snap in snaps:
        bank = usable_bank(snap, banks)
        if bank is None:
            await close(session, snap, moment)
            await session.commit()
            continue
        deadline = deadline_of(snap, bank)
        if deadline is None or moment <= deadline:
            continue
        step = await _advance(session, snap, bank, None, moment)
        if step.status is StepStatus.TIMED_OUT:
            steps.append(step)
    return steps


async def _advance(
    session: AsyncSession,
    snap: Snapshot,
    bank: Bank,
    chosen: tuple[int, ...] | None,
    moment: datetime,
) -> Step:
    """Record the answer (None: a timeout) at the attempt's position, if nobody did first."""
    position = snap.position
    drawn = snap.plan[position]
    question = bank.question(drawn.question_id)
    right = drawn.is_correct(question, chosen)
    sent_at = snap.question_sent_at or moment
    seconds = max(0, round((moment - sent_at).total_seconds()))
    entry = {"c": sorted(chosen) if chosen is not None else None, "ok": right, "s": seconds}
    answers = [*snap.answers, entry]
    last = position + 1 >= len(snap.plan)
    values: dict[str, Any] = {"answers": answers, "position": position + 1}
    result = None
    if last:
        result = score([bool(a["ok"]) for a in answers], pass_mark=bank.pass_mark)
        values.update(
            status=store.FINISHED,
            finished_at=moment,
            question_sent_at=None,
            correct=result.correct,
            total=result.total,
            percent=float(result.percent),
            passed=result.passed,
        )
    else:
        values["question_sent_at"] = moment

    # Every read comes before the claim, so the write transaction stays short.
    known = snap.reviews[position]
    if known == UNKNOWN_REVIEW:
        review = await store.review_of(session, snap.user_id, question.id)
    else:
        review = review_from(known, question.id)
    updated = update_review(review, right, moment, question_id=question.id)
    person = await session.get(User, snap.user_id)
    logged_for = await counted_units(session, snap.user_id, user=person)
    async with store.writing(session):
        if not await store.advance(session, snap.id, position, values):
            await session.commit()
            return Step(StepStatus.ALREADY, snap.id)
        if updated != review and (review is not None or not right):
            await store.save_review(session, snap.user_id, bank.id, updated)
        await ledger.record(
            session,
            user_id=snap.user_id,
            unit_ids=logged_for,
            kind=ledger.EventKind.QUIZ_ANSWERED,
            ref=ref_with(question.id, "timeout" if chosen is None else str(seconds)),
            value=1.0 if right else 0.0,
            key=f"quiz_answered:{snap.id}:{position}",
            at=moment,
        )
        if result is not None:
            await ledger.record(
                session,
                user_id=snap.user_id,
                unit_ids=logged_for,
                kind=ledger.EventKind.QUIZ_FINISHED,
                ref=ref_with(bank.id, "passed" if result.passed else "failed"),
                value=float(result.percent),
                key=f"quiz_finished:{snap.id}",
                at=moment,
            )
        await session.commit()
    summary = None
    if result is not None:
        summary = Summary(
            bank=bank,
            correct=result.correct,
            total=result.total,
            percent=result.percent,
            passed=result.passed,
            duration=moment - snap.started_at,
            missed=tuple(_missed(snap.plan, answers, bank)),
        )
    return Step(
        StepStatus.TIMED_OUT if chosen is None else StepStatus.ANSWERED,
        attempt_id=snap.id,
        user_id=snap.user_id,
        chat_id=snap.chat_id,
        message_id=snap.message_id,
        language=person.language if person is not None else "vi",
        feedback=Feedback(question, drawn, chosen, right),
        next=None if last else card_at(snap, bank, position + 1),
        summary=summary,
    )


def _missed(
    plan: Sequence[DrawnQuestion], answers: Sequence[dict[str, Any]], bank: Bank
) -> list[Feedback]:
    missed = []
    for drawn, entry in zip(plan, answers, strict=False):
        if not entry.get("ok"):
            chosen = entry.get("c")
            question = bank.question(drawn.question_id)
            missed.append(
                Feedback(question, drawn, tuple(chosen) if chosen is not None else None, False)
            )
    return missed
