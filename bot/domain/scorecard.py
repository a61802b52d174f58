"""A unit's participation scorecard and tier, and how ledger rows read as quiz results.

The scorecard is a participation indicator. It supports, and does not replace, the official
recognition of Thông tư 124/2021/TT-BCA, whose only classification is "đạt / chưa đạt".

Score = the mean of four shares of the unit's members, times 100:
- enrolled: members who have given (and not withdrawn) consent;
- read: members who have read every core explainer (`CORE_EXPLAINERS`) by the period's end;
- passed: members who passed the core quiz (`CORE_QUIZ_BANK`) within the period;
- acknowledged: members who acknowledged at least one reminder within the period.
Tiers: with thresholds [80, 60, 40] a score of 80 or more is tier A, 60 or more B, 40 or more
C, anything lower D (one tier more than there are thresholds).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise

CORE_EXPLAINERS: tuple[str, ...] = ("chi-thi-07",)
CORE_QUIZ_BANK = "chi-thi-07"
DEFAULT_THRESHOLDS: tuple[int, ...] = (80, 60, 40)
DEFAULT_PASS_MARK = 70
TIER_LETTERS = "ABCDEFGHIJ"


def quiz_outcome(
    ref: str | None, value: float | None, pass_marks: Mapping[str, int]
) -> tuple[str, bool]:
    """(bank id, passed) of a `quiz_finished` ledger row.

    The quiz service writes ref `<bank>:passed` or `<bank>:failed` and the percent as value.
    A bare `<bank>` ref is read against the bank's pass mark, so either convention counts.
    """
    head = ref or ""
    bank, _, outcome = head.rpartition(":")
    if outcome in ("passed", "failed") and bank:
        return bank, outcome == "passed"
    mark = pass_marks.get(head, DEFAULT_PASS_MARK)
    return head, value is not None and value >= mark


@dataclass(frozen=True)
class ScorecardCounts:
    """Distinct members of a unit and how many of them did each thing."""

    members: int
    enrolled: int
    read_core: int
    passed_core: int
    acknowledged: int


@dataclass(frozen=True)
class Scorecard:
    counts: ScorecardCounts
    score: float | None  # 0-100; None for a unit without members
    tier: str | None

    def share(self, part: int) -> float | None:
        return part / self.counts.members if self.counts.members else None

    @property
    def enrolled_share(self) -> float | None:
        return self.share(self.counts.enrolled)

    @property
    def read_share(self) -> float | None:
        return self.share(self.counts.read_core)

    @property
    def passed_share(self) -> float | None:
        return self.share(self.counts.passed_core)

    @property
    def acknowledged_share(self) -> float | None:
        return self.share(self.counts.acknowledged)


def checked_thresholds(thresholds: Sequence[int]) -> tuple[int, ...]:
    """Thresholds best first, each within 0-100; a bad list falls back to the defaults."""
    values = tuple(int(t) for t in thresholds)
    if (
        not values
        or len(values) >= len(TIER_LETTERS)
        or any(not 0 <= t <= 100 for t in values)
        or any(a <= b for a, b in pairwise(values))
    ):
        return DEFAULT_THRESHOLDS
    return values


def tier_for(score: float, thresholds: Sequence[int] = DEFAULT_THRESHOLDS) -> str:
    limits = checked_thresholds(thresholds)
    for index, limit in enumerate(limits):
        if score >= limit:
            return TIER_LETTERS[index]
    return TIER_LETTERS[len(limits)]


def score_of(counts: ScorecardCounts, thresholds: Sequence[int] = DEFAULT_THRESHOLDS) -> Scorecard:
    if counts.members <= 0:
        return Scorecard(counts, None, None)
    parts = (counts.enrolled, counts.read_core, counts.passed_core, counts.acknowledged)
    shares = [min(part, counts.members) / counts.members for part in parts]
    score = round(100 * sum(shares) / len(shares), 1)
    return Scorecard(counts, score, tier_for(score, thresholds))


def display_name(first_name: str | None, last_name: str | None) -> str:
    """The name as Telegram shows it: first name, then last name."""
    return " ".join(f"{first_name or ''} {last_name or ''}".split())


def initials(first_name: str | None, last_name: str | None) -> str:
    """`Nguyễn Văn An` → `N.V.A.`: what an honour roll shows unless the person opted in."""
    words = display_name(first_name, last_name).split()
    return "".join(f"{word[0].upper()}." for word in words) or "—"
