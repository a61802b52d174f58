"""Rollups of the participation ledger, so unit reports do not scan millions of rows.

They hold nothing the ledger does not: `bot.storage.stats.refresh` folds ledger rows above a
high-water mark into them before every report, and `rebuild` recomputes them from scratch.

Rows written by one `ledger.record` call (one event, logged to each unit of the person) are one
*logical event*; its *unit set* is the sorted tuple of those units. Rollups are keyed by unit
set, so a subtree that holds two of a person's units counts the event once, while each of the
two units counts it too. Days are local calendar days (BOT_TIMEZONE) as date ordinals.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, Float, Index, Integer, LargeBinary
from sqlmodel import Field, SQLModel

# Composite keys, read in key order: on SQLite the rows live in the key's b-tree. Sums lead
# with the day (or month), since reports read ranges of days.
CLUSTERED = {"sqlite_with_rowid": False}


def _int_key() -> Column[int]:
    return Column(Integer, primary_key=True, autoincrement=False)


def _counter() -> Column[int]:
    return Column(Integer, nullable=False, default=0)


class StatsState(SQLModel, table=True):
    """One row (id 1): the last ledger id folded into the rollups."""

    __tablename__ = "stats_state"

    id: int = Field(sa_column=_int_key())
    last_event_id: int = Field(sa_column=Column(BigInteger, nullable=False, default=0))
    refreshed_at: datetime | None = None


class StatsUnitSet(SQLModel, table=True):
    """A set of units one logical event was logged to, as sorted comma-joined unit ids."""

    __tablename__ = "stats_unit_sets"

    id: int | None = Field(default=None, primary_key=True)
    units: str = Field(max_length=2000, unique=True)


class StatsSetDay(SQLModel, table=True):
    """Logical events per unit set and day."""

    __tablename__ = "stats_set_days"
    __table_args__ = CLUSTERED

    day: int = Field(sa_column=_int_key())
    set_id: int = Field(sa_column=_int_key())
    events: int = Field(sa_column=_counter())
    lesson_reads: int = Field(sa_column=_counter())
    quiz_started: int = Field(sa_column=_counter())
    quiz_finished: int = Field(sa_column=_counter())
    quiz_passed: int = Field(sa_column=_counter())
    score_sum: float = Field(sa_column=Column(Float, nullable=False, default=0.0))
    reminder_acks: int = Field(sa_column=_counter())
    broadcast_acks: int = Field(sa_column=_counter())


class StatsUserDay(SQLModel, table=True):
    """Logical events per unit set, person and day: per-person exports and honour rolls."""

    __tablename__ = "stats_user_days"
    __table_args__ = CLUSTERED

    day: int = Field(sa_column=_int_key())
    set_id: int = Field(sa_column=_int_key())
    user_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    events: int = Field(sa_column=_counter())
    lesson_reads: int = Field(sa_column=_counter())
    quiz_started: int = Field(sa_column=_counter())
    quiz_finished: int = Field(sa_column=_counter())
    quiz_passed: int = Field(sa_column=_counter())
    score_sum: float = Field(sa_column=Column(Float, nullable=False, default=0.0))
    reminder_acks: int = Field(sa_column=_counter())
    broadcast_acks: int = Field(sa_column=_counter())


class StatsSetMonth(SQLModel, table=True):
    """Logical events per unit set and calendar month (`month`: its first day): long periods
    read twelve rows a year instead of one a day."""

    __tablename__ = "stats_set_months"
    __table_args__ = CLUSTERED

    month: int = Field(sa_column=_int_key())
    set_id: int = Field(sa_column=_int_key())
    events: int = Field(sa_column=_counter())
    lesson_reads: int = Field(sa_column=_counter())
    quiz_started: int = Field(sa_column=_counter())
    quiz_finished: int = Field(sa_column=_counter())
    quiz_passed: int = Field(sa_column=_counter())
    score_sum: float = Field(sa_column=Column(Float, nullable=False, default=0.0))
    reminder_acks: int = Field(sa_column=_counter())
    broadcast_acks: int = Field(sa_column=_counter())


class StatsUserMonth(SQLModel, table=True):
    """Logical events per unit set, person and calendar month."""

    __tablename__ = "stats_user_months"
    __table_args__ = CLUSTERED

    month: int = Field(sa_column=_int_key())
    set_id: int = Field(sa_column=_int_key())
    user_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    events: int = Field(sa_column=_counter())
    lesson_reads: int = Field(sa_column=_counter())
    quiz_started: int = Field(sa_column=_counter())
    quiz_finished: int = Field(sa_column=_counter())
    quiz_passed: int = Field(sa_column=_counter())
    score_sum: float = Field(sa_column=Column(Float, nullable=False, default=0.0))
    reminder_acks: int = Field(sa_column=_counter())
    broadcast_acks: int = Field(sa_column=_counter())


class StatsUserActivity(SQLModel, table=True):
    """Per unit set and person: which days they did something (`bot.domain.periods.pack_days`).

    `active` holds days with any event, `reminded` days with a reminder acknowledgment,
    `core_passed` days with a pass of the core quiz, as offsets from `first_day`. "Who was
    active between two dates" is then one binary search per person, not a row per day.
    """

    __tablename__ = "stats_user_activity"
    __table_args__ = (Index("ix_stats_user_activity_user", "user_id"), CLUSTERED)

    set_id: int = Field(sa_column=_int_key())
    user_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    first_day: int = Field(sa_column=Column(Integer, nullable=False))
    active: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    reminded: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    core_passed: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class StatsFirstRead(SQLModel, table=True):
    """The first day a person read an explainer, per unit set; led by the explainer, since
    reports ask for the core ones."""

    __tablename__ = "stats_first_reads"
    __table_args__ = CLUSTERED

    explainer: str = Field(primary_key=True, max_length=64)
    set_id: int = Field(sa_column=_int_key())
    user_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    day: int = Field(sa_column=Column(Integer, nullable=False))
