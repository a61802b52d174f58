"""The quiz engine: which questions an attempt asks, in what option order, and how it scores.

Everything here is pure and deterministic given its inputs (`now`, `rng`), so the services
can store what was drawn and the tests can replay it.

Drawing an attempt (`draw`):
1. Missed questions of this bank whose review is due (`due_at <= now`) come first, oldest
   due first. A due review is asked even if it was in the previous attempt: asking it again
   is the point of the review.
2. The other places are filled with questions that were not in the user's previous attempt,
   stratified by difficulty so the attempt has the bank's mix of easy/medium/hard
   (largest-remainder rounding; the reviews already drawn count towards their level).
3. Only if the bank is too small are questions of the previous attempt asked again, the least
   recently seen first (the earliest asked in that attempt).
Each drawn question gets its own shuffled option order.

Spaced repetition (`update_review`), intervals 1, 3, 10, 30 days:
- a miss (a wrong answer or a timeout) puts the question in the review queue, due in 1 day,
  and restarts the ladder (streak 0);
- a correct answer to a question that is due steps up the ladder: due again in 3, then 10,
  then 30 days; when the 30-day review is answered correctly the question leaves the queue
  (`due_at` None);
- a correct answer before the question is due, or to a question not in the queue, changes
  nothing (an early lucky answer does not skip a step).
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.domain.quiz import DIFFICULTIES, Bank, Question

REVIEW_INTERVALS = (timedelta(days=1), timedelta(days=3), timedelta(days=10), timedelta(days=30))


@dataclass(frozen=True)
class DrawnQuestion:
    """One question of an attempt; `order[displayed index] = original option index`."""

    question_id: str
    order: tuple[int, ...]

    def options(self, question: Question) -> tuple[str, ...]:
        """The options as shown to the user."""
        return tuple(question.options[original] for original in self.order)

    def original_index(self, displayed: int) -> int:
        """The bank's index of the option shown at `displayed`."""
        if not 0 <= displayed < len(self.order):
            raise IndexError(f"option {displayed} was not shown for {self.question_id!r}")
        return self.order[displayed]

    def displayed_correct(self, question: Question) -> frozenset[int]:
        """Displayed indexes of the correct options (Telegram's `correct_option_ids`)."""
        return frozenset(
            shown for shown, original in enumerate(self.order) if original in question.correct
        )

    def is_correct(self, question: Question, chosen: Iterable[int] | None) -> bool:
        """Whether the displayed indexes chosen are exactly the correct ones.

        `None` or nothing chosen is a timeout, which counts as wrong."""
        if chosen is None:
            return False
        picked = frozenset(chosen)
        if not picked or any(not 0 <= shown < len(self.order) for shown in picked):
            return False
        return frozenset(self.order[shown] for shown in picked) == question.correct


@dataclass(frozen=True)
class Score:
    correct: int
    total: int
    percent: int
    passed: bool


@dataclass(frozen=True)
class ReviewState:
    """A question the user missed. `streak` is the number of review steps passed since the
    last miss; `due_at` None means the question is not (or no longer) in the review queue."""

    question_id: str
    misses: int
    streak: int
    due_at: datetime | None


def _require_aware(moment: datetime, name: str) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware (UTC)")


def draw(
    bank: Bank,
    *,
    previous_attempt: Sequence[str],
    reviews: Mapping[str, ReviewState],
    now: datetime,
    rng: random.Random,
    count: int | None = None,
) -> list[DrawnQuestion]:
    """The questions of a new attempt at `bank`, in the order they are asked."""
    _require_aware(now, "now")
    wanted = bank.questions_per_attempt if count is None else count
    if wanted < 1:
        raise ValueError("an attempt needs at least one question")
    wanted = min(wanted, len(bank.questions))
    in_bank = {question.id for question in bank.questions}

    due = sorted(
        (
            state
            for state in reviews.values()
            if state.due_at is not None and state.due_at <= now and state.question_id in in_bank
        ),
        key=lambda state: (state.due_at, state.question_id),
    )
    chosen = [bank.question(state.question_id) for state in due[:wanted]]
    picked = {question.id for question in chosen}

    previous = set(previous_attempt)
    fresh = [q for q in bank.questions if q.id not in picked and q.id not in previous]
    rest = wanted - len(chosen)
    quotas = _quotas(bank, wanted, Counter(q.difficulty for q in chosen), rest, rng)
    newcomers: list[Question] = []
    for level in DIFFICULTIES:
        pool = [q for q in fresh if q.difficulty == level]
        newcomers += rng.sample(pool, min(quotas[level], len(pool)))
    # A level with too few unseen questions leaves places that the other levels fill.
    taken = picked | {q.id for q in newcomers}
    leftovers = [q for q in fresh if q.id not in taken]
    newcomers += rng.sample(leftovers, min(rest - len(newcomers), len(leftovers)))
    if len(newcomers) < rest:
        taken |= {q.id for q in newcomers}
        seen_order = list(dict.fromkeys(qid for qid in previous_attempt if qid in in_bank))
        stale = [bank.question(qid) for qid in seen_order if qid not in taken]
        newcomers += stale[: rest - len(newcomers)]
    rng.shuffle(newcomers)
    chosen += newcomers
    return [DrawnQuestion(q.id, _shuffled_order(len(q.options), rng)) for q in chosen]


def _quotas(
    bank: Bank, wanted: int, already: Counter[str], rest: int, rng: random.Random
) -> dict[str, int]:
    """Places per difficulty for the questions still to draw, so that the whole attempt
    follows the bank's mix as closely as the due reviews allow."""
    mix = Counter(question.difficulty for question in bank.questions)
    target = _apportion(wanted, mix, rng)
    need = Counter({level: max(0, target[level] - already[level]) for level in DIFFICULTIES})
    if sum(need.values()) > rest:
        need = _apportion(rest, need, rng)
    return {level: need[level] for level in DIFFICULTIES}


def _apportion(total: int, weights: Counter[str], rng: random.Random) -> Counter[str]:
    """Split `total` places by `weights` with the largest-remainder method (ties at random)."""
    weight_sum = sum(weights.values())
    result: Counter[str] = Counter()
    if total <= 0 or weight_sum == 0:
        return result
    remainders = []
    for level in DIFFICULTIES:
        exact = total * weights[level] / weight_sum
        result[level] = int(exact)
        remainders.append((exact - int(exact), rng.random(), level))
    for _, _, level in sorted(remainders, reverse=True)[: total - sum(result.values())]:
        result[level] += 1
    return result


def _shuffled_order(size: int, rng: random.Random) -> tuple[int, ...]:
    order = list(range(size))
    rng.shuffle(order)
    return tuple(order)


def score(answers: Sequence[bool | None], *, pass_mark: int, total: int | None = None) -> Score:
    """Score an attempt: one entry per question asked (True right, False or None wrong).

    `total` defaults to the number of answers; questions never answered count as wrong.
    `percent` is rounded down, so `passed` (percent ≥ pass mark) never rounds a fail up."""
    right = sum(1 for answer in answers if answer is True)
    asked = len(answers) if total is None else total
    if asked < len(answers):
        raise ValueError("total is smaller than the number of answers")
    percent = right * 100 // asked if asked else 0
    return Score(
        correct=right, total=asked, percent=percent, passed=asked > 0 and percent >= pass_mark
    )


def cooldown_left(
    last_finished_at: datetime | None, now: datetime, cooldown: timedelta
) -> timedelta | None:
    """How long until the user may start this bank again, or None if they may now."""
    _require_aware(now, "now")
    if last_finished_at is None:
        return None
    _require_aware(last_finished_at, "last_finished_at")
    left = last_finished_at + cooldown - now
    return left if left > timedelta(0) else None


def update_review(
    state: ReviewState | None,
    correct: bool,
    now: datetime,
    *,
    question_id: str | None = None,
) -> ReviewState:
    """The review state after one answer (see the module docstring for the ladder).

    With no earlier state, pass `question_id`; a timeout is `correct=False`."""
    _require_aware(now, "now")
    if state is None:
        if question_id is None:
            raise ValueError("question_id is needed when there is no earlier state")
        state = ReviewState(question_id, misses=0, streak=0, due_at=None)
    if not correct:
        return ReviewState(state.question_id, state.misses + 1, 0, now + REVIEW_INTERVALS[0])
    if state.due_at is None or state.due_at > now:
        return state
    step = state.streak + 1
    if step >= len(REVIEW_INTERVALS):
        return ReviewState(state.question_id, state.misses, step, None)
    return ReviewState(state.question_id, state.misses, step, now + REVIEW_INTERVALS[step])


def review_interval(state: ReviewState) -> timedelta | None:
    """The gap the current step waits for (1, 3, 10 or 30 days), None outside the queue."""
    if state.due_at is None:
        return None
    return REVIEW_INTERVALS[min(state.streak, len(REVIEW_INTERVALS) - 1)]
