"""`canhgiac sandbox`: chat with the bot in the terminal, offline, with no token.

Everything the bot does is shown: its messages (buttons and poll options numbered: type the
number to press one), the answers to button presses (toasts and alerts), the files it sends
(saved to a folder, their paths printed) and what it sends to other people of the session.
Several people take part (`/as 2` becomes person 2, `/who` lists them) and a group chat
(`/group`, back with `/private`). `--script FILE` replays lines and prints the transcript.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import TextIO

from bot.chat_driver import ChatDriver
from bot.emulator import Emulator, SentMessage
from bot.offline import OfflineBot
from bot.sandbox_people import DEMO_LEARNERS, GROUP_ID, GROUP_TITLE, YOU, People
from bot.sandbox_view import Action, FileShelf, answer_lines, render
from bot.services.demo import DEMO_INVITES, ensure_demo_unit
from bot.settings import Settings

QUIT = {"/quit", "/exit", "/thoat"}
WAIT_DEFAULT = 2.0
WAIT_MAX = 60.0
WATCH_INTERVAL = 0.3


def _fingerprint(message: SentMessage) -> str:
    closed = message.poll.get("is_closed") if message.poll else None
    return repr((message.text, message.caption, message.reply_markup, message.deleted, closed))


class Terminal:
    """Maps typed lines to people, chats, messages, button presses and votes, and prints
    everything the bot does in the session's chats."""

    def __init__(self, offline: OfflineBot, people: People, files: FileShelf, out: TextIO):
        self.offline = offline
        self.people = people
        self.files = files
        self.out = out
        self.person, _ = people.add(YOU)
        self.in_group = False
        self.actions: list[Action] = []
        self.lock = asyncio.Lock()
        self._seen: dict[tuple[int, int], str] = {}
        self._shown: dict[tuple[int, int], str] = {}
        self.mark_seen()

    @property
    def driver(self) -> ChatDriver:
        return self.people.driver(self.person, in_group=self.in_group)

    @property
    def chat_id(self) -> int:
        return GROUP_ID if self.in_group else self.person.user_id

    def say(self, *lines: str) -> None:
        for line in lines:
            print(line, file=self.out)
        self.out.flush()

    # What the bot did

    def mark_seen(self) -> None:
        """Take what is in the chats now as already shown."""
        for chat_id in self.people.chat_ids():
            for message in self.offline.emulator.messages(chat_id):
                key = (chat_id, message.message_id)
                self._seen[key] = _fingerprint(message)
                self._shown.setdefault(key, _body(message))

    def changes(self) -> dict[int, list[SentMessage]]:
        """Messages sent or edited since the last look, by chat."""
        found: dict[int, list[SentMessage]] = {}
        for chat_id in self.people.chat_ids():
            for message in self.offline.emulator.messages(chat_id):
                key = (chat_id, message.message_id)
                fingerprint = _fingerprint(message)
                if self._seen.get(key) != fingerprint:
                    self._seen[key] = fingerprint
                    found.setdefault(chat_id, []).append(message)
        return found

    def show_changes(self) -> None:
        changed = self.changes()
        mine = changed.pop(self.chat_id, [])
        self._show(mine, current=True)
        for chat_id, messages in changed.items():
            label = self.people.chat_label(chat_id)
            shown = [m for m in messages if not m.deleted]
            if label is None or not shown:
                continue
            self.say(f"-- to {label} --")
            self._show(shown, current=False)

    def _show(self, messages: Iterable[SentMessage], *, current: bool) -> None:
        actions: list[Action] = []
        for message in messages:
            if message.deleted:
                continue
            saved = self.files.save(message)
            lines, found = render(
                message, first_number=len(actions) + 1 if current else None, saved=saved
            )
            actions.extend(found)
            key = (message.chat_id, message.message_id)
            body = _body(message)
            previous = self._shown.get(key)
            self._shown[key] = body
            if previous is not None:
                # An edit: marked as such, and only its buttons when the text stayed the same.
                if previous == body:
                    lines = [line for line in lines[1:] if line.startswith("  [")] or [
                        "  (buttons removed)"
                    ]
                if lines[0].startswith("<"):
                    lines[0] = "~" + lines[0][1:]
            self.say(*lines)
        if actions:
            self.actions = actions

    # What the person does

    async def handle(self, line: str) -> bool:
        """Act on one typed line; False when the person wants to leave."""
        line = line.strip()
        if not line:
            return True
        word, _, rest = line.partition(" ")
        command = word.lower()
        if command in QUIT:
            return False
        async with self.lock:
            self.show_changes()  # whatever arrived while the person was typing
            if command == "/as":
                await self.switch_person(rest)
            elif command == "/who":
                await self.who()
            elif command == "/group":
                await self.switch_chat(in_group=True)
            elif command == "/private":
                await self.switch_chat(in_group=False)
            elif command == "/wait":
                await self.wait(rest)
            elif command == "/press" and rest.strip():
                await self.press(rest.strip())
            elif command == "/sandbox":
                self.say(*guide(self.files.folder))
            elif line.isdigit():
                await self.act(int(line))
            else:
                await self.driver.send(line)
                self.show_changes()
        return True

    async def act(self, number: int) -> None:
        if not 1 <= number <= len(self.actions):
            await self.driver.send(str(number))
            self.show_changes()
            return
        await self._do(self.actions[number - 1])

    async def press(self, label: str) -> None:
        """Press the button (or pick the poll option) shown last whose text has `label`."""
        wanted = label.casefold()
        found = next((a for a in self.actions if wanted in a.label.casefold()), None)
        if found is None:
            self.say(f"* No button {label!r} among the numbered ones.")
            return
        await self._do(found)

    async def _do(self, action: Action) -> None:
        try:
            if action.data is not None:
                await self.driver.press_data(action.message, action.data)
                self.say(*answer_lines(self.driver.last_answer()))
            else:
                assert action.option is not None
                await self.driver.vote(action.message, [action.option])
                self.say(f"  (voted: {_option(action)})")
        except (LookupError, ValueError) as exc:
            self.say(f"* Cannot do that any more: {exc}")
            return
        self.show_changes()

    async def switch_person(self, rest: str) -> None:
        number_text, _, name = rest.strip().partition(" ")
        if not number_text.isdigit():
            self.say("* Use /as N (a number; a new number makes a new person) or /as N Name.")
            return
        try:
            person, created = self.people.add(int(number_text), name.strip() or None)
        except ValueError as exc:
            self.say(f"* {exc}")
            return
        self.person = person
        state = "a new person" if created else await self.people.roles(person)
        self.say(f"* You are now {person} ({state}), in {self._where()}.")
        self._show_latest()

    async def switch_chat(self, *, in_group: bool) -> None:
        if in_group:
            self.people.open_group()
            self.mark_seen()
        self.in_group = in_group
        self.say(f"* {self.person} is now in {self._where()}.")
        if in_group:
            members = ", ".join(str(p) for p in self.people.everyone())
            self.say(f"* Members: {members}. Try /kiemtra or /bangxephang; /private to go back.")
        self._show_latest()

    async def who(self) -> None:
        self.say(f"* You are {self.person}, in {self._where()}. People:")
        for person in self.people.everyone():
            marker = ">" if person is self.person else " "
            self.say(f"* {marker} {person}: {await self.people.roles(person)}")

    async def wait(self, rest: str) -> None:
        """Let background work (broadcasts, reminders, timers) run, then show what came."""
        try:
            seconds = float(rest.strip() or WAIT_DEFAULT)
        except ValueError:
            seconds = WAIT_DEFAULT
        seconds = min(max(seconds, 0.0), WAIT_MAX)
        await asyncio.sleep(seconds)
        self.show_changes()

    def _where(self) -> str:
        return f"the group {GROUP_TITLE}" if self.in_group else "the private chat"

    def _show_latest(self) -> None:
        """Show the newest message with buttons of the chat just entered, so its numbers work."""
        self.actions = []
        latest = self.driver.last_with_buttons()
        polls = [m for m in self.offline.emulator.messages(self.chat_id) if m.poll]
        if polls and (latest is None or polls[-1].message_id > latest.message_id):
            latest = polls[-1]
        if latest is None or latest.deleted:
            return
        lines, actions = render(latest, first_number=1, saved=self.files.save(latest))
        if actions:
            self.say("* The latest message with buttons here:", *lines)
            self.actions = actions

    async def watch(self) -> None:
        """Interactive mode: print what the bot sends in the background as it arrives."""
        while True:
            await asyncio.sleep(WATCH_INTERVAL)
            async with self.lock:
                self.show_changes()


def _body(message: SentMessage) -> str:
    return message.text or message.caption or ""


def _option(action: Action) -> str:
    assert action.message.poll is not None and action.option is not None
    return str(action.message.poll["options"][action.option].get("text", ""))


def guide(files: Path) -> list[str]:
    """What the sandbox offers, as printed at the start and by /sandbox."""
    codes = ", ".join(f"/start {code}" for code in DEMO_INVITES)
    learners = ", ".join(f"{number} {name}" for number, name in DEMO_LEARNERS.items())
    return [
        "Cảnh Giác sandbox: you are chatting with the real bot through a local Bot API emulator;",
        "nothing leaves this machine.",
        f"Try /start, then join the demo unit with one of: {codes}.",
        "Type a button's number to press it (or /press WORDS of its label); toasts and alerts",
        f"show as [toast] and [alert]. Files the bot sends are saved in {files}.",
        "/as 2 becomes person 2 (/as 2 Minh names a new one), /who lists the people and their",
        "roles, /group enters a group chat with everyone, /private leaves it, /wait [SECONDS]",
        "lets background work (broadcasts, reminders) run, /sandbox shows this again.",
        f"The demo learners {learners} have already joined. /quit to leave.",
        "",
    ]


async def run_sandbox(
    settings: Settings,
    *,
    script: list[str] | None = None,
    out: TextIO = sys.stdout,
    files: Path | None = None,
    emulator: Emulator | None = None,
) -> None:
    """Chat in the terminal, or replay `script` (lines; `#` starts a comment) and print it.
    The database is a throw-away SQLite file; files the bot sends go to `files`."""
    shelf = FileShelf((files or Path("sandbox-files")).resolve())
    with tempfile.TemporaryDirectory(prefix="canhgiac-sandbox-") as scratch:
        settings = settings.model_copy(
            update={
                "database_url": f"sqlite+aiosqlite:///{Path(scratch) / 'sandbox.db'}",
                "redis_url": None,
            }
        )
        offline = await OfflineBot.start(settings, emulator=emulator)
        try:
            async with offline.storage.sessionmaker() as session:
                await ensure_demo_unit(session)
            people = People(offline)
            await people.seed_demo_learners()
            terminal = Terminal(offline, people, shelf, out)
            if script is not None:
                for line in script:
                    if line.strip() and not line.lstrip().startswith("#"):
                        print(f"> {line.strip()}", file=out)
                        if not await terminal.handle(line):
                            break
                return
            terminal.say(*guide(shelf.folder))
            await _interactive(terminal)
        finally:
            await offline.stop()


async def _interactive(terminal: Terminal) -> None:
    loop = asyncio.get_running_loop()
    watcher = asyncio.create_task(terminal.watch())
    try:
        while True:
            try:
                line = await loop.run_in_executor(None, input, "> ")
            except EOFError:
                return
            if not await terminal.handle(line):
                return
    finally:
        watcher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watcher
