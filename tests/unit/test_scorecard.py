"""Scorecard tiers, thresholds, the quiz outcome convention and initials."""

from __future__ import annotations

import pytest

from bot.domain.scorecard import (
    DEFAULT_THRESHOLDS,
    ScorecardCounts,
    checked_thresholds,
    initials,
    quiz_outcome,
    score_of,
    tier_for,
)


@pytest.mark.parametrize(
    ("score", "tier"),
    [(100, "A"), (80, "A"), (79.9, "B"), (60, "B"), (40, "C"), (39.9, "D"), (0, "D")],
)
def test_default_tiers(score: float, tier: str) -> None:
    assert tier_for(score) == tier


def test_custom_and_bad_thresholds() -> None:
    assert tier_for(75, [90, 70]) == "B" and tier_for(10, [90, 70]) == "C"
    assert checked_thresholds([60, 80]) == DEFAULT_THRESHOLDS  # not best first
    assert checked_thresholds([120]) == DEFAULT_THRESHOLDS
    assert checked_thresholds([]) == DEFAULT_THRESHOLDS


def test_score_is_the_mean_of_four_shares() -> None:
    card = score_of(
        ScorecardCounts(members=10, enrolled=10, read_core=8, passed_core=6, acknowledged=4)
    )
    assert card.score == 70.0 and card.tier == "B"
    assert card.read_share == 0.8
    empty = score_of(ScorecardCounts(0, 0, 0, 0, 0))
    assert empty.score is None and empty.tier is None and empty.read_share is None


def test_quiz_outcome_reads_both_conventions() -> None:
    marks = {"chi-thi-07": 70}
    assert quiz_outcome("chi-thi-07:passed", 50, marks) == ("chi-thi-07", True)
    assert quiz_outcome("chi-thi-07:failed", 95, marks) == ("chi-thi-07", False)
    assert quiz_outcome("chi-thi-07", 70, marks) == ("chi-thi-07", True)
    assert quiz_outcome("chi-thi-07", 69, marks) == ("chi-thi-07", False)
    assert quiz_outcome("other", 70, marks) == ("other", True)  # default pass mark 70
    assert quiz_outcome(None, None, marks) == ("", False)


def test_initials() -> None:
    assert initials("An", "Nguyễn Văn") == "A.N.V."
    assert initials("lan", None) == "L."
    assert initials(None, None) == "—"
