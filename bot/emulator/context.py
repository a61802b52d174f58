"""What a method handler gets: the shared state, the calling bot and the checked parameters."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.emulator.checks import Prepared
from bot.emulator.request import RawParams
from bot.emulator.spec import MethodSpec
from bot.emulator.state import BotState, State


@dataclass
class Context:
    state: State
    bot: BotState
    method: MethodSpec
    params: dict[str, Any]
    raw: RawParams
    prepared: Prepared

    @staticmethod
    def now() -> int:
        return int(time.time())


# A handler returns the call's result, or an awaitable of it (long polling).
Handler = Callable[[Context], Any]
