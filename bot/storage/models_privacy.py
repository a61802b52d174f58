"""Privacy tables: a parent's or guardian's consent for a minor, and secrets the bot made itself.

A `GuardianConsent` row is written when a person under 18 agrees to the notice: it holds the
link's token until a guardian opens it and agrees (`guardian_id`, `agreed_at`: the proof, and
nothing more about the guardian). Until then the minor's consent is not given.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column
from sqlmodel import Field, SQLModel

from bot.storage.clock import utcnow


class GuardianConsent(SQLModel, table=True):
    """One guardian link of a minor, and the guardian's agreement once given."""

    __tablename__ = "guardian_consents"

    id: int | None = Field(default=None, primary_key=True)
    minor_id: int = Field(sa_column=Column(BigInteger, nullable=False, index=True))
    token: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    guardian_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    agreed_at: datetime | None = None


class AppSecret(SQLModel, table=True):
    """A secret generated once and kept for every replica (the pseudonym key when
    PSEUDONYM_KEY is not set)."""

    __tablename__ = "app_secrets"

    name: str = Field(primary_key=True, max_length=32)
    value: str = Field(max_length=128)
    created_at: datetime = Field(default_factory=utcnow)
