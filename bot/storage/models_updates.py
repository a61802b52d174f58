"""The record of Telegram updates being or having been handled, so each is handled once.

A row is written before an update is handled (`bot.storage.updates.claim`): a second delivery
of the same update, to this process or to another replica, finds it and is dropped. Telegram
keeps an undelivered update for at most a day, so rows older than that are pruned.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, Index
from sqlmodel import Field, SQLModel

from bot.storage.clock import utcnow


class ProcessedUpdate(SQLModel, table=True):
    __tablename__ = "processed_updates"
    __table_args__ = (Index("ix_processed_updates_handled_at", "handled_at"),)

    bot_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    update_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    handled_at: datetime = Field(default_factory=utcnow)
