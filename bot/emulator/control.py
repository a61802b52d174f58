"""The control API over HTTP under /_emulator/, for processes that did not start the emulator.

Every route takes and returns JSON: {"ok": true, "result": ...} or
{"ok": false, "description": "..."} with status 400.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from aiohttp import web

from bot.emulator.limits import RateLimits

if TYPE_CHECKING:
    from bot.emulator.emulator import Emulator

Action = Callable[["Emulator", dict[str, Any]], Any]


def _optional_int(value: Any) -> int | None:
    return None if value is None else int(value)


def _send_text(emu: Emulator, body: dict[str, Any]) -> Any:
    return emu.send_text(
        int(body["user_id"]),
        str(body["text"]),
        _optional_int(body.get("chat_id")),
        body.get("token"),
    )


def _press_button(emu: Emulator, body: dict[str, Any]) -> Any:
    query_id = emu.press_button(
        int(body["user_id"]),
        int(body["chat_id"]),
        int(body["message_id"]),
        str(body["data"]),
        body.get("token"),
    )
    return {"callback_query_id": query_id}


def _answer_poll(emu: Emulator, body: dict[str, Any]) -> Any:
    option_ids = [int(i) for i in body["option_ids"]]
    emu.answer_poll(int(body["user_id"]), str(body["poll_id"]), option_ids, body.get("token"))
    return True


def _block(emu: Emulator, body: dict[str, Any]) -> Any:
    emu.block(int(body["user_id"]), body.get("token"))
    return True


def _unblock(emu: Emulator, body: dict[str, Any]) -> Any:
    emu.unblock(int(body["user_id"]), body.get("token"))
    return True


def _add_user(emu: Emulator, body: dict[str, Any]) -> Any:
    return emu.add_user(
        int(body["user_id"]),
        first_name=body.get("first_name", "An"),
        last_name=body.get("last_name"),
        username=body.get("username"),
        language_code=body.get("language_code", "vi"),
    )


def _add_group(emu: Emulator, body: dict[str, Any]) -> Any:
    return emu.add_group(int(body["chat_id"]), str(body["title"]), body.get("username"))


def _add_member(emu: Emulator, body: dict[str, Any]) -> Any:
    emu.add_member(int(body["chat_id"]), int(body["user_id"]))
    return True


def _messages(emu: Emulator, body: dict[str, Any]) -> Any:
    return [m.as_dict() for m in emu.messages(int(body["chat_id"]), body.get("token"))]


def _violations(emu: Emulator, body: dict[str, Any]) -> Any:
    return [v.as_dict() for v in emu.violations]


def _clear_violations(emu: Emulator, body: dict[str, Any]) -> Any:
    emu.clear_violations()
    return True


def _stats(emu: Emulator, body: dict[str, Any]) -> Any:
    return emu.stats()


def _reset_stats(emu: Emulator, body: dict[str, Any]) -> Any:
    emu.reset_stats()
    return True


def _calls(emu: Emulator, body: dict[str, Any]) -> Any:
    since = int(body.get("since", 0))
    return [call.as_dict() for call in emu.calls[since:]]


def _pending_updates(emu: Emulator, body: dict[str, Any]) -> Any:
    return emu.pending_updates(body.get("token"))


def _rate_limits(emu: Emulator, body: dict[str, Any]) -> Any:
    limits = body.get("limits")
    emu.set_rate_limits(RateLimits(**limits) if limits is not None else None)
    return True


def _fail_next(emu: Emulator, body: dict[str, Any]) -> Any:
    emu.fail_next(
        int(body["n"]),
        int(body.get("status", 500)),
        _optional_int(body.get("chat_id")),
        body.get("methods"),
    )
    return True


def _hang_next(emu: Emulator, body: dict[str, Any]) -> Any:
    seconds = body.get("seconds")
    emu.hang_next(
        int(body["n"]),
        _optional_int(body.get("chat_id")),
        None if seconds is None else float(seconds),
        bool(body.get("deliver", False)),
        body.get("methods"),
    )
    return True


def _latency(emu: Emulator, body: dict[str, Any]) -> Any:
    high = body.get("max_ms")
    emu.set_latency(float(body.get("min_ms", 0)), None if high is None else float(high))
    return True


def _garble_next(emu: Emulator, body: dict[str, Any]) -> Any:
    emu.garble_next(
        int(body["n"]),
        str(body.get("kind", "status")),
        _optional_int(body.get("chat_id")),
        body.get("methods"),
    )
    return True


def _clear_faults(emu: Emulator, body: dict[str, Any]) -> Any:
    emu.clear_faults()
    return True


ACTIONS: dict[str, Action] = {
    "send_text": _send_text,
    "press_button": _press_button,
    "answer_poll": _answer_poll,
    "block": _block,
    "unblock": _unblock,
    "add_user": _add_user,
    "add_group": _add_group,
    "add_member": _add_member,
    "messages": _messages,
    "violations": _violations,
    "clear_violations": _clear_violations,
    "stats": _stats,
    "reset_stats": _reset_stats,
    "calls": _calls,
    "pending_updates": _pending_updates,
    "rate_limits": _rate_limits,
    "fail_next": _fail_next,
    "hang_next": _hang_next,
    "garble_next": _garble_next,
    "latency": _latency,
    "clear_faults": _clear_faults,
}


def _reply(status: int, body: dict[str, Any]) -> web.Response:
    return web.Response(
        status=status, text=json.dumps(body, ensure_ascii=False), content_type="application/json"
    )


def add_control_routes(app: web.Application, emulator: Emulator) -> None:
    def route(action: Action) -> Callable[[web.Request], Awaitable[web.Response]]:
        async def handle(request: web.Request) -> web.Response:
            body: dict[str, Any] = dict(request.query)
            if request.can_read_body:
                try:
                    data = await request.json()
                except ValueError:
                    return _reply(400, {"ok": False, "description": "the body must be JSON"})
                if isinstance(data, dict):
                    body.update(data)
            try:
                result = action(emulator, body)
            except (KeyError, ValueError, LookupError, TypeError) as exc:
                return _reply(400, {"ok": False, "description": f"{type(exc).__name__}: {exc}"})
            return _reply(200, {"ok": True, "result": result})

        return handle

    for name, action in ACTIONS.items():
        app.router.add_route("*", f"/_emulator/{name}", route(action))
