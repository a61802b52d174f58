"""The emulator object tests and tools drive: lifecycle, emulated users, inspection, faults."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Collection, Iterable
from pathlib import Path
from types import TracebackType
from typing import Any

from aiohttp import web

from bot.emulator import actors, odd_updates, polls
from bot.emulator.api import TOKEN, Api
from bot.emulator.faults import Faults
from bot.emulator.limits import RateLimiter, RateLimits
from bot.emulator.models import Call, SentMessage, Violation
from bot.emulator.request import RawParams
from bot.emulator.server import build_app
from bot.emulator.spec import Spec
from bot.emulator.state import BotState, ChatRecord, Counters, State, UserRecord
from bot.emulator.validate import Validator
from bot.emulator.webhook import WebhookSender


class Emulator:
    """A strict Telegram Bot API server on loopback, with a control API to act as users.

    Control methods taking `token` act on that bot; without it, on the only bot
    that has called so far (or on the first one to call, if none has yet).
    """

    def __init__(
        self,
        rate_limits: RateLimits | None = None,
        bot_username: str = "canhgiac_bot",
        spec_path: Path | None = None,
        *,
        tokens: Iterable[str] | None = None,
        check_results: bool = False,
        webhook_retries: int = 3,
    ) -> None:
        self.spec = Spec.load(spec_path)
        self.validator = Validator(self.spec)
        self.state = State(bot_username, rate_limits)
        self.faults = Faults()
        self.api = Api(self.state, self.validator, self.faults)
        self.api.check_results = check_results
        if tokens is not None:
            self.api.allowed_tokens = frozenset(tokens)
        self.webhooks = WebhookSender(self.state, self._execute_quietly, retries=webhook_retries)
        self.state.on_webhook = self.webhooks.ensure
        self._runner: web.AppRunner | None = None
        self._base_url: str | None = None

    # Lifecycle

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serve on host:port (0 picks a free port) and return the base URL."""
        if self._runner is not None:
            raise RuntimeError("the emulator is already running")
        self.state.stopping.clear()
        runner = web.AppRunner(build_app(self), handler_cancellation=True, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        await site.start()
        self._runner = runner
        bound_port = runner.addresses[0][1] if runner.addresses else port
        self._base_url = f"http://{host}:{bound_port}"
        return self._base_url

    async def stop(self) -> None:
        self.state.stopping.set()
        await self.webhooks.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Emulator:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        if self._base_url is None:
            raise RuntimeError("the emulator is not started")
        return self._base_url

    async def _execute_quietly(self, token: str, method: str, raw: RawParams) -> Any:
        return await self.api.execute(token, method, raw, faults=False)

    # What happened

    @property
    def violations(self) -> list[Violation]:
        return self.state.violations

    def clear_violations(self) -> None:
        self.state.violations.clear()

    def assert_no_violations(self) -> None:
        """Raise AssertionError listing every recorded violation, if there is any."""
        if self.state.violations:
            lines = [f"{v.method}: {v.description} {v.params}" for v in self.state.violations]
            raise AssertionError("Bot API violations:\n" + "\n".join(lines))

    @property
    def calls(self) -> list[Call]:
        return self.state.calls

    @property
    def callback_answers(self) -> dict[str, dict[str, Any]]:
        return self.state.callback_answers

    @property
    def counters(self) -> Counters:
        return self.state.counters

    def stats(self) -> dict[str, Any]:
        return {
            **self.state.counters.as_dict(),
            "violations": len(self.state.violations),
            "faults_injected": self.faults.injected,
            "webhook_deliveries": self.webhooks.delivered,
            "pending_updates": {str(bot.id): len(bot.updates) for bot in self.state.all_bots()},
        }

    def reset_stats(self) -> None:
        self.state.counters = Counters()
        self.state.calls.clear()

    # Users, groups, bots

    def add_bot(
        self, token: str, username: str | None = None, first_name: str | None = None
    ) -> dict[str, Any]:
        if not TOKEN.fullmatch(token):
            raise ValueError(f"not a bot token: {token!r}")
        bot = self.state.bot_for_token(token)
        if username is not None:
            bot.username = username
        if first_name is not None:
            bot.first_name = first_name
        return bot.as_user()

    def add_user(
        self,
        user_id: int,
        first_name: str = "An",
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "vi",
    ) -> dict[str, Any]:
        existing = self.state.users.get(user_id)
        if existing is not None:
            existing.first_name, existing.last_name = first_name, last_name
            existing.username, existing.language_code = username, language_code
            return existing.as_user()
        user = UserRecord(user_id, first_name, last_name, username, language_code)
        return self.state.add_user(user).as_user()

    def add_group(
        self, chat_id: int, title: str, username: str | None = None, kind: str | None = None
    ) -> dict[str, Any]:
        if chat_id >= 0:
            raise ValueError("group chat ids are negative")
        chat_type = kind or ("supergroup" if str(chat_id).startswith("-100") else "group")
        chat = self.state.chats.get(chat_id)
        if chat is None:
            chat = ChatRecord(chat_id, chat_type, title=title, username=username)
            self.state.chats[chat_id] = chat
        return chat.as_chat()

    def add_member(self, chat_id: int, user_id: int) -> None:
        chat = self.state.chats.get(chat_id)
        if chat is None or chat.is_private:
            raise LookupError(f"no group {chat_id}: call add_group first")
        actors.user_of(self.state, user_id)
        chat.members.add(user_id)

    # Acting as users

    def _bot(self, token: str | None) -> BotState:
        return self.state.bot(token)

    def send_text(
        self, user_id: int, text: str, chat_id: int | None = None, token: str | None = None
    ) -> dict[str, Any]:
        """The user writes `text` (in their private chat, or in group `chat_id`)."""
        return actors.send_text(self.state, self._bot(token), user_id, text, chat_id)

    def send_anonymous(
        self,
        chat_id: int,
        text: str,
        sender_chat_id: int | None = None,
        token: str | None = None,
    ) -> dict[str, Any]:
        """An anonymous admin of group `chat_id` writes `text` (or, with `sender_chat_id`,
        a channel writes it there): the message has no real user in `from`."""
        return actors.send_anonymous(self.state, self._bot(token), chat_id, text, sender_chat_id)

    def press_button(
        self,
        user_id: int,
        chat_id: int,
        message_id: int,
        data: str,
        token: str | None = None,
        *,
        forged: bool = False,
    ) -> str:
        """The user presses the inline button with `data`; returns the callback query id.

        `forged`: send `data` even if no button of the message carries it.
        """
        return actors.press_button(
            self.state, self._bot(token), user_id, chat_id, message_id, data, forged=forged
        )

    def send_attachment(
        self,
        user_id: int,
        kind: str,
        chat_id: int | None = None,
        caption: str | None = None,
        token: str | None = None,
    ) -> dict[str, Any]:
        """The user sends a sticker, photo, location, document or voice message."""
        return odd_updates.send_attachment(
            self.state, self._bot(token), user_id, kind, chat_id, caption
        )

    def send_contact(
        self, user_id: int, phone: str, chat_id: int | None = None, token: str | None = None
    ) -> dict[str, Any]:
        return odd_updates.send_contact(self.state, self._bot(token), user_id, phone, chat_id)

    def edit_text(
        self, user_id: int, chat_id: int, message_id: int, text: str, token: str | None = None
    ) -> dict[str, Any]:
        """The user edits a message they sent: an `edited_message` update."""
        return odd_updates.edit_text(
            self.state, self._bot(token), user_id, chat_id, message_id, text
        )

    def channel_post(self, chat_id: int, text: str, token: str | None = None) -> dict[str, Any]:
        return odd_updates.channel_post(self.state, self._bot(token), chat_id, text)

    def answer_poll(
        self, user_id: int, poll_id: str, option_ids: list[int], token: str | None = None
    ) -> None:
        """The user votes; anonymous polls give the bot a `poll` update only, like Telegram."""
        user = actors.user_of(self.state, user_id)
        polls.cast_vote(self.state, self._bot(token), user, poll_id, list(option_ids))

    def block(self, user_id: int, token: str | None = None) -> None:
        actors.set_blocked(self.state, self._bot(token), user_id, True)

    def unblock(self, user_id: int, token: str | None = None) -> None:
        actors.set_blocked(self.state, self._bot(token), user_id, False)

    # What the bot sent

    def messages(self, chat_id: int, token: str | None = None) -> list[SentMessage]:
        """Everything the bot sent to the chat, in order, edits applied, deleted ones flagged."""
        return list(self._bot(token).sent.get(chat_id, []))

    def last_message(self, chat_id: int, token: str | None = None) -> SentMessage | None:
        """The latest message of the bot in the chat that is not deleted."""
        for message in reversed(self._bot(token).sent.get(chat_id, [])):
            if not message.deleted:
                return message
        return None

    def pending_updates(self, token: str | None = None) -> int:
        return len(self._bot(token).updates)

    def updates(self, token: str | None = None) -> list[dict[str, Any]]:
        """Updates queued for the bot and not confirmed yet."""
        return list(self._bot(token).updates)

    async def wait_until(
        self,
        predicate: Callable[[], bool],
        timeout: float = 5.0,  # noqa: ASYNC109 - part of the documented API
    ) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not predicate():
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(f"condition not met within {timeout} s")
            event = self.state.changed.event
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), timeout=min(remaining, 0.05))

    async def wait_for_messages(
        self,
        chat_id: int,
        count: int,
        timeout: float = 5.0,  # noqa: ASYNC109 - part of the documented API
        token: str | None = None,
    ) -> list[SentMessage]:
        """Wait until the bot has sent at least `count` messages to the chat."""
        try:
            await self.wait_until(lambda: len(self.messages(chat_id, token)) >= count, timeout)
        except TimeoutError:
            got = [m.text or m.caption for m in self.messages(chat_id, token)]
            raise TimeoutError(
                f"chat {chat_id}: wanted {count} messages within {timeout} s, got {got}"
            ) from None
        return self.messages(chat_id, token)

    # Limits and faults

    def set_rate_limits(self, limits: RateLimits | None) -> None:
        self.state.limiter = RateLimiter(limits) if limits else None

    def fail_next(
        self,
        n: int,
        status: int = 500,
        chat_id: int | None = None,
        methods: Collection[str] | None = None,
    ) -> None:
        """The next `n` matching calls answer `status` without effect.

        Without `methods`, every method but getUpdates matches.
        """
        self.faults.add(n, status=status, chat_id=chat_id, methods=methods)

    def hang_next(
        self,
        n: int,
        chat_id: int | None = None,
        seconds: float | None = None,
        deliver: bool = False,
        methods: Collection[str] | None = None,
    ) -> None:
        """The next `n` matching calls get no answer for `seconds` (None: until stop).

        With `deliver`, the call still takes effect: a send whose answer is lost.
        """
        self.faults.add(
            n, chat_id=chat_id, methods=methods, hang=True, seconds=seconds, deliver=deliver
        )

    def garble_next(
        self,
        n: int,
        kind: str = "status",
        chat_id: int | None = None,
        methods: Collection[str] | None = None,
    ) -> None:
        """The next `n` matching calls get an answer that is not the Bot API's, without effect:
        an unparsable status line ("status"), a cut-off JSON body ("json") or an HTML error
        page ("html")."""
        self.faults.add(n, chat_id=chat_id, methods=methods, garble=kind)

    def clear_faults(self) -> None:
        self.faults.clear()

    def set_latency(self, min_ms: float, max_ms: float | None = None) -> None:
        """Delay every answer by min_ms (or a random time in [min_ms, max_ms])."""
        self.faults.set_latency(min_ms, max_ms)

    def file_bytes(self, file_id: str) -> bytes | None:
        stored = self.state.files.get(file_id)
        return stored.data if stored else None
