"""`canhgiac sandbox`: chat with the bot in the terminal, offline, with no token.

Buttons are shown numbered; type the number to press one. `--script FILE` replays lines and
prints the transcript.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path
from typing import TextIO

from bot.chat_driver import ChatDriver, is_link, plain_text
from bot.emulator import SentMessage
from bot.offline import OfflineBot
from bot.services.demo import DEMO_INVITES, ensure_demo_unit
from bot.settings import Settings

SANDBOX_USER_ID = 700000001
QUIT = {"/quit", "/exit", "/thoat"}


def render(message: SentMessage, numbering_start: int) -> tuple[str, list[str]]:
    """Text of a bot message for a terminal, with its buttons numbered from `numbering_start`."""
    lines = [
        f"< {line}" if i == 0 else f"  {line}"
        for i, line in enumerate(plain_text(message).splitlines() or [""])
    ]
    if message.document is not None:
        lines.append(f"  [file: {message.filename or 'document'}, {len(message.document)} bytes]")
    if message.photo is not None:
        lines.append(f"  [picture: {len(message.photo)} bytes]")
    if message.poll:
        lines.append(f"  [poll] {message.poll.get('question', '')}")
    datas: list[str] = []
    for row in message.buttons():
        cells = []
        for text, data in row:
            if data is None or is_link(data):
                cells.append(f"[{text}: {data}]" if data else f"[{text}]")
                continue
            datas.append(data)
            cells.append(f"[{numbering_start + len(datas) - 1}] {text}")
        lines.append("  " + "   ".join(cells))
    return "\n".join(lines), datas


class Terminal:
    """Maps typed lines to messages and button presses, and prints what the bot answers."""

    def __init__(self, driver: ChatDriver, out: TextIO) -> None:
        self.driver = driver
        self.out = out
        self.buttons: list[tuple[SentMessage, str]] = []
        self.shown: dict[int, str] = {}

    def show(self, messages: list[SentMessage]) -> None:
        for message in messages:
            if message.deleted:
                continue
            text, datas = render(message, 1)
            if datas:
                self.buttons = [(message, data) for data in datas]
            body = plain_text(message)
            previous = self.shown.get(message.message_id)
            self.shown[message.message_id] = body
            if previous is not None:
                # An edit: show it as such, and only the buttons when the text stayed the same.
                if previous == body:
                    text = "\n".join(line for line in text.splitlines() if line.startswith("  ["))
                    text = text or "  (buttons removed)"
                text = "~" + text[1:] if text.startswith("<") else text
            print(text, file=self.out)
        self.out.flush()

    async def handle(self, line: str) -> None:
        line = line.strip()
        if not line:
            return
        if line.isdigit() and 1 <= int(line) <= len(self.buttons):
            message, data = self.buttons[int(line) - 1]
            self.show(await self.driver.press_data(message, data))
        else:
            self.show(await self.driver.send(line))


def intro(out: TextIO) -> None:
    codes = ", ".join(f"/start {code}" for code in DEMO_INVITES)
    print(
        "Cảnh Giác sandbox: you are chatting with the real bot through a local Bot API "
        "emulator; nothing leaves this machine.\n"
        f"Try /start, then join the demo unit with one of: {codes}.\n"
        "Type a button's number to press it; /quit to leave.\n",
        file=out,
    )


async def run_sandbox(
    settings: Settings, *, script: list[str] | None = None, out: TextIO = sys.stdout
) -> None:
    """Chat in the terminal, or replay `script` (lines; `#` starts a comment) and print it."""
    with tempfile.TemporaryDirectory(prefix="canhgiac-sandbox-") as scratch:
        settings = settings.model_copy(
            update={"database_url": f"sqlite+aiosqlite:///{Path(scratch) / 'sandbox.db'}"}
        )
        offline = await OfflineBot.start(settings)
        try:
            async with offline.storage.sessionmaker() as session:
                await ensure_demo_unit(session)
            terminal = Terminal(offline.chat(SANDBOX_USER_ID, first_name="Bạn"), out)
            if script is not None:
                for line in script:
                    if line.strip() and not line.lstrip().startswith("#"):
                        print(f"> {line.strip()}", file=out)
                        await terminal.handle(line)
                return
            intro(out)
            await _interactive(terminal)
        finally:
            await offline.stop()


async def _interactive(terminal: Terminal) -> None:
    loop = asyncio.get_running_loop()
    while True:
        try:
            line = await loop.run_in_executor(None, input, "> ")
        except EOFError:
            return
        if line.strip().lower() in QUIT:
            return
        await terminal.handle(line)
