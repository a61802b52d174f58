"""What the emulator remembers: users, chats, bots with their updates, messages, polls and files."""

from __future__ import annotations

import asyncio
import secrets
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bot.emulator.errors import ApiError, refused
from bot.emulator.limits import RateLimiter, RateLimits
from bot.emulator.models import Call, SentMessage, Violation

# Without allowed_updates Telegram sends every kind except these.
DEFAULT_EXCLUDED_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})


@dataclass
class UserRecord:
    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None

    def as_user(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        for key in ("last_name", "username", "language_code"):
            value = getattr(self, key)
            if value is not None:
                data[key] = value
        return data


@dataclass
class ChatRecord:
    id: int
    type: str
    title: str | None = None
    username: str | None = None
    user: UserRecord | None = None
    members: set[int] = field(default_factory=set)

    @property
    def is_private(self) -> bool:
        return self.type == "private"

    def as_chat(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "type": self.type}
        if self.user is not None:
            data.update({k: v for k, v in self.user.as_user().items() if k in _PRIVATE_CHAT_KEYS})
        if self.title is not None:
            data["title"] = self.title
        if self.username is not None:
            data["username"] = self.username
        return data


_PRIVATE_CHAT_KEYS = ("first_name", "last_name", "username")


@dataclass
class PollRecord:
    id: str
    chat_id: int
    message_id: int
    data: dict[str, Any]
    votes: dict[int, list[int]] = field(default_factory=dict)


@dataclass
class CallbackRecord:
    id: str
    user_id: int
    chat_id: int
    message_id: int
    data: str
    answer: dict[str, Any] | None = None


@dataclass
class StoredFile:
    file_id: str
    unique_id: str
    data: bytes | None
    filename: str | None
    mime_type: str | None
    path: str
    url: str | None = None


@dataclass
class Webhook:
    url: str
    secret_token: str | None = None
    max_connections: int = 40
    ip_address: str | None = None
    last_error_date: int | None = None
    last_error_message: str | None = None


class Pulse:
    """Wakes everyone waiting for a change; a waiter takes `event` and awaits it."""

    def __init__(self) -> None:
        self.event = asyncio.Event()

    def fire(self) -> None:
        event, self.event = self.event, asyncio.Event()
        event.set()


class BotState:
    """One bot (token): its update queue and what it sent."""

    def __init__(self, token: str | None, username: str, first_name: str) -> None:
        self.token = token
        self.id = int(token.split(":", 1)[0]) if token else 0
        self.username = username
        self.first_name = first_name
        self.updates: deque[dict[str, Any]] = deque()
        # Telegram's ids go on from where they were, per bot; a fresh emulator must not start
        # again at 1, or a bot keeping its database would take new updates for ones it handled.
        self.next_update_id = secrets.randbelow(2**31 - 2**24) + 1
        self.allowed_updates: frozenset[str] | None = None
        self.poll_generation = 0
        self.webhook: Webhook | None = None
        self.sent: dict[int, list[SentMessage]] = {}
        self.by_id: dict[tuple[int, int], SentMessage] = {}
        self.user_messages: dict[tuple[int, int], dict[str, Any]] = {}
        self.next_message_id: dict[int, int] = {}
        self.blocked: set[int] = set()
        self.commands: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.callbacks: dict[str, CallbackRecord] = {}
        self.polls: dict[str, PollRecord] = {}
        self.texts: dict[tuple[str, str], str] = {}
        self.menu_buttons: dict[int | None, dict[str, Any]] = {}
        self.wake = Pulse()

    def bind(self, token: str) -> None:
        self.token = token
        self.id = int(token.split(":", 1)[0])
        # Block/unblock updates queued before the bot's first call name the bot itself.
        for update in self.updates:
            member_update = update.get("my_chat_member")
            if member_update is not None:
                for side in ("old_chat_member", "new_chat_member"):
                    member_update[side]["user"] = self.as_user()

    def as_user(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "is_bot": True,
            "first_name": self.first_name,
            "username": self.username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    def take_message_id(self, chat_id: int) -> int:
        value = self.next_message_id.get(chat_id, 1)
        self.next_message_id[chat_id] = value + 1
        return value

    def accepts(self, kind: str) -> bool:
        if self.allowed_updates is None:
            return kind not in DEFAULT_EXCLUDED_UPDATES
        return kind in self.allowed_updates


@dataclass
class Counters:
    calls: Counter[str] = field(default_factory=Counter)
    too_many_requests: int = 0
    accepted_per_chat: Counter[int] = field(default_factory=Counter)
    send_times: list[tuple[float, int, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "calls": dict(self.calls),
            "too_many_requests": self.too_many_requests,
            "accepted_per_chat": {str(k): v for k, v in self.accepted_per_chat.items()},
            "sends": len(self.send_times),
            "send_times": [list(item) for item in self.send_times],
        }


class State:
    """Everything shared by the bots of one emulator."""

    def __init__(self, bot_username: str, rate_limits: RateLimits | None) -> None:
        self.bot_username = bot_username
        self.users: dict[int, UserRecord] = {}
        self.chats: dict[int, ChatRecord] = {}
        self.bots: dict[str, BotState] = {}
        self.unbound: BotState | None = None
        self.files: dict[str, StoredFile] = {}
        self.limiter = RateLimiter(rate_limits) if rate_limits else None
        self.counters = Counters()
        self.violations: list[Violation] = []
        self.calls: list[Call] = []
        self.changed = Pulse()
        self.sequence = 0
        self.callback_answers: dict[str, dict[str, Any]] = {}
        self.stopping = asyncio.Event()
        self.on_webhook: Callable[[BotState], None] | None = None

    def next_sequence(self) -> int:
        self.sequence += 1
        return self.sequence

    def notify(self) -> None:
        self.changed.fire()

    def bot_for_token(self, token: str) -> BotState:
        bot = self.bots.get(token)
        if bot is not None:
            return bot
        if self.unbound is not None:
            bot, self.unbound = self.unbound, None
            bot.bind(token)
        else:
            bot = BotState(token, self.bot_username, "Cảnh Giác")
        self.bots[token] = bot
        return bot

    def bot(self, token: str | None = None) -> BotState:
        """The bot a control call acts on: by token, or the only one there is."""
        if token is not None:
            return self.bot_for_token(token)
        if len(self.bots) == 1:
            return next(iter(self.bots.values()))
        if len(self.bots) > 1:
            raise ValueError("several bots are connected: pass token=")
        if self.unbound is None:
            self.unbound = BotState(None, self.bot_username, "Cảnh Giác")
        return self.unbound

    def all_bots(self) -> list[BotState]:
        bots = list(self.bots.values())
        if self.unbound is not None:
            bots.append(self.unbound)
        return bots

    def add_user(self, user: UserRecord) -> UserRecord:
        existing = self.users.get(user.id)
        if existing is not None:
            return existing
        self.users[user.id] = user
        self.chats[user.id] = ChatRecord(user.id, "private", user=user)
        return user

    def resolve_chat(self, chat_id: int | str) -> ChatRecord:
        if isinstance(chat_id, str):
            name = chat_id.removeprefix("@").lower()
            for candidate in self.chats.values():
                if candidate.username and candidate.username.lower() == name:
                    return candidate
            raise refused("chat not found")
        chat = self.chats.get(chat_id)
        if chat is None:
            raise refused("chat not found")
        return chat

    def queue_update(self, bot: BotState, kind: str, payload: dict[str, Any]) -> int | None:
        """Append an update for the bot unless its allowed_updates filter it out."""
        if not bot.accepts(kind):
            return None
        update_id = bot.next_update_id
        bot.next_update_id += 1
        bot.updates.append({"update_id": update_id, kind: payload})
        bot.wake.fire()
        self.notify()
        return update_id

    def check_send(self, bot: BotState, chat: ChatRecord) -> None:
        """Refusals that come before a send is accepted: blocked user, rate limits."""
        if chat.is_private and chat.id in bot.blocked:
            raise refused("bot was blocked by the user", 403)
        if self.limiter is None:
            return
        retry_after = self.limiter.acquire(bot.id, chat.id, chat.is_private, time.monotonic())
        if retry_after is not None:
            self.counters.too_many_requests += 1
            raise ApiError(
                429,
                f"Too Many Requests: retry after {retry_after}",
                parameters={"retry_after": retry_after},
            )
