"""Injected faults: server errors, hanging answers, garbled answers and added latency."""

from __future__ import annotations

import random
from collections.abc import Collection
from dataclasses import dataclass

# What a garbled answer looks like, as a broken proxy or server in front of the Bot API sends:
# "status": an HTTP status line no client can parse; "json": a cut-off JSON body;
# "html": an HTML error page where JSON was expected.
GARBLES = ("status", "json", "html")


@dataclass
class Fault:
    """A rule that hits the next `remaining` matching calls.

    `status` answers at once with that error; `hang` holds the answer for
    `seconds` (None: until the emulator stops) and, with `deliver`, still
    performs the call first, like a send whose answer is lost on the way back;
    `garble` answers with one of `GARBLES` instead of a Bot API answer, without effect.
    """

    remaining: int
    status: int = 500
    chat_id: int | None = None
    methods: frozenset[str] | None = None
    hang: bool = False
    seconds: float | None = None
    deliver: bool = False
    garble: str | None = None

    def matches(self, method: str, chat_id: int | None) -> bool:
        if self.chat_id is not None and chat_id != self.chat_id:
            return False
        if self.methods is None:
            # Polling would otherwise swallow faults meant for the bot's sends.
            return method != "getUpdates"
        return method.lower() in self.methods


class Faults:
    def __init__(self) -> None:
        self.rules: list[Fault] = []
        self.latency_ms: tuple[float, float] = (0.0, 0.0)
        self.injected = 0

    def add(
        self,
        n: int,
        *,
        status: int = 500,
        chat_id: int | None = None,
        methods: Collection[str] | None = None,
        hang: bool = False,
        seconds: float | None = None,
        deliver: bool = False,
        garble: str | None = None,
    ) -> None:
        if garble is not None and garble not in GARBLES:
            raise ValueError(f"garble must be one of {', '.join(GARBLES)}")
        if n <= 0:
            return
        names = frozenset(m.lower() for m in methods) if methods is not None else None
        self.rules.append(Fault(n, status, chat_id, names, hang, seconds, deliver, garble))

    def take(self, method: str, chat_id: int | None) -> Fault | None:
        for rule in self.rules:
            if rule.remaining > 0 and rule.matches(method, chat_id):
                rule.remaining -= 1
                if rule.remaining == 0:
                    self.rules.remove(rule)
                self.injected += 1
                return rule
        return None

    def clear(self) -> None:
        self.rules.clear()

    def set_latency(self, min_ms: float, max_ms: float | None = None) -> None:
        high = min_ms if max_ms is None else max_ms
        if min_ms < 0 or high < min_ms:
            raise ValueError("latency needs 0 <= min_ms <= max_ms")
        self.latency_ms = (float(min_ms), float(high))

    def delay(self) -> float:
        """Seconds to add to one answer."""
        low, high = self.latency_ms
        if high <= 0:
            return 0.0
        return random.uniform(low, high) / 1000.0
