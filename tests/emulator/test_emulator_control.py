"""The control API over HTTP, and the standalone command."""

from __future__ import annotations

import asyncio
import sys
from typing import Any

import aiohttp

from bot.emulator import Emulator

from .helpers import USER, CallApi


async def _control(
    http: aiohttp.ClientSession, emu: Emulator, action: str, **body: Any
) -> tuple[int, dict[str, Any]]:
    async with http.post(f"{emu.base_url}/_emulator/{action}", json=body) as response:
        return response.status, await response.json()


async def test_a_peer_process_can_drive_users_and_read_results(
    emu: Emulator, call: CallApi, http: aiohttp.ClientSession
) -> None:
    status, body = await _control(http, emu, "send_text", user_id=USER, text="/start")
    assert status == 200 and body["result"]["entities"][0]["type"] == "bot_command"
    _, updates = await call("getUpdates")
    assert updates["result"][0]["message"]["text"] == "/start"
    keyboard = {"inline_keyboard": [[{"text": "Bắt đầu", "callback_data": "go"}]]}
    _, sent = await call("sendMessage", chat_id=USER, text="Chào", reply_markup=keyboard)
    message_id = sent["result"]["message_id"]
    _, pressed = await _control(
        http, emu, "press_button", user_id=USER, chat_id=USER, message_id=message_id, data="go"
    )
    assert pressed["result"]["callback_query_id"]
    status, missing = await _control(
        http, emu, "press_button", user_id=USER, chat_id=USER, message_id=message_id, data="nope"
    )
    assert status == 400 and "no button" in missing["description"]
    _, messages = await _control(http, emu, "messages", chat_id=USER)
    assert messages["result"][0]["buttons"] == [[["Bắt đầu", "go"]]]
    await _control(http, emu, "block", user_id=USER)
    assert (await call("sendMessage", chat_id=USER, text="x"))[0] == 403
    await _control(http, emu, "unblock", user_id=USER)
    await call("sendTelepathy")
    _, violations = await _control(http, emu, "violations")
    assert [v["kind"] for v in violations["result"]] == ["unknown_method"]
    _, stats = await _control(http, emu, "stats")
    assert stats["result"]["accepted_per_chat"] == {str(USER): 1}
    assert stats["result"]["calls"]["sendMessage"] == 2


async def test_faults_and_limits_over_http(
    emu: Emulator, call: CallApi, http: aiohttp.ClientSession
) -> None:
    await _control(http, emu, "fail_next", n=1, status=500)
    assert (await call("sendMessage", chat_id=USER, text="a"))[0] == 500
    limits = {"global_per_second": None, "private_per_second": 1, "private_burst": 1}
    await _control(http, emu, "rate_limits", limits=limits)
    assert (await call("sendMessage", chat_id=USER, text="b"))[0] == 200
    assert (await call("sendMessage", chat_id=USER, text="c"))[0] == 429
    await _control(http, emu, "rate_limits", limits=None)
    assert (await call("sendMessage", chat_id=USER, text="d"))[0] == 200
    status, body = await _control(
        http, emu, "answer_poll", user_id=USER, poll_id="x", option_ids=[0]
    )
    assert status == 400 and body["ok"] is False


async def test_two_bots_keep_separate_state(emu: Emulator, call: CallApi) -> None:
    other = "777:other-bot"
    emu.add_bot(other, username="canhgiac_test_bot")
    await call("sendMessage", chat_id=USER, text="một")
    await call("sendMessage", token=other, chat_id=USER, text="hai")
    _, me = await call("getMe", token=other)
    assert me["result"]["username"] == "canhgiac_test_bot"
    assert [m.text for m in emu.messages(USER, token=other)] == ["hai"]
    emu.send_text(USER, "cho bot hai", token=other)
    assert emu.pending_updates(token=other) == 1


async def test_standalone_command_prints_its_base_url() -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.emulator", "--port", "0", stdout=asyncio.subprocess.PIPE
    )
    try:
        assert process.stdout is not None
        line = await asyncio.wait_for(process.stdout.readline(), timeout=15)
        base_url = line.decode().strip()
        assert base_url.startswith("http://127.0.0.1:")
        async with (
            aiohttp.ClientSession() as http,
            http.get(f"{base_url}/bot42:abc/getMe") as response,
        ):
            assert (await response.json())["result"]["id"] == 42
    finally:
        process.terminate()
        await process.wait()
