"""Whether a person is in a group chat right now: asked of Telegram, remembered for a while.

A quiz poll forwarded to another chat is still the same poll, and answers given there reach
the bot like any other; only the group's own members count on its leaderboard.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError

IN_CHAT = {"creator", "administrator", "member"}


class ChatMembers:
    """`is_member` answers from a small cache, else from `getChatMember`."""

    def __init__(
        self,
        bot: Bot,
        *,
        ttl: float = 600.0,
        size: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.bot = bot
        self.ttl = ttl
        self.size = size
        self.clock = clock
        self._known: OrderedDict[tuple[int, int], tuple[bool, float]] = OrderedDict()

    async def is_member(self, chat_id: int, user_id: int) -> bool:
        key = (chat_id, user_id)
        known = self._known.get(key)
        if known is not None and known[1] > self.clock():
            return known[0]
        try:
            member = await self.bot.get_chat_member(chat_id, user_id)
        except TelegramAPIError:
            return False  # the bot left the chat, or Telegram does not know the person there
        inside = member.status in IN_CHAT or bool(getattr(member, "is_member", False))
        self._known[key] = (inside, self.clock() + self.ttl)
        self._known.move_to_end(key)
        while len(self._known) > self.size:
            self._known.popitem(last=False)
        return inside
