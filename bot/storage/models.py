"""SQLModel tables: people, units, memberships, invites and the participation ledger.

Times are aware UTC datetimes (`bot.storage.clock.utcnow()`), shown in the unit's time zone.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from bot.storage.clock import utcnow


class Role(StrEnum):
    """What a member may do inside a unit subtree; later members outrank earlier ones."""

    LEARNER = "learner"
    TRAINER = "trainer"
    OFFICER = "officer"
    ADMIN = "admin"


class UnitKind(StrEnum):
    PROVINCE = "province"
    AGENCY = "agency"
    ENTERPRISE = "enterprise"
    SCHOOL = "school"
    DEPARTMENT = "department"
    CLASS = "class"


class User(SQLModel, table=True):
    """A Telegram user. Personal fields are filled only after consent and erased on request."""

    __tablename__ = "users"

    id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    first_name: str | None = Field(default=None, max_length=128)
    last_name: str | None = Field(default=None, max_length=128)
    username: str | None = Field(default=None, max_length=64)
    language: str = Field(default="vi", max_length=8)
    consent_at: datetime | None = None
    consent_version: int | None = None
    public_name: bool = False
    pending_start: str | None = Field(default=None, max_length=64)
    unreachable_at: datetime | None = None
    erased_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)

    @property
    def has_consented(self) -> bool:
        return self.consent_at is not None and self.erased_at is None


class Unit(SQLModel, table=True):
    """An agency, enterprise, school, department or class; units form a tree."""

    __tablename__ = "units"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True, index=True)
    name: str = Field(max_length=200)
    kind: str = Field(default=UnitKind.AGENCY.value, max_length=16)
    parent_id: int | None = Field(default=None, foreign_key="units.id", index=True)
    timezone: str = Field(default="Asia/Ho_Chi_Minh", max_length=64)
    created_at: datetime = Field(default_factory=utcnow)


ACTIVE_MEMBERSHIP = text("until IS NULL")


class Membership(SQLModel, table=True):
    """A user's role in a unit. `until` set means the membership has ended.

    A person holds a role in a unit at most once at a time (`uq_memberships_active`), so two
    redemptions or grants racing each other cannot both add it.
    """

    __tablename__ = "memberships"
    __table_args__ = (
        Index("ix_memberships_user_active", "user_id", "until"),
        Index(
            "uq_memberships_active",
            "user_id",
            "unit_id",
            "role",
            unique=True,
            sqlite_where=ACTIVE_MEMBERSHIP,
            postgresql_where=ACTIVE_MEMBERSHIP,
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(sa_column=Column(BigInteger, nullable=False, index=True))
    unit_id: int = Field(foreign_key="units.id", index=True)
    role: str = Field(default=Role.LEARNER.value, max_length=16)
    since: datetime = Field(default_factory=utcnow)
    until: datetime | None = None


class InviteCode(SQLModel, table=True):
    """A code that enrolls whoever redeems it into a unit with a role."""

    __tablename__ = "invite_codes"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True, index=True)
    unit_id: int = Field(foreign_key="units.id")
    role: str = Field(default=Role.LEARNER.value, max_length=16)
    expires_at: datetime | None = None
    uses_left: int | None = None
    created_by: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    created_at: datetime = Field(default_factory=utcnow)


class ParticipationEvent(SQLModel, table=True):
    """The append-only ledger. `key` makes each write idempotent."""

    __tablename__ = "participation_events"
    __table_args__ = (
        UniqueConstraint("key", name="uq_participation_events_key"),
        Index("ix_participation_unit_kind_at", "unit_id", "kind", "at"),
        Index("ix_participation_user_at", "user_id", "at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    unit_id: int = Field(foreign_key="units.id")
    kind: str = Field(max_length=32)
    ref: str | None = Field(default=None, max_length=64)
    value: float | None = None
    at: datetime = Field(default_factory=utcnow)
    key: str = Field(max_length=160)


class LessonView(SQLModel, table=True):
    """When a user first opened an explainer: "I have read" counts only after its minimum time."""

    __tablename__ = "lesson_views"
    __table_args__ = (UniqueConstraint("user_id", "explainer_id", name="uq_lesson_views_user"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    explainer_id: str = Field(max_length=64)
    opened_at: datetime = Field(default_factory=utcnow)


class QuizAttempt(SQLModel, table=True):
    """One run through a bank by one user; the plan and answers survive restarts."""

    __tablename__ = "quiz_attempts"
    __table_args__ = (Index("ix_quiz_attempts_user_bank", "user_id", "bank_id", "started_at"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    chat_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    bank_id: str = Field(max_length=64)
    status: str = Field(default="active", max_length=16)  # active | finished | abandoned
    plan: list[Any] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    answers: list[Any] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    position: int = 0
    message_id: int | None = None
    question_sent_at: datetime | None = None
    started_at: datetime = Field(default_factory=utcnow)
    finished_at: datetime | None = None
    correct: int | None = None
    total: int | None = None
    percent: float | None = None
    passed: bool | None = None


class QuizReview(SQLModel, table=True):
    """Spaced repetition: a question a user missed, and when it is due again."""

    __tablename__ = "quiz_reviews"

    user_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    question_id: str = Field(primary_key=True, max_length=64)
    bank_id: str = Field(max_length=64)
    misses: int = 0
    streak: int = 0
    due_at: datetime | None = None


class GroupQuizPoll(SQLModel, table=True):
    """A native quiz poll posted in a group; answers arrive later as `poll_answer` updates."""

    __tablename__ = "group_quiz_polls"

    poll_id: str = Field(primary_key=True, max_length=64)
    chat_id: int = Field(sa_column=Column(BigInteger, nullable=False, index=True))
    bank_id: str = Field(max_length=64)
    question_id: str = Field(max_length=64)
    correct: list[Any] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    message_id: int | None = None
    sent_at: datetime = Field(default_factory=utcnow)
