"""The quiz engine: drawing, option shuffling, scoring, cooldown and spaced repetition."""

from __future__ import annotations

import itertools
import random
from collections import Counter
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.quiz import DIFFICULTIES, Bank, Question
from bot.domain.quiz_engine import (
    REVIEW_INTERVALS,
    DrawnQuestion,
    ReviewState,
    cooldown_left,
    draw,
    review_interval,
    score,
    update_review,
)

NOW = datetime(2025, 8, 19, 8, 0, tzinfo=UTC)
DAY = timedelta(days=1)


def question(qid: str, difficulty: str = "easy", options: int = 4, correct: int = 0) -> Question:
    return Question(
        id=qid,
        text=f"Câu {qid}?",
        options=tuple(f"Phương án {number}" for number in range(options)),
        correct=frozenset({correct}),
        explanation="Giải thích.",
        difficulty=difficulty,
        source="SEED",
        learn_more="chi-thi-07",
    )


def bank_of(levels: list[str], per_attempt: int = 10) -> Bank:
    questions = tuple(question(f"q{index}", level) for index, level in enumerate(levels))
    return Bank(
        id="mau",
        title="Mẫu",
        language="vi",
        topic="thu",
        pass_mark=70,
        questions_per_attempt=max(1, min(per_attempt, len(questions))),
        seconds_per_question=30,
        questions=questions,
        path=Path("mau.yaml"),
    )


levels = st.lists(st.sampled_from(DIFFICULTIES), min_size=1, max_size=40)


@given(
    answers=st.lists(st.one_of(st.booleans(), st.none()), max_size=50),
    extra=st.integers(0, 10),
    pass_mark=st.integers(1, 100),
)
def test_scores_stay_in_range(answers: list[bool | None], extra: int, pass_mark: int) -> None:
    result = score(answers, pass_mark=pass_mark, total=len(answers) + extra)
    assert 0 <= result.correct <= result.total
    assert 0 <= result.percent <= 100
    assert result.correct == sum(1 for answer in answers if answer is True)
    # Rounding never turns a fail into a pass.
    assert result.passed == (result.total > 0 and result.correct * 100 >= pass_mark * result.total)


def test_score_examples() -> None:
    assert score([True] * 7 + [False, None, False], pass_mark=70).passed
    nearly = score([True] * 69 + [False] * 31, pass_mark=70)
    assert (nearly.percent, nearly.passed) == (69, False)
    two_thirds = score([True, True, None], pass_mark=67)
    assert (two_thirds.percent, two_thirds.passed) == (66, False)
    nothing = score([], pass_mark=50)
    assert (nothing.percent, nothing.passed) == (0, False)
    assert score([], pass_mark=0).passed is False  # nothing asked is never a pass
    with pytest.raises(ValueError, match="total is smaller"):
        score([True, True], pass_mark=50, total=1)


@given(
    size=st.integers(2, 10),
    data=st.data(),
    seed=st.integers(0, 2**32 - 1),
)
def test_shuffling_never_loses_the_correct_answer(
    size: int, data: st.DataObject, seed: int
) -> None:
    correct = data.draw(st.frozensets(st.integers(0, size - 1), min_size=1, max_size=size - 1))
    item = Question(
        "q", "Câu?", tuple(f"o{n}" for n in range(size)), correct, "x", "easy", "SEED", "a"
    )
    drawn = draw(
        Bank("b", "B", "vi", "t", 70, 1, 30, (item,), Path("b.yaml")),
        previous_attempt=[],
        reviews={},
        now=NOW,
        rng=random.Random(seed),
    )[0]
    assert sorted(drawn.order) == list(range(size))
    assert sorted(drawn.options(item)) == sorted(item.options)
    shown = drawn.displayed_correct(item)
    assert {drawn.original_index(index) for index in shown} == correct
    assert all(drawn.options(item)[index] in {f"o{n}" for n in correct} for index in shown)
    assert drawn.is_correct(item, shown)
    assert not drawn.is_correct(item, set(range(size)) - shown)
    assert not drawn.is_correct(item, None)  # a timeout
    assert not drawn.is_correct(item, [])


def test_a_multi_answer_question_is_right_only_with_exactly_its_answers() -> None:
    item = Question("q", "Câu?", ("a", "b", "c", "d"), frozenset({0, 2}), "x", "easy", "SEED", "a")
    drawn = DrawnQuestion("q", (3, 2, 1, 0))  # shown: d, c, b, a
    assert drawn.displayed_correct(item) == frozenset({1, 3})
    assert drawn.is_correct(item, [1, 3])
    assert drawn.is_correct(item, [3, 1, 3])  # order and a repeated tick do not matter
    assert not drawn.is_correct(item, [1])  # partly ticked
    assert not drawn.is_correct(item, [3])
    assert not drawn.is_correct(item, [1, 3, 0])  # a wrong one ticked as well
    assert not drawn.is_correct(item, [0, 1, 2, 3])
    assert not drawn.is_correct(item, [1, 3, 4])  # an option that was not shown


@given(size=st.integers(2, 8), data=st.data())
def test_any_other_set_of_ticks_is_wrong(size: int, data: st.DataObject) -> None:
    indexes = st.integers(0, size - 1)
    correct = data.draw(st.frozensets(indexes, min_size=1, max_size=size - 1))
    item = Question(
        "q", "Câu?", tuple(f"o{n}" for n in range(size)), correct, "x", "easy", "SEED", "a"
    )
    drawn = DrawnQuestion("q", tuple(data.draw(st.permutations(range(size)))))
    picked = data.draw(st.frozensets(indexes))
    assert drawn.is_correct(item, picked) == (picked == drawn.displayed_correct(item))


def test_displayed_indexes_map_back() -> None:
    drawn = DrawnQuestion("q", (2, 0, 1))
    item = question("q", options=3, correct=1)
    assert drawn.options(item) == ("Phương án 2", "Phương án 0", "Phương án 1")
    assert drawn.original_index(2) == 1
    assert drawn.displayed_correct(item) == frozenset({2})
    assert drawn.is_correct(item, [2]) and not drawn.is_correct(item, [0])
    assert not drawn.is_correct(item, [7])
    assert drawn.original_index(0) == 2
    for outside in (3, -1):
        with pytest.raises(IndexError, match=f"option {outside} was not shown"):
            drawn.original_index(outside)


@given(levels=levels, count=st.integers(1, 50), seed=st.integers(0, 2**32 - 1), data=st.data())
def test_a_draw_never_repeats_and_never_exceeds_the_bank(
    levels: list[str], count: int, seed: int, data: st.DataObject
) -> None:
    bank = bank_of(levels)
    ids = [item.id for item in bank.questions]
    previous = data.draw(st.lists(st.sampled_from(ids), unique=True))
    drawn = draw(
        bank, previous_attempt=previous, reviews={}, now=NOW, rng=random.Random(seed), count=count
    )
    drawn_ids = [item.question_id for item in drawn]
    assert len(drawn_ids) == len(set(drawn_ids)) == min(count, len(bank.questions))
    assert set(drawn_ids) <= set(ids)


@given(levels=levels, count=st.integers(1, 20), seed=st.integers(0, 2**32 - 1), data=st.data())
def test_draws_avoid_the_previous_attempt_when_the_bank_is_big_enough(
    levels: list[str], count: int, seed: int, data: st.DataObject
) -> None:
    bank = bank_of(levels)
    ids = [item.id for item in bank.questions]
    previous = data.draw(st.lists(st.sampled_from(ids), unique=True, max_size=len(ids)))
    drawn = draw(
        bank, previous_attempt=previous, reviews={}, now=NOW, rng=random.Random(seed), count=count
    )
    repeated = {item.question_id for item in drawn} & set(previous)
    unseen = len(ids) - len(previous)
    # Repeats happen only to fill places that unseen questions cannot.
    assert len(repeated) == max(0, min(count, len(ids)) - unseen)


def test_a_small_bank_repeats_the_least_recently_seen_first() -> None:
    bank = bank_of(["easy"] * 5)
    previous = ["q0", "q1", "q2", "q3"]  # asked in this order; q4 was not asked
    drawn = draw(
        bank, previous_attempt=previous, reviews={}, now=NOW, rng=random.Random(1), count=3
    )
    assert {item.question_id for item in drawn} == {"q4", "q0", "q1"}


def test_draws_follow_the_bank_mix() -> None:
    bank = bank_of(["easy"] * 50 + ["medium"] * 30 + ["hard"] * 20)
    for seed in range(20):
        drawn = draw(
            bank, previous_attempt=[], reviews={}, now=NOW, rng=random.Random(seed), count=10
        )
        mix = Counter(bank.question(item.question_id).difficulty for item in drawn)
        assert mix == Counter(easy=5, medium=3, hard=2)


def test_a_level_short_of_unseen_questions_is_filled_from_the_others() -> None:
    bank = bank_of(["easy"] * 10 + ["hard"] * 10)
    previous = [f"q{index}" for index in range(10, 18)]  # 8 of the 10 hard ones
    drawn = draw(
        bank, previous_attempt=previous, reviews={}, now=NOW, rng=random.Random(3), count=10
    )
    assert not {item.question_id for item in drawn} & set(previous)
    mix = Counter(bank.question(item.question_id).difficulty for item in drawn)
    assert mix == Counter(easy=8, hard=2)


def test_due_reviews_come_first_even_from_the_previous_attempt() -> None:
    bank = bank_of(["easy"] * 10 + ["medium"] * 10)
    reviews = {
        "q3": ReviewState("q3", 1, 0, NOW - DAY),
        "q12": ReviewState("q12", 2, 1, NOW - 2 * DAY),
        "q5": ReviewState("q5", 1, 0, NOW + DAY),  # not due yet
        "elsewhere": ReviewState("elsewhere", 1, 0, NOW - DAY),  # another bank's question
        "q7": ReviewState("q7", 1, 4, None),  # left the queue
    }
    drawn = draw(
        bank, previous_attempt=["q3"], reviews=reviews, now=NOW, rng=random.Random(5), count=6
    )
    ids = [item.question_id for item in drawn]
    assert ids[:2] == ["q12", "q3"]
    assert len(set(ids)) == 6 and "elsewhere" not in ids
    assert "q7" not in ids[:2]


def test_draw_rejects_bad_arguments() -> None:
    bank = bank_of(["easy"] * 3)
    with pytest.raises(ValueError):
        draw(bank, previous_attempt=[], reviews={}, now=NOW, rng=random.Random(), count=0)
    with pytest.raises(ValueError):
        draw(bank, previous_attempt=[], reviews={}, now=datetime(2025, 1, 1), rng=random.Random())


def test_the_review_ladder() -> None:
    state = update_review(None, False, NOW, question_id="q")
    assert state == ReviewState("q", misses=1, streak=0, due_at=NOW + DAY)
    at = NOW
    for step, gap in enumerate((3, 10, 30), start=1):
        at = state.due_at or at
        state = update_review(state, True, at)
        assert (state.streak, state.due_at) == (step, at + timedelta(days=gap))
        assert review_interval(state) == timedelta(days=gap)
    state = update_review(state, True, state.due_at or at)
    assert state.due_at is None and state.misses == 1
    assert review_interval(state) is None
    relapse = update_review(state, False, NOW + 100 * DAY)
    assert relapse == ReviewState("q", misses=2, streak=0, due_at=NOW + 101 * DAY)


def test_early_or_unqueued_correct_answers_change_nothing() -> None:
    missed = update_review(None, False, NOW, question_id="q")
    assert update_review(missed, True, NOW + timedelta(hours=2)) == missed
    fresh = update_review(None, True, NOW, question_id="q")
    assert fresh == ReviewState("q", 0, 0, None)
    early_miss = update_review(update_review(missed, True, NOW + DAY), False, NOW + 2 * DAY)
    assert (early_miss.streak, early_miss.due_at) == (0, NOW + 3 * DAY)
    with pytest.raises(ValueError):
        update_review(None, True, NOW)
    with pytest.raises(ValueError):
        update_review(missed, True, datetime(2025, 1, 1))


@given(delays=st.lists(st.integers(0, 10_000), min_size=4, max_size=4))
def test_review_intervals_grow(delays: list[int]) -> None:
    state = update_review(None, False, NOW, question_id="q")
    gaps = [state.due_at - NOW if state.due_at else None]
    for late_minutes in delays:
        assert state.due_at is not None
        answered = state.due_at + timedelta(minutes=late_minutes)
        state = update_review(state, True, answered)
        gaps.append(state.due_at - answered if state.due_at else None)
    assert gaps[4] is None
    steps = [gap for gap in gaps if gap is not None]
    assert steps == list(REVIEW_INTERVALS)
    assert all(shorter < longer for shorter, longer in itertools.pairwise(steps))


def test_cooldown() -> None:
    hour = timedelta(hours=1)
    assert cooldown_left(None, NOW, hour) is None
    assert cooldown_left(NOW - timedelta(minutes=20), NOW, hour) == timedelta(minutes=40)
    assert cooldown_left(NOW - hour, NOW, hour) is None
    assert cooldown_left(NOW - 2 * hour, NOW, hour) is None
    with pytest.raises(ValueError):
        cooldown_left(datetime(2025, 8, 19, 7, 0), NOW, hour)


@given(
    mix=st.tuples(st.integers(0, 30), st.integers(0, 30), st.integers(0, 30)).filter(
        lambda m: sum(m) >= 1
    ),
    count=st.integers(1, 12),
    seed=st.integers(0, 2**32 - 1),
)
def test_an_attempt_follows_the_bank_mix_by_largest_remainders(
    mix: tuple[int, int, int], count: int, seed: int
) -> None:
    """With enough unseen questions of every level, each level gets its share rounded down
    and the places left go to the largest remainders."""
    levels = [level for level, n in zip(DIFFICULTIES, mix, strict=True) for _ in range(n * 4)]
    bank = bank_of(levels, per_attempt=count)
    drawn = draw(bank, previous_attempt=[], reviews={}, now=NOW, rng=random.Random(seed))
    got = Counter(bank.question(item.question_id).difficulty for item in drawn)
    assert sum(got.values()) == min(count, len(levels))
    exact = {level: count * n / sum(mix) for level, n in zip(DIFFICULTIES, mix, strict=True)}
    raised = {level for level in DIFFICULTIES if got[level] == int(exact[level]) + 1}
    assert all(got[level] in (int(exact[level]), int(exact[level]) + 1) for level in DIFFICULTIES)
    kept = set(DIFFICULTIES) - raised
    if raised and kept:
        remainder = {level: exact[level] - int(exact[level]) for level in DIFFICULTIES}
        assert min(remainder[level] for level in raised) >= max(remainder[k] for k in kept)


def test_due_reviews_count_towards_the_mix() -> None:
    bank = bank_of(["easy"] * 60 + ["hard"] * 40, per_attempt=5)
    hard = [item.id for item in bank.questions if item.difficulty == "hard"][:2]
    reviews = {
        qid: ReviewState(qid, misses=1, streak=0, due_at=NOW - DAY * index)
        for index, qid in enumerate(hard)
    }
    reviews[hard[0]] = ReviewState(hard[0], misses=1, streak=0, due_at=NOW)  # due right now
    for seed in range(10):
        drawn = draw(bank, previous_attempt=[], reviews=reviews, now=NOW, rng=random.Random(seed))
        ids = [item.question_id for item in drawn]
        assert set(ids[:2]) == set(hard)
        levels = Counter(bank.question(qid).difficulty for qid in ids)
        assert levels == Counter({"easy": 3, "hard": 2})


def test_a_small_bank_never_repeats_a_due_review_within_an_attempt() -> None:
    bank = bank_of(["easy"] * 3, per_attempt=3)
    reviews = {"q0": ReviewState("q0", misses=1, streak=0, due_at=NOW - DAY)}
    drawn = draw(
        bank, previous_attempt=["q0", "q1", "q2"], reviews=reviews, now=NOW, rng=random.Random(3)
    )
    ids = [item.question_id for item in drawn]
    assert ids[0] == "q0" and sorted(ids) == ["q0", "q1", "q2"]


def test_times_must_be_aware_and_say_which() -> None:
    class NoOffset(tzinfo):
        def utcoffset(self, dt: datetime | None) -> timedelta | None:
            return None

    bank = bank_of(["easy"] * 3)
    for naive in (datetime(2025, 8, 19, 8, 0), datetime(2025, 8, 19, 8, 0, tzinfo=NoOffset())):
        with pytest.raises(ValueError, match=r"^now must be timezone-aware \(UTC\)$"):
            draw(bank, previous_attempt=[], reviews={}, now=naive, rng=random.Random(1))
        with pytest.raises(ValueError, match=r"^now must be timezone-aware"):
            cooldown_left(NOW, naive, DAY)
        with pytest.raises(ValueError, match=r"^last_finished_at must be timezone-aware"):
            cooldown_left(naive, NOW, DAY)
        with pytest.raises(ValueError, match=r"^now must be timezone-aware"):
            update_review(None, True, naive, question_id="q0")
    with pytest.raises(ValueError, match=r"^an attempt needs at least one question$"):
        draw(bank, previous_attempt=[], reviews={}, now=NOW, rng=random.Random(1), count=0)
    with pytest.raises(ValueError, match=r"^question_id is needed when there is no earlier state$"):
        update_review(None, True, NOW)
    with pytest.raises(ValueError, match=r"^total is smaller than the number of answers$"):
        score([True, True], pass_mark=50, total=1)
