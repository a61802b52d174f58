"""One Bot API call from parameters to answer: validation, faults, behaviour, bookkeeping."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import re
import time
from dataclasses import dataclass
from typing import Any

from bot.emulator import botinfo, messaging, polls, updates
from bot.emulator.checks import check_call
from bot.emulator.context import Context, Handler
from bot.emulator.errors import ApiError
from bot.emulator.faults import Fault, Faults
from bot.emulator.models import Call, Violation
from bot.emulator.request import RawParams, Upload
from bot.emulator.spec import MethodSpec
from bot.emulator.state import State
from bot.emulator.validate import Validator

TOKEN = re.compile(r"\d{1,20}:[A-Za-z0-9_-]{1,100}")
HANDLERS: dict[str, Handler] = {
    **messaging.HANDLERS,
    **polls.HANDLERS,
    **updates.HANDLERS,
    **botinfo.HANDLERS,
}
_SERVER_ERRORS = {500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable"}
Answer = tuple[int, dict[str, Any]]


@dataclass(frozen=True)
class Garbled:
    """An answer that is not the Bot API's: the server writes it as `kind` (see `GARBLES`)."""

    kind: str


def _loggable(params: dict[str, Any]) -> dict[str, Any]:
    return {
        key: f"<file {value.filename} {len(value.data)} bytes>"
        if isinstance(value, Upload)
        else value
        for key, value in params.items()
    }


def _chat_hint(raw: RawParams) -> int | None:
    value = raw.values.get("chat_id", "")
    return int(value) if re.fullmatch(r"-?\d+", value) else None


class Api:
    def __init__(self, state: State, validator: Validator, faults: Faults) -> None:
        self.state = state
        self.validator = validator
        self.faults = faults
        self.check_results = False
        self.allowed_tokens: frozenset[str] | None = None

    def token_ok(self, token: str) -> bool:
        if not TOKEN.fullmatch(token):
            return False
        return self.allowed_tokens is None or token in self.allowed_tokens

    async def execute(
        self, token: str, name: str, raw: RawParams, *, faults: bool = True
    ) -> Answer | Garbled:
        """Answer one call; `faults` off for calls that did not come over HTTP."""
        state = self.state
        if not self.token_ok(token):
            return 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
        bot = state.bot_for_token(token)
        method = self.validator.spec.method(name)
        if method is None:
            error = ApiError(404, "Not Found", violation=True, kind="unknown_method")
            return self._finish(token, name, raw.summary(), error)
        state.counters.calls[method.name] += 1
        fault = self.faults.take(method.name, _chat_hint(raw)) if faults else None
        if fault is not None and not (fault.hang and fault.deliver):
            return await self._fault(token, method, raw, fault)
        params: dict[str, Any] = raw.summary()
        try:
            params = self.validator.validate_call(method, raw)
            prepared = check_call(method, params)
            ctx = Context(state, bot, method, params, raw, prepared)
            result = HANDLERS.get(method.name, _fallback)(ctx)
            if inspect.isawaitable(result):
                result = await result
            if self.check_results:
                self.validator.check_result(result, method.returns)
        except ApiError as error:
            answer = self._finish(token, method.name, _loggable(params), error)
        else:
            answer = self._finish(token, method.name, _loggable(params), result)
        if fault is not None:
            await self._hold(fault)
        return answer

    def execute_error(self, token: str, name: str, error: ApiError) -> Answer:
        """Answer a call whose body could not even be decoded."""
        if not self.token_ok(token):
            return 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
        method = self.validator.spec.method(name)
        if method is None:
            error = ApiError(404, "Not Found", violation=True, kind="unknown_method")
        return self._finish(token, method.name if method else name, {}, error)

    def _finish(self, token: str, method: str, params: dict[str, Any], outcome: Any) -> Answer:
        now = time.time()
        if isinstance(outcome, ApiError):
            if outcome.violation:
                self.state.violations.append(
                    Violation(method, outcome.description, params, outcome.kind, token, now)
                )
            self.state.calls.append(
                Call(method, params, outcome.status, now, token, outcome.description)
            )
            self.state.notify()
            return outcome.status, outcome.payload()
        self.state.calls.append(Call(method, params, 200, now, token))
        return 200, {"ok": True, "result": outcome}

    async def _hold(self, fault: Fault) -> None:
        stop = self.state.stopping
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=fault.seconds)

    async def _fault(
        self, token: str, method: MethodSpec, raw: RawParams, fault: Fault
    ) -> Answer | Garbled:
        if fault.garble is not None:
            description = f"garbled answer ({fault.garble})"
            self.state.calls.append(
                Call(method.name, raw.summary(), 0, time.time(), token, description)
            )
            self.state.notify()
            return Garbled(fault.garble)
        if fault.hang:
            await self._hold(fault)
            error = ApiError(504, "Gateway Timeout")
        else:
            description = _SERVER_ERRORS.get(fault.status, "Internal Server Error")
            error = ApiError(fault.status, description)
        return self._finish(token, method.name, raw.summary(), error)


def _fallback(ctx: Context) -> Any:
    """Methods without modelled behaviour: sends are still counted, the rest answer true."""
    if ctx.method.returns == ("Message",) and "chat_id" in ctx.params:
        return messaging.send_other(ctx)
    return True
