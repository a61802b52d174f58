"""Helpers for end-to-end tests: a small organisation, invites, consent."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.chat_driver import ChatDriver
from bot.emulator import SentMessage
from bot.storage.models import InviteCode, Role, Unit
from bot.telegram.callbacks import AgeCb


@dataclass
class World:
    """A small organisation to test against."""

    unit: Unit
    child: Unit
    other: Unit


async def add_invite(
    session: AsyncSession,
    code: str,
    unit: Unit,
    role: Role = Role.LEARNER,
    *,
    uses_left: int | None = None,
    expires_at: datetime | None = None,
) -> None:
    assert unit.id is not None
    session.add(
        InviteCode(
            code=code, unit_id=unit.id, role=role.value, uses_left=uses_left, expires_at=expires_at
        )
    )
    await session.commit()


async def consent(chat: ChatDriver) -> None:
    """Open the bot, agree to the data notice and say you are 18 or older."""
    await chat.send("/start")
    await chat.press("✅")
    await answer_age(chat, minor=False)


async def answer_age(chat: ChatDriver, *, minor: bool) -> list[SentMessage]:
    """Answer the notice's "under 18?" question (in any language)."""
    question = chat.last_with_buttons()
    assert question is not None, "no age question"
    return await chat.press_data(question, AgeCb(minor=minor).pack())


async def join(chat: ChatDriver, code: str) -> None:
    await consent(chat)
    replies = await chat.send(f"/start {code}")
    assert replies, "no answer to the invite"
