"""Constants and types shared by the emulator tests."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

TOKEN = "123456:TEST-token_abc"
USER = 1001

CallApi = Callable[..., Awaitable[tuple[int, dict[str, Any]]]]
