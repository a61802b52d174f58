"""Quiz-answer throughput of the whole stack, beside a bare aiogram bot on the same emulator.

The Bot API emulator and the simulated users run in this process; the bot under test runs in
a process of its own, as it would beside the real Telegram. Every tap of the full stack travels
emulator → getUpdates → `canhgiac run` (Dispatcher, middlewares, consent gate, quiz router) →
quiz service → database (attempt claim, review, ledger rows) → answerCallbackQuery +
editMessageText, and the user taps the next question once its card has changed. In the same
run a bare aiogram bot (a Dispatcher with one callback handler that only answers the callback)
serves the same users the same number of taps. The report is a Markdown table on stdout;
"CPU ms/answer" is the bot process's CPU time.

    python bench/quiz_bench.py [--users 50] [--questions 20] [--database-url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import logging
import os
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlmodel import func, select  # noqa: E402

from bench.scratch_db import scratch_postgres  # noqa: E402
from bot.domain.quiz import Bank, Question  # noqa: E402
from bot.domain.quiz_import import write_bank  # noqa: E402
from bot.emulator import Emulator  # noqa: E402
from bot.runtime import open_storage  # noqa: E402
from bot.services.users import CONSENT_VERSION  # noqa: E402
from bot.settings import Settings  # noqa: E402
from bot.storage.clock import utcnow  # noqa: E402
from bot.storage.models import Membership, ParticipationEvent, Unit, User  # noqa: E402

BARE_TOKEN = "200000002:bare-aiogram-bench-token-000000000"
FLOOR_TOKEN = "200000004:floor-aiogram-bench-token-00000000"
FULL_TOKEN = "200000003:full-canhgiac-bench-token-00000000"
FIRST_USER = 5_000_000
WAIT = 60.0
READY = "ready"
BENCH_FILE = Path(__file__).resolve()


@dataclass(frozen=True)
class Run:
    name: str
    users: int
    answers: int
    seconds: float
    cpu: float  # CPU seconds of the bot process during the run

    @property
    def rate(self) -> float:
        return self.answers / self.seconds if self.seconds else 0.0


def bench_bank(questions: int) -> Bank:
    items = tuple(
        Question(
            id=f"bench-{n}",
            text=f"Câu hỏi đo tốc độ số {n}: đâu là số điện thoại báo cháy?",
            options=("114", "113", "115", "111"),
            correct=frozenset({0}),
            explanation="114 là số gọi lực lượng phòng cháy, chữa cháy và cứu nạn, cứu hộ.",
            difficulty="easy",
            source="SEED",
            learn_more="so-dien-thoai-khan-cap",
        )
        for n in range(questions)
    )
    return Bank(
        id="bench",
        title="Đo tốc độ",
        language="vi",
        topic="bench",
        pass_mark=70,
        questions_per_attempt=questions,
        seconds_per_question=600,
        questions=items,
        path=Path("bench.yaml"),
    )


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, from /proc (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Watcher:
    """One task checks every simulated user's condition when the emulator changes, so the
    harness costs little beside what it measures (a waiter per user would wake them all on
    every change)."""

    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator
        self.waiting: list[tuple[Callable[[], bool], asyncio.Future[None]]] = []
        self.stopped = False
        self.task: asyncio.Task[None] | None = None

    def _check(self) -> bool:
        still = []
        for predicate, future in self.waiting:
            if future.done():
                continue
            if predicate():
                future.set_result(None)
            else:
                still.append((predicate, future))
        self.waiting = still
        return self.stopped

    def start(self) -> None:
        self.task = asyncio.create_task(self.emulator.wait_until(self._check, timeout=3600))

    async def stop(self) -> None:
        self.stopped = True
        if self.task is not None:
            await self.task

    async def wait(self, predicate: Callable[[], bool]) -> None:
        if predicate():
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.waiting.append((predicate, future))
        await asyncio.wait_for(future, WAIT)


class BotProcess:
    """The bot under test, in a child process; its CPU time is read around the timed run."""

    def __init__(
        self, args: list[str], env: dict[str, str], cwd: Path, *, says_ready: bool = False
    ) -> None:
        self.args, self.env, self.cwd = args, env, cwd
        # Only a process that prints READY is read; any other's output must not fill a pipe.
        self.stdout = asyncio.subprocess.PIPE if says_ready else asyncio.subprocess.DEVNULL
        self.process: asyncio.subprocess.Process | None = None

    async def __aenter__(self) -> BotProcess:
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            *self.args,
            env={**os.environ, **self.env},
            cwd=self.cwd,
            stdout=self.stdout,
        )
        return self

    async def ready(self) -> None:
        assert self.process is not None and self.process.stdout is not None
        line = await asyncio.wait_for(self.process.stdout.readline(), WAIT)
        if line.decode().strip() != READY:
            raise SystemExit(f"the bot process did not start: {line!r}")

    def cpu(self) -> float:
        assert self.process is not None
        return cpu_seconds(self.process.pid)

    async def __aexit__(self, *exc: object) -> None:
        assert self.process is not None
        if self.process.returncode is None:
            self.process.terminate()
            await asyncio.wait_for(self.process.wait(), WAIT)


async def timed(name: str, process: BotProcess, users: list[int], per_user: Callable) -> Run:
    started, cpu = time.perf_counter(), process.cpu()
    answers = await asyncio.gather(*(per_user(uid) for uid in users))
    elapsed = time.perf_counter() - started
    return Run(name, len(users), sum(answers), elapsed, process.cpu() - cpu)


async def serve_bare(api_base: str, users: list[int], *, edit: bool) -> None:
    """The peer: a Dispatcher with one callback handler that only answers the callback, or
    (`edit`) also edits the message as a quiz card does, with nothing behind it."""
    from aiogram import Bot, Dispatcher, Router
    from aiogram.client.session.aiohttp import AiohttpSession
    from aiogram.client.telegram import TelegramAPIServer
    from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

    taps = itertools.count()
    keyboard = InlineKeyboardMarkup(
        inline_keyboard=[
            [InlineKeyboardButton(text=letter, callback_data="tap") for letter in "ABCD"]
        ]
    )
    bot = Bot(
        FLOOR_TOKEN if edit else BARE_TOKEN,
        session=AiohttpSession(api=TelegramAPIServer.from_base(api_base)),
    )
    router = Router()

    @router.callback_query()
    async def answer(query: CallbackQuery) -> None:
        await query.answer("✅")
        if edit and isinstance(query.message, Message):
            await query.message.edit_text(f"Câu hỏi số {next(taps)}", reply_markup=keyboard)

    dispatcher = Dispatcher()
    dispatcher.include_router(router)
    for uid in users:
        await bot.send_message(uid, "Bench", reply_markup=keyboard)
    print(READY, flush=True)
    await dispatcher.start_polling(bot, polling_timeout=1)


async def bare_run(
    emulator: Emulator, watcher: Watcher, users: list[int], taps: int, folder: Path, *, edit: bool
) -> Run:
    args = [
        str(BENCH_FILE),
        "--serve-bare",
        emulator.base_url,
        "--users",
        str(len(users)),
        *(["--edit"] if edit else []),
    ]
    async with BotProcess(args, {}, folder, says_ready=True) as process:
        await process.ready()
        token = FLOOR_TOKEN if edit else BARE_TOKEN
        messages = {uid: emulator.messages(uid, token)[-1] for uid in users}

        async def tapper(uid: int) -> int:
            message = messages[uid]
            for _ in range(taps):
                before = message.edits
                query = emulator.press_button(uid, uid, message.message_id, "tap", token=token)
                if edit:
                    await watcher.wait(lambda b=before: message.edits > b)
                else:
                    await watcher.wait(lambda q=query: q in emulator.callback_answers)
            return taps

        name = (
            "aiogram answer + edit, nothing behind (floor)"
            if edit
            else "bare aiogram (answerCallbackQuery only)"
        )
        return await timed(name, process, users, tapper)


async def seed(settings: Settings, users: list[int]) -> None:
    """The schema, and consenting members of one unit written straight to the database."""
    storage = await open_storage(settings)
    try:
        async with storage.sessionmaker() as session:
            unit = Unit(code="BENCH", name="Đơn vị đo tốc độ")
            session.add(unit)
            await session.flush()
            assert unit.id is not None
            for uid in users:
                session.add(
                    User(
                        id=uid,
                        first_name="Bench",
                        consent_at=utcnow(),
                        consent_version=CONSENT_VERSION,
                    )
                )
                session.add(Membership(user_id=uid, unit_id=unit.id))
            await session.commit()
    finally:
        await storage.engine.dispose()


async def logged_answers(settings: Settings) -> int:
    storage = await open_storage(settings, upgrade=False)
    try:
        async with storage.sessionmaker() as session:
            query = select(func.count()).where(ParticipationEvent.kind == "quiz_answered")
            return (await session.exec(query)).one()
    finally:
        await storage.engine.dispose()


async def full_run(
    emulator: Emulator,
    watcher: Watcher,
    users: list[int],
    questions: int,
    url: str,
    folder: Path,
) -> Run:
    quizzes = folder / "quizzes"
    quizzes.mkdir()
    write_bank(bench_bank(questions), quizzes / "bench.yaml")
    settings = Settings(database_url=url, _env_file=None)  # type: ignore[call-arg]
    await seed(settings, users)
    env = {
        "BOT_TOKEN": FULL_TOKEN,
        "TELEGRAM_API_BASE": emulator.base_url,
        "DATABASE_URL": url,
        "QUIZZES_DIR": str(quizzes),
        "LOG_LEVEL": "WARNING",
    }
    async with BotProcess(["-m", "bot", "run"], env, folder) as process:
        for uid in users:
            emulator.send_text(uid, "/kiemtra bench", token=FULL_TOKEN)
        cards = {}
        for uid in users:
            await watcher.wait(lambda u=uid: bool(emulator.messages(u, FULL_TOKEN)))
            cards[uid] = emulator.messages(uid, FULL_TOKEN)[-1]

        async def taker(uid: int) -> int:
            card = cards[uid]
            for _ in range(questions):
                before = card.edits
                emulator.press_button(
                    uid, uid, card.message_id, card.callback_data()[0], token=FULL_TOKEN
                )
                await watcher.wait(lambda c=card, b=before: c.edits > b)
            return questions

        backend = "PostgreSQL" if url.startswith("postgres") else "SQLite"
        run = await timed(f"full quiz stack ({backend})", process, users, taker)
    logged = await logged_answers(settings)
    if logged != run.answers:
        raise SystemExit(f"ledger holds {logged} answers, expected {run.answers}")
    return run


async def main(users: int, questions: int, database_url: str | None) -> list[Run]:
    logging.basicConfig(level=logging.WARNING)
    emulator = Emulator(bot_username="canhgiac_bench_bot")
    await emulator.start()
    emulator.add_bot(FULL_TOKEN, username="canhgiac_bench_bot")
    emulator.add_bot(BARE_TOKEN, username="bare_bench_bot")
    emulator.add_bot(FLOOR_TOKEN, username="floor_bench_bot")
    people = list(range(FIRST_USER, FIRST_USER + users))
    for uid in people:
        emulator.add_user(uid, first_name="Bench")
    watcher = Watcher(emulator)
    watcher.start()
    try:
        with tempfile.TemporaryDirectory() as name:
            folder = Path(name)
            bare = await bare_run(emulator, watcher, people, questions, folder, edit=False)
            floor = await bare_run(emulator, watcher, people, questions, folder, edit=True)
            async with AsyncExitStack() as stack:
                if database_url is None:
                    url = f"sqlite+aiosqlite:///{folder / 'bench.db'}"
                else:  # a database of its own beside the one named, dropped afterwards
                    url = await stack.enter_async_context(scratch_postgres(database_url))
                full = await full_run(emulator, watcher, people, questions, url, folder)
    finally:
        await watcher.stop()
        await emulator.stop()
    if emulator.violations:
        raise SystemExit(f"the emulator recorded {len(emulator.violations)} violations")
    return [bare, floor, full]


def report(runs: list[Run]) -> str:
    bare, floor, full = runs
    lines = [
        "| stack | users | answers | seconds | answers/s | bot CPU ms/answer |",
        "|---|---:|---:|---:|---:|---:|",
        *(
            f"| {run.name} | {run.users} | {run.answers} | {run.seconds:.2f} | {run.rate:.0f} "
            f"| {run.cpu / run.answers * 1000:.2f} |"
            for run in runs
        ),
        "",
        f"Ratio full/bare: **{full.rate / bare.rate:.2f}** (goal ≥ 0.5); "
        f"full stack: **{full.rate:.0f} answers/s** (goal ≥ 300 on SQLite). The two calls "
        f"every answer needs cap aiogram alone at {floor.rate:.0f}/s "
        f"({floor.rate / bare.rate:.2f} of bare).",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--questions", type=int, default=20, help="answers per user")
    parser.add_argument(
        "--database-url",
        default=None,
        help="a PostgreSQL server to run on (a throw-away database is made there); "
        "default: a temporary SQLite file",
    )
    parser.add_argument("--serve-bare", metavar="API_BASE", help=argparse.SUPPRESS)
    parser.add_argument("--edit", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_bare:
        people = list(range(FIRST_USER, FIRST_USER + args.users))
        asyncio.run(serve_bare(args.serve_bare, people, edit=args.edit))
    else:
        print(report(asyncio.run(main(args.users, args.questions, args.database_url))))
