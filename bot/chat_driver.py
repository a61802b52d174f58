"""Drive the bot through the emulator as a person would: write, wait until handled, read replies.

The sandbox and the end-to-end tests share it, so what a person sees in the sandbox is what the
tests check.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import ErrorEvent, TelegramObject

from bot.domain.text import classic_tones
from bot.emulator import Emulator, SentMessage


class UpdateTracker(BaseMiddleware):
    """Counts updates the dispatcher has finished handling.

    An outer middleware on `update` and on `error`: an update whose handler raised is counted
    once the error handler has dealt with it, so a test sees what the person was told.
    """

    def __init__(self) -> None:
        self.handled = 0
        self.expected = 0
        self._changed = asyncio.Condition()

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        if isinstance(event, ErrorEvent):
            try:
                return await handler(event, data)
            finally:
                await self._count()
        result = await handler(event, data)  # a raise is counted by the error handler's turn
        await self._count()
        return result

    async def _count(self) -> None:
        async with self._changed:
            self.handled += 1
            self._changed.notify_all()

    async def wait_for(self, count: int, within: float) -> None:
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: self.handled >= count), within)

    async def queued(self, within: float = 10.0, count: int = 1) -> None:
        """`count` more updates were queued: wait until they (and all before) are handled."""
        self.expected += count
        await self.wait_for(self.expected, within)


def plain_text(message: SentMessage) -> str:
    """What a person reads (the emulator keeps text after entity parsing)."""
    return message.text or message.caption or ""


def is_link(target: str | None) -> bool:
    return target is not None and target.startswith(("http://", "https://", "tg://"))


class ChatDriver:
    """One person chatting with the bot in a private chat (or in a group, as a member)."""

    def __init__(
        self,
        emulator: Emulator,
        tracker: UpdateTracker,
        *,
        user_id: int,
        chat_id: int | None = None,
        first_name: str = "Lan",
        language_code: str = "vi",
        timeout: float = 10.0,
    ) -> None:
        self.emulator = emulator
        self.tracker = tracker
        self.user_id = user_id
        self.chat_id = chat_id if chat_id is not None else user_id
        self.timeout = timeout
        emulator.add_user(user_id, first_name=first_name, language_code=language_code)
        self.last_query_id: str | None = None
        self._snapshot = self._state()

    def _state(self) -> dict[int, str]:
        return {m.message_id: self._fingerprint(m) for m in self.emulator.messages(self.chat_id)}

    @staticmethod
    def _fingerprint(message: SentMessage) -> str:
        return repr((message.text, message.caption, message.reply_markup, message.deleted))

    def changes(self) -> list[SentMessage]:
        """Messages sent or edited in this chat since the last call."""
        current = {m.message_id: m for m in self.emulator.messages(self.chat_id)}
        changed = [
            m for mid, m in current.items() if self._snapshot.get(mid) != self._fingerprint(m)
        ]
        self._snapshot = {mid: self._fingerprint(m) for mid, m in current.items()}
        return changed

    async def send(self, text: str) -> list[SentMessage]:
        self.changes()
        self.emulator.send_text(self.user_id, text, chat_id=self._group_id())
        await self.tracker.queued(self.timeout)
        return self.changes()

    async def send_together(self, text: str, times: int) -> list[SentMessage]:
        """Send `text` `times` times before the bot handles any of them (an impatient person,
        a flaky network); returns what changed once every copy is handled."""
        self.changes()
        for _ in range(times):
            self.emulator.send_text(self.user_id, text, chat_id=self._group_id())
        await self.tracker.queued(self.timeout, count=times)
        return self.changes()

    async def press(self, label: str, message: SentMessage | None = None) -> list[SentMessage]:
        """Press the button whose text contains `label` (in `message`, else the newest one).
        Tone marks may be placed either way: "Huỷ" finds "Hủy"."""
        target, data = self._button(label, message)
        return await self.press_data(target, data)

    async def press_together(
        self, label: str, times: int, message: SentMessage | None = None
    ) -> list[str]:
        """Press the button `times` times before the bot handles any press (a double tap)."""
        target, data = self._button(label, message)
        return await self.press_data_together(target, data, times)

    async def press_data(
        self, message: SentMessage, data: str, *, forged: bool = False
    ) -> list[SentMessage]:
        """Press with `data`; `forged` sends it even if no button of the message carries it."""
        self.changes()
        self.last_query_id = self.emulator.press_button(
            self.user_id, self.chat_id, message.message_id, data, forged=forged
        )
        await self.tracker.queued(self.timeout)
        return self.changes()

    def last_answer(self) -> dict[str, Any] | None:
        """The bot's `answerCallbackQuery` to the last press: its toast or alert, if any."""
        if self.last_query_id is None:
            return None
        return self.emulator.callback_answers.get(self.last_query_id)

    async def vote(self, poll: SentMessage, option_ids: list[int]) -> list[SentMessage]:
        """Answer a poll in this chat; waits until the bot has handled every update it made
        (a `poll_answer` and a `poll`, as far as the bot asked for them)."""
        if poll.poll is None:
            raise LookupError(f"message {poll.message_id} is not a poll")
        self.changes()
        bot = self.emulator.state.bot(None)
        before = bot.next_update_id
        self.emulator.answer_poll(self.user_id, poll.poll["id"], option_ids)
        for _ in range(bot.next_update_id - before):
            await self.tracker.queued(self.timeout)
        return self.changes()

    async def press_data_together(self, message: SentMessage, data: str, times: int) -> list[str]:
        """Press the button with `data` `times` times at once; the callback query ids, once
        every press is handled (`emulator.callback_answers` holds what each was told)."""
        self.changes()
        queries = [
            self.emulator.press_button(self.user_id, self.chat_id, message.message_id, data)
            for _ in range(times)
        ]
        await self.tracker.queued(self.timeout, count=times)
        return queries

    def _button(self, label: str, message: SentMessage | None) -> tuple[SentMessage, str]:
        target = message or self.last_with_buttons()
        if target is None:
            raise LookupError("no message with buttons in this chat")
        wanted = classic_tones(label)
        for row in target.buttons():
            for text, data in row:
                if wanted in classic_tones(text) and data is not None and not is_link(data):
                    return target, data
        raise LookupError(f"no button {label!r} in message {target.message_id}")

    def last_with_buttons(self) -> SentMessage | None:
        for message in reversed(self.emulator.messages(self.chat_id)):
            if not message.deleted and any(
                d and not is_link(d) for row in message.buttons() for _t, d in row
            ):
                return message
        return None

    def last_text(self) -> str:
        message = self.emulator.last_message(self.chat_id)
        return plain_text(message) if message else ""

    def _group_id(self) -> int | None:
        return None if self.chat_id == self.user_id else self.chat_id
