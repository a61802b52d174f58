"""Outbox tables: broadcasts, the message bodies deliveries share, and one row per recipient.

`Delivery` is the outbox of every message the bot sends in bulk (broadcasts, reminders,
reports): a row is written before anything is sent and moves through

    pending ──claim──▶ pending (claimed_by set) ──▶ sending ──▶ sent
                                                       ├──▶ failed | blocked
                                                       └──▶ uncertain (sender died mid-send)
    pending ──▶ cancelled

`bot.delivery` owns these transitions; other code only enqueues rows and reads them.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, ForeignKey, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from bot.storage.clock import utcnow


class SourceKind(StrEnum):
    """What a delivery belongs to; `source_id` is that thing's id."""

    BROADCAST = "broadcast"
    REMINDER = "reminder"
    REPORT = "report"


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    BLOCKED = "blocked"
    UNCERTAIN = "uncertain"
    CANCELLED = "cancelled"


# A row in one of these states will not change any more.
FINAL_STATUSES = frozenset(
    {
        DeliveryStatus.SENT,
        DeliveryStatus.FAILED,
        DeliveryStatus.BLOCKED,
        DeliveryStatus.UNCERTAIN,
        DeliveryStatus.CANCELLED,
    }
)


class BroadcastStatus(StrEnum):
    ACTIVE = "active"  # scheduled or sending
    FINISHED = "finished"
    CANCELLED = "cancelled"


class Broadcast(SQLModel, table=True):
    """A trainer's message to the members of some units, as composed and confirmed."""

    __tablename__ = "broadcasts"
    __table_args__ = (UniqueConstraint("draft_token", name="uq_broadcasts_draft_token"),)

    id: int | None = Field(default=None, primary_key=True)
    created_by: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    unit_ids: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    content_kind: str = Field(default="text", max_length=16)  # text|photo|document|lesson|quiz
    body: str = Field(default="", sa_column=Column(Text, nullable=False))
    file_id: str | None = Field(default=None, max_length=256)
    link_ref: str | None = Field(default=None, max_length=64)
    ask_ack: bool = False
    silent: bool = False
    status: str = Field(default=BroadcastStatus.ACTIVE.value, max_length=16)
    recipients: int = 0
    scheduled_at: datetime | None = None
    status_chat_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    status_message_id: int | None = None
    created_at: datetime = Field(default_factory=utcnow)
    finished_at: datetime | None = None
    # The wizard's draft this broadcast was made from: a second "Send" finds it made.
    draft_token: str | None = Field(default=None, max_length=32)


class DeliveryContent(SQLModel, table=True):
    """One message body (a `bot.delivery.render.Payload`) shared by many deliveries.

    A source has one content per language; `ledger_kind` names the participation event to
    log when a delivery of this content succeeds (None: log nothing).
    """

    __tablename__ = "delivery_contents"
    __table_args__ = (Index("ix_delivery_contents_source", "source_kind", "source_id"),)

    id: int | None = Field(default=None, primary_key=True)
    source_kind: str = Field(max_length=16)
    source_id: int
    language: str = Field(default="", max_length=8)
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    ledger_kind: str | None = Field(default=None, max_length=32)
    created_at: datetime = Field(default_factory=utcnow)


class Delivery(SQLModel, table=True):
    """One message to one chat: the outbox row. A chat gets a source's message at most once."""

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("source_kind", "source_id", "chat_id", name="uq_deliveries_source_chat"),
        Index("ix_deliveries_due", "status", "next_attempt_at"),
        Index("ix_deliveries_source_status", "source_kind", "source_id", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    source_kind: str = Field(max_length=16)
    source_id: int
    chat_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    # The person reached (None for a group chat): marked unreachable when they block the bot.
    user_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    content_id: int = Field(
        sa_column=Column(ForeignKey("delivery_contents.id", ondelete="CASCADE"), nullable=False)
    )
    # Units credited in the ledger for this delivery (and for its acknowledgment).
    unit_ids: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    status: str = Field(default=DeliveryStatus.PENDING.value, max_length=16)
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow)
    claimed_by: str | None = Field(default=None, max_length=64)
    claimed_at: datetime | None = None
    sent_at: datetime | None = None
    message_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    error: str | None = Field(default=None, max_length=200)
