"""What a unit report holds: figures per unit and period, trend points, people, honour rolls.

Plain data, filled by `bot.services.stats` and rendered by the chat views, the chart, the
spreadsheet and the CSV/JSON writers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from bot.domain.periods import Bucket, Period
from bot.domain.scorecard import Scorecard


@dataclass(frozen=True)
class UnitRef:
    id: int
    code: str
    name: str
    kind: str


@dataclass
class Figures:
    """One unit (with its subtree) over one stretch of days."""

    members: int = 0
    active: int = 0
    lesson_reads: int = 0
    quiz_started: int = 0
    quiz_finished: int = 0
    quiz_passed: int = 0
    score_sum: float = 0.0
    reminder_acks: int = 0
    broadcast_acks: int = 0
    scorecard: Scorecard | None = None

    @property
    def pass_rate(self) -> float | None:
        """Percent of finished quiz attempts that passed."""
        return 100 * self.quiz_passed / self.quiz_finished if self.quiz_finished else None

    @property
    def average_score(self) -> float | None:
        return self.score_sum / self.quiz_finished if self.quiz_finished else None


@dataclass
class UnitRow:
    unit: UnitRef
    figures: Figures
    by_bucket: list[Figures] = field(default_factory=list)


@dataclass
class UnitReport:
    """`/thongke`: the unit (its whole subtree) and each child unit."""

    unit: UnitRef
    period: Period
    total: UnitRow
    children: list[UnitRow]
    generated_at: datetime
    can_see_people: bool = False
    buckets: list[Bucket] = field(default_factory=list)


@dataclass(frozen=True)
class TrendPoint:
    week_start: date
    week_end: date
    active: int
    quiz_finished: int
    quiz_passed: int

    @property
    def pass_rate(self) -> float | None:
        return 100 * self.quiz_passed / self.quiz_finished if self.quiz_finished else None


@dataclass(frozen=True)
class Trend:
    unit: UnitRef
    period: Period
    points: list[TrendPoint]


@dataclass(frozen=True)
class PersonRow:
    """One member's participation; only officers of the unit (and admins) see these."""

    user_id: int
    name: str
    username: str | None
    units: str
    roles: str
    consented: bool
    active_days: int
    lesson_reads: int
    quiz_finished: int
    quiz_passed: int
    average_score: float | None
    reminder_acks: int
    broadcast_acks: int


@dataclass
class ChildSheet:
    """A child unit in the export: its own children's figures and, if allowed, its members."""

    unit: UnitRef
    rows: list[UnitRow]
    people: list[PersonRow] | None


@dataclass
class ExportData:
    report: UnitReport
    sheets: list[ChildSheet]
    thresholds: tuple[int, ...]
    people_omitted: int = 0  # members not listed because the unit is too large


@dataclass(frozen=True)
class HonouredUnit:
    unit: UnitRef
    score: float
    tier: str


@dataclass(frozen=True)
class HonouredLearner:
    label: str  # the name if the person allowed it, else initials
    quiz_passed: int
    average_score: float | None


@dataclass(frozen=True)
class HonourRoll:
    unit: UnitRef
    period: Period
    units: list[HonouredUnit]
    learners: list[HonouredLearner]
