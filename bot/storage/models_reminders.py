"""Reminder tables: what trainers schedule, and a claim for every time something fires.

A `Reminder` holds its schedule as plain columns (`bot.services.reminders.schedule_of` turns
them into a `bot.domain.schedules.Schedule`); `updated_at` moves on every change, which is how
a running scheduler notices a reminder added or edited elsewhere (the CLI, another replica).

`ReminderFire` is the claim that makes each fire happen once, across restarts and processes:
a fire is the insert of its row, and its `key` is unique. Its id is the `source_id` of the
deliveries it queues (`source_kind` "reminder", or "report" for monthly reports), so each
fire is a separate source of the outbox. Keys:
- scheduled fire  `r<reminder>@<fire_at, UTC, to the second>` (one per reminder and time)
- snooze          `snooze:<fire>:<user>`      (a learner snoozes a fire once)
- test to self    `test:<reminder>:<user>:<now>`
- campaign offer  `offer:<campaign>:<year>`   (trainers are offered the series once a year)
- monthly report  `report:<YYYY-MM>:<unit>`
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import BigInteger, Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from bot.storage.clock import utcnow


class Audience(StrEnum):
    EVERYONE = "everyone"
    UNREAD = "unread"  # has not read explainer `audience_ref`
    UNPASSED = "unpassed"  # has not passed quiz bank `audience_ref`
    UNACKED = "unacked"  # has not acknowledged broadcast `audience_ref`


class MessageKind(StrEnum):
    TEXT = "text"
    EXPLAINER = "explainer"  # the text, and a deep link to explainer `link_ref`
    QUIZ = "quiz"  # the text, and a button that starts quiz bank `link_ref`


class FireKind(StrEnum):
    SCHEDULED = "scheduled"
    SNOOZE = "snooze"
    TEST = "test"
    OFFER = "offer"
    REPORT = "report"


class Reminder(SQLModel, table=True):
    """A scheduled reminder to the members of a unit and of the units below it."""

    __tablename__ = "reminders"
    __table_args__ = (
        UniqueConstraint("unit_id", "campaign", name="uq_reminders_unit_campaign"),
        UniqueConstraint("draft_token", name="uq_reminders_draft_token"),
        Index("ix_reminders_updated_at", "updated_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    unit_id: int = Field(foreign_key="units.id", index=True)
    audience: str = Field(default=Audience.EVERYONE.value, max_length=16)
    audience_ref: str | None = Field(default=None, max_length=64)
    message_kind: str = Field(default=MessageKind.TEXT.value, max_length=16)
    text: str = Field(default="", sa_column=Column(Text, nullable=False))
    link_ref: str | None = Field(default=None, max_length=64)
    # A built-in series step (e.g. "ngay-hoi-19-8:2026:d7"): its text is translated for each
    # learner at fire time instead of `text`.
    campaign: str | None = Field(default=None, max_length=64)
    schedule_kind: str = Field(max_length=16)
    once_at: datetime | None = None
    at_time: str | None = Field(default=None, max_length=5)  # HH:MM, local
    weekdays: str | None = Field(default=None, max_length=16)  # "0,2,4": 0 is Monday
    month_day: int | None = None
    cron: str | None = Field(default=None, max_length=100)
    timezone: str = Field(default="Asia/Ho_Chi_Minh", max_length=64)
    start_date: date | None = None
    end_date: date | None = None
    quiet_hours: str = Field(default="21:00-07:00", max_length=16)  # or "off"
    skip_holidays: bool = True
    paused: bool = False
    created_by: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    # Fires are owed from here on: set at creation and on resume, so a pause is not caught up.
    active_since: datetime = Field(default_factory=utcnow)
    deleted_at: datetime | None = None
    # The wizard's draft this reminder was made from: a second "Create" finds it made.
    draft_token: str | None = Field(default=None, max_length=32)


class ReminderFire(SQLModel, table=True):
    """One fire of a reminder (or a snooze, a test, an offer, a report); `key` is unique."""

    __tablename__ = "reminder_fires"
    __table_args__ = (
        UniqueConstraint("key", name="uq_reminder_fires_key"),
        Index("ix_reminder_fires_reminder_at", "reminder_id", "fire_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=96)
    kind: str = Field(default=FireKind.SCHEDULED.value, max_length=16)
    reminder_id: int | None = Field(default=None, foreign_key="reminders.id")
    unit_id: int | None = Field(default=None, foreign_key="units.id")
    fire_at: datetime
    user_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    origin_id: int | None = None  # a snooze: the fire it repeats
    recipients: int = 0
    created_at: datetime = Field(default_factory=utcnow)
