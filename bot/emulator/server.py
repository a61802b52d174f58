"""HTTP routes: the Bot API at /bot<token>/<method> and file downloads at /file/bot<token>/."""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING, Any

from aiohttp import web

from bot.emulator.api import Answer, Garbled
from bot.emulator.control import add_control_routes
from bot.emulator.errors import ApiError
from bot.emulator.request import read_request

if TYPE_CHECKING:
    from bot.emulator.emulator import Emulator

EMULATOR_KEY: web.AppKey[Emulator] = web.AppKey("emulator")
MAX_BODY = 60 * 1024 * 1024


def _json(status: int, body: dict[str, Any]) -> web.Response:
    return web.Response(
        status=status,
        text=json.dumps(body, ensure_ascii=False),
        content_type="application/json",
    )


async def bot_api(request: web.Request) -> web.Response:
    emulator = request.app[EMULATOR_KEY]
    token, method = request.match_info["token"], request.match_info["method"]
    delay = emulator.faults.delay()
    if delay:
        await asyncio.sleep(delay / 2)
    answer: Answer | Garbled
    try:
        raw = await read_request(request)
    except ApiError as error:
        answer = emulator.api.execute_error(token, method, error)
    else:
        answer = await emulator.api.execute(token, method, raw)
    if delay:
        await asyncio.sleep(delay / 2)
    if isinstance(answer, Garbled):
        return _garbled(answer.kind)
    return _json(*answer)


def _garbled(kind: str) -> web.Response:
    if kind == "json":
        return web.Response(status=200, text='{"ok": true, "result": {', content_type="text/plain")
    if kind == "html":
        page = "<html><body><h1>502 Bad Gateway</h1></body></html>"
        return web.Response(status=502, text=page, content_type="text/html")
    # A status code of four digits: the client cannot even parse the status line.
    return web.Response(status=1000, text="garbage")


async def download(request: web.Request) -> web.StreamResponse:
    emulator = request.app[EMULATOR_KEY]
    if not emulator.api.token_ok(request.match_info["token"]):
        return _json(401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
    path = request.match_info["path"]
    for stored in emulator.state.files.values():
        if stored.path == path and stored.data is not None:
            return web.Response(
                body=stored.data, content_type=stored.mime_type or "application/octet-stream"
            )
    return _json(404, {"ok": False, "error_code": 404, "description": "Not Found"})


async def not_found(request: web.Request) -> web.Response:
    return _json(404, {"ok": False, "error_code": 404, "description": "Not Found"})


def build_app(emulator: Emulator) -> web.Application:
    app = web.Application(client_max_size=MAX_BODY)
    app[EMULATOR_KEY] = emulator
    app.router.add_route("*", "/bot{token}/{method}", bot_api)
    app.router.add_get("/file/bot{token}/{path:.+}", download)
    add_control_routes(app, emulator)
    app.router.add_route("*", "/{tail:.*}", not_found)
    return app
