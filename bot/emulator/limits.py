"""Telegram's sending limits: overall per bot, per private chat, per group."""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass


@dataclass(frozen=True)
class RateLimits:
    """Limits on accepted sends; None switches one limit off.

    A private chat allows `private_burst` quick messages, then refills at
    `private_per_second`; groups and the whole bot use sliding windows.
    """

    global_per_second: float | None = 30
    private_per_second: float | None = 1
    private_burst: int = 3
    group_per_minute: int | None = 20


class _SlidingWindow:
    def __init__(self, size: float, window: float) -> None:
        self.size = size
        self.window = window
        self.times: deque[float] = deque()

    def wait(self, now: float) -> float:
        """Seconds until one more event fits (0 when it fits now)."""
        while self.times and self.times[0] <= now - self.window:
            self.times.popleft()
        if len(self.times) < self.size:
            return 0.0
        index = len(self.times) - int(self.size)
        return self.times[index] + self.window - now

    def record(self, now: float) -> None:
        self.times.append(now)


class _TokenBucket:
    def __init__(self, rate: float, capacity: int, now: float) -> None:
        self.rate = rate
        self.capacity = float(max(capacity, 1))
        self.tokens = self.capacity
        self.updated = now

    def wait(self, now: float) -> float:
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate

    def record(self, now: float) -> None:
        self.tokens -= 1


class RateLimiter:
    """Decides whether a send is accepted now, or how long to wait (Telegram's retry_after)."""

    def __init__(self, limits: RateLimits) -> None:
        self.limits = limits
        self._global: dict[int, _SlidingWindow] = {}
        self._private: dict[tuple[int, int], _TokenBucket] = {}
        self._groups: dict[tuple[int, int], _SlidingWindow] = {}

    def acquire(self, bot_id: int, chat_id: int, is_private: bool, now: float) -> int | None:
        """Record a send and return None, or return retry_after in whole seconds."""
        limits = self.limits
        gates: list[_SlidingWindow | _TokenBucket] = []
        if limits.global_per_second:
            window = self._global.get(bot_id)
            if window is None:
                window = self._global[bot_id] = _SlidingWindow(limits.global_per_second, 1.0)
            gates.append(window)
        if is_private and limits.private_per_second:
            bucket = self._private.get((bot_id, chat_id))
            if bucket is None:
                bucket = _TokenBucket(limits.private_per_second, limits.private_burst, now)
                self._private[(bot_id, chat_id)] = bucket
            gates.append(bucket)
        if not is_private and limits.group_per_minute:
            group = self._groups.get((bot_id, chat_id))
            if group is None:
                group = self._groups[(bot_id, chat_id)] = _SlidingWindow(
                    limits.group_per_minute, 60.0
                )
            gates.append(group)
        wait = max((gate.wait(now) for gate in gates), default=0.0)
        if wait > 0:
            return max(1, math.ceil(wait))
        for gate in gates:
            gate.record(now)
        return None
