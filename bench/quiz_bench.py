"""Quiz-answer throughput of the whole stack, beside a bare aiogram bot on the same emulator.

N simulated users each take a whole quiz through the Bot API emulator: every tap travels
emulator → getUpdates → Dispatcher (middlewares, consent gate, quiz router) → quiz service →
database (attempt claim, review, ledger rows) → answerCallbackQuery + editMessageText, and the
user taps the next question once its card has changed. In the same run a bare aiogram bot (a
Dispatcher with one callback handler that only answers the callback) serves the same users
the same number of taps. The report is a Markdown table on stdout.

    python bench/quiz_bench.py [--users 50] [--questions 20] [--database-url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from aiogram import Bot, Dispatcher, Router
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup
from sqlmodel import func, select

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.domain.quiz import Bank, Question  # noqa: E402
from bot.emulator import Emulator  # noqa: E402
from bot.offline import OfflineBot  # noqa: E402
from bot.services.bank_store import BankStore  # noqa: E402
from bot.services.users import CONSENT_VERSION  # noqa: E402
from bot.settings import Settings  # noqa: E402
from bot.storage.clock import utcnow  # noqa: E402
from bot.storage.models import Membership, ParticipationEvent, Unit, User  # noqa: E402

BARE_TOKEN = "200000002:bare-aiogram-bench-token-000000000"
FIRST_USER = 5_000_000
WAIT = 60.0


@dataclass(frozen=True)
class Run:
    name: str
    users: int
    answers: int
    seconds: float
    cpu: float  # process CPU seconds (bot, emulator and harness share the process)

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


async def timed(name: str, users: list[int], per_user: Callable[[int], Awaitable[int]]) -> Run:
    started, cpu = time.perf_counter(), time.process_time()
    answers = await asyncio.gather(*(per_user(uid) for uid in users))
    elapsed = time.perf_counter() - started
    return Run(name, len(users), sum(answers), elapsed, time.process_time() - cpu)


async def bare_run(emulator: Emulator, watcher: Watcher, users: list[int], taps: int) -> Run:
    """A Dispatcher with one callback handler that only answers the callback."""
    bot = Bot(
        BARE_TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(emulator.base_url))
    )
    router = Router()

    @router.callback_query()
    async def answer(query: CallbackQuery) -> None:
        await query.answer()

    dispatcher = Dispatcher()
    dispatcher.include_router(router)
    polling = asyncio.create_task(
        dispatcher.start_polling(
            bot, handle_signals=False, close_bot_session=False, polling_timeout=1
        )
    )
    keyboard = InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="A", callback_data="tap")]]
    )
    messages = {uid: await bot.send_message(uid, "Bench", reply_markup=keyboard) for uid in users}

    async def tapper(uid: int) -> int:
        for _ in range(taps):
            query = emulator.press_button(
                uid, uid, messages[uid].message_id, "tap", token=BARE_TOKEN
            )
            await watcher.wait(lambda q=query: q in emulator.callback_answers)  # type: ignore[misc]
        return taps

    try:
        return await timed("bare aiogram (answerCallbackQuery only)", users, tapper)
    finally:
        await dispatcher.stop_polling()
        await polling
        await bot.session.close()


async def seed_users(offline: OfflineBot, users: list[int]) -> None:
    """Consenting members of one unit, written straight to the database."""
    async with offline.storage.sessionmaker() as session:
        unit = Unit(code="BENCH", name="Đơn vị đo tốc độ")
        session.add(unit)
        await session.flush()
        assert unit.id is not None
        for uid in users:
            session.add(
                User(
                    id=uid, first_name="Bench", consent_at=utcnow(), consent_version=CONSENT_VERSION
                )
            )
            session.add(Membership(user_id=uid, unit_id=unit.id))
        await session.commit()


async def full_run(
    offline: OfflineBot, watcher: Watcher, users: list[int], questions: int, label: str
) -> Run:
    emulator, token = offline.emulator, offline.settings.token()
    await seed_users(offline, users)
    for uid in users:
        emulator.send_text(uid, "/kiemtra bench", token=token)
    cards = {}
    for uid in users:
        await watcher.wait(lambda u=uid: bool(emulator.messages(u, token)))  # type: ignore[misc]
        cards[uid] = emulator.messages(uid, token)[-1]

    async def taker(uid: int) -> int:
        card = cards[uid]
        for _ in range(questions):
            before = card.edits
            emulator.press_button(uid, uid, card.message_id, card.callback_data()[0], token=token)
            await watcher.wait(lambda c=card, b=before: c.edits > b)  # type: ignore[misc]
        return questions

    run = await timed(label, users, taker)
    async with offline.storage.sessionmaker() as session:
        logged = (
            await session.exec(
                select(func.count()).where(ParticipationEvent.kind == "quiz_answered")
            )
        ).one()
    if logged != run.answers:
        raise SystemExit(f"ledger holds {logged} answers, expected {run.answers}")
    return run


async def main(users: int, questions: int, database_url: str | None) -> list[Run]:
    logging.basicConfig(level=logging.WARNING)
    emulator = Emulator(bot_username="canhgiac_bench_bot")
    await emulator.start()
    emulator.add_bot(BARE_TOKEN, username="bare_bench_bot")
    people = list(range(FIRST_USER, FIRST_USER + users))
    for uid in people:
        emulator.add_user(uid, first_name="Bench")
    with tempfile.TemporaryDirectory() as folder:
        url = database_url or f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
        settings = Settings(database_url=url, _env_file=None)  # type: ignore[call-arg]
        offline = await OfflineBot.start(
            settings, emulator=emulator, banks=BankStore.of(bench_bank(questions))
        )
        watcher = Watcher(emulator)
        watcher.start()
        try:
            bare = await bare_run(emulator, watcher, people, questions)
            backend = "PostgreSQL" if url.startswith("postgres") else "SQLite"
            label = f"full quiz stack ({backend})"
            full = await full_run(offline, watcher, people, questions, label)
        finally:
            await watcher.stop()
            await offline.stop()
            await emulator.stop()
    if emulator.violations:
        raise SystemExit(f"the emulator recorded {len(emulator.violations)} violations")
    return [bare, full]


def report(runs: list[Run]) -> str:
    bare, full = runs
    lines = [
        "| stack | users | answers | seconds | answers/s | CPU ms/answer |",
        "|---|---:|---:|---:|---:|---:|",
        *(
            f"| {run.name} | {run.users} | {run.answers} | {run.seconds:.2f} | {run.rate:.0f} "
            f"| {run.cpu / run.answers * 1000:.2f} |"
            for run in runs
        ),
        "",
        f"Ratio full/bare: **{full.rate / bare.rate:.2f}** (goal ≥ 0.5); "
        f"full stack: **{full.rate:.0f} answers/s** (goal ≥ 300 on SQLite).",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--questions", type=int, default=20, help="answers per user")
    parser.add_argument("--database-url", default=None, help="default: a temporary SQLite file")
    args = parser.parse_args()
    print(report(asyncio.run(main(args.users, args.questions, args.database_url))))
