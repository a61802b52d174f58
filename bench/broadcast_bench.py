"""Broadcast throughput at Telegram's ceiling, against the Bot API emulator with its limits on.

The emulator runs in its own process with Telegram's limits (30 messages/s per bot, 1/s per
private chat after a burst of 3). Each sender runs in a process of its own, so its peak RSS is
its own:
1. ours: `bot.delivery.Sender` at BROADCAST_RATE (default 30/s) draining an outbox of N rows
   (SQLite by default, `--database-url` for PostgreSQL);
2. the peer: python-telegram-bot's `ExtBot` with its `AIORateLimiter` (default limits,
   retrying 429s), the same message to the same N chats;
3. crash: ours again on a fresh outbox, SIGKILLed at a random moment, then started again.

Reported per run: sustained messages/s (accepted sends over the time from the first to the
last; the crash run's includes the restart),
429s, duplicates (chats that got the message more than once), recipients unaccounted for
(no message and no recorded failure), peak RSS. A Markdown table goes to stdout.

    python bench/broadcast_bench.py [--recipients 10000] [--rate 30] [--concurrency 8]
                                    [--database-url URL] [--skip-peer] [--skip-crash]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

FIRST_CHAT = 10_000_000
SOURCE_ID = 1
TEXT = (
    "<b>Thông báo</b>: sáng thứ Hai toàn đơn vị diễn tập phòng cháy chữa cháy. "
    "Mọi người có mặt lúc 7 giờ 30 tại sân trước. Gọi <b>114</b> khi có cháy."
)
TOKENS = {
    "ours": "200000001:bench-ours-token-000000000000000",
    "peer": "200000002:bench-peer-token-000000000000000",
    "crash": "200000003:bench-crash-token-00000000000000",
}
CRASH_LEASES = {"claim_lease": 5.0, "send_lease": 12.0, "send_timeout": 5}


@dataclass
class Outcome:
    name: str
    recipients: int
    wall: float = 0.0
    rate: float = 0.0
    too_many: int = 0
    duplicates: int = 0
    unaccounted: int = 0
    uncertain: int = 0
    failed: int = 0
    rss_mb: float = 0.0
    cpu_per_1k: float | None = None  # the sender's CPU seconds per 1,000 messages, start-up aside
    notes: list[str] = field(default_factory=list)


# The emulator process and its control API


class EmulatorProcess:
    def __init__(self) -> None:
        self.process: subprocess.Popen[str] | None = None
        self.base_url = ""
        self.http: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        command = [sys.executable, "-m", "bot.emulator", "--port", "0", "--rate-limits"]
        self.process = subprocess.Popen(  # noqa: ASYNC220 - started once, before any timing
            command, cwd=ROOT, stdout=subprocess.PIPE, text=True, env=_env()
        )
        assert self.process.stdout is not None
        line = await asyncio.to_thread(self.process.stdout.readline)
        self.base_url = line.strip()
        if not self.base_url.startswith("http"):
            raise RuntimeError(f"the emulator did not start: {line!r}")
        self.http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=32))

    async def control(self, action: str, **body: Any) -> Any:
        assert self.http is not None
        async with self.http.post(f"{self.base_url}/_emulator/{action}", json=body) as reply:
            data = await reply.json()
        if not data.get("ok"):
            raise RuntimeError(f"{action}: {data}")
        return data["result"]

    async def add_users(self, chats: Sequence[int]) -> None:
        for start in range(0, len(chats), 200):
            await asyncio.gather(
                *(self.control("add_user", user_id=c) for c in chats[start : start + 200])
            )

    async def stop(self) -> None:
        if self.http is not None:
            await self.http.close()
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return env


# The outbox


async def prepare_outbox(database_url: str, chats: Sequence[int]) -> None:
    """Migrate, then write N consented users and one pending delivery each."""
    from bot.delivery import outbox
    from bot.delivery.render import Payload
    from bot.services.users import CONSENT_VERSION
    from bot.storage import ledger, migrate
    from bot.storage.clock import utcnow
    from bot.storage.database import create_engine, create_sessionmaker
    from bot.storage.models import Unit, User

    engine = create_engine(database_url)
    await migrate.upgrade(engine)
    sessionmaker = create_sessionmaker(engine)
    async with sessionmaker() as session:
        unit = Unit(code="BENCH", name="Đơn vị thử tải")
        session.add(unit)
        now = utcnow()
        session.add_all(User(id=c, consent_at=now, consent_version=CONSENT_VERSION) for c in chats)
        await session.flush()
        assert unit.id is not None
        content = await outbox.add_content(
            session,
            source_kind="broadcast",
            source_id=SOURCE_ID,
            payload=Payload(TEXT),
            ledger_kind=ledger.EventKind.BROADCAST_DELIVERED,
        )
        await outbox.enqueue(
            session,
            source_kind="broadcast",
            source_id=SOURCE_ID,
            recipients=[outbox.Recipient(c, c, unit_ids=(unit.id,)) for c in chats],
            contents={outbox.ANY_LANGUAGE: content},
        )
        await session.commit()
    await engine.dispose()


async def outbox_statuses(database_url: str) -> dict[int, str]:
    from bot.delivery import outbox
    from bot.storage.database import create_engine, create_sessionmaker

    engine = create_engine(database_url)
    async with create_sessionmaker(engine)() as session:
        rows = await outbox.rows_of(session, source_kind="broadcast", source_id=SOURCE_ID)
    await engine.dispose()
    return {row.chat_id: row.status for row in rows}


# Worker processes


async def worker_ours(args: argparse.Namespace) -> dict[str, Any]:
    from pydantic import SecretStr

    from bot.delivery import outbox
    from bot.delivery.sender import Sender
    from bot.settings import Settings
    from bot.storage.database import create_engine, create_sessionmaker
    from bot.telegram.dispatcher import create_bot

    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        bot_token=SecretStr(args.token),
        telegram_api_base=args.base_url,
        database_url=args.database_url,
        broadcast_rate=args.rate,
        broadcast_concurrency=args.concurrency,
    )
    engine = create_engine(args.database_url)
    sessionmaker = create_sessionmaker(engine)
    bot = create_bot(settings)
    sender = Sender.from_settings(bot, sessionmaker, settings, **json.loads(args.options))
    started, cpu = time.perf_counter(), cpu_seconds()
    sender.start()
    try:
        while True:
            async with sessionmaker() as session:
                left = await outbox.unsettled(session, source_kind="broadcast", source_id=SOURCE_ID)
            if not left:
                break
            await asyncio.sleep(0.5)
    finally:
        await sender.stop()
        await bot.session.close()
        await engine.dispose()
    return {
        "wall": time.perf_counter() - started,
        "cpu": cpu_seconds() - cpu,
        "stats": vars(sender.stats),
    }


async def worker_peer(args: argparse.Namespace) -> dict[str, Any]:
    from telegram.error import TelegramError
    from telegram.ext import AIORateLimiter, ExtBot
    from telegram.request import HTTPXRequest

    chats = _chats(args.recipients)
    request = HTTPXRequest(connection_pool_size=args.concurrency, pool_timeout=None)
    bot = ExtBot(
        args.token,
        base_url=f"{args.base_url}/bot",
        request=request,
        rate_limiter=AIORateLimiter(max_retries=5),
    )
    errors: dict[int, str] = {}

    async def one(chat: int) -> None:
        try:
            await bot.send_message(chat_id=chat, text=TEXT, parse_mode="HTML")
        except TelegramError as error:
            errors[chat] = str(error)

    started, cpu = time.perf_counter(), cpu_seconds()
    async with bot:
        await asyncio.gather(*(one(chat) for chat in chats))
    return {"wall": time.perf_counter() - started, "cpu": cpu_seconds() - cpu, "errors": errors}


def run_worker(args: argparse.Namespace) -> None:
    work = worker_ours if args.worker == "ours" else worker_peer
    result = asyncio.run(work(args))
    result["rss_kb"] = peak_rss_kb()
    print(json.dumps(result), flush=True)


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def peak_rss_kb() -> int:
    """This process's peak resident set (VmHWM; ru_maxrss would include the forked parent)."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def spawn(kind: str, args: argparse.Namespace, token: str, **extra: Any) -> subprocess.Popen[str]:
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--worker",
        kind,
        "--token",
        token,
        "--base-url",
        args.base_url,
        "--database-url",
        extra.get("database_url", ""),
        "--recipients",
        str(args.recipients),
        "--rate",
        str(args.rate),
        "--concurrency",
        str(args.concurrency),
        "--options",
        json.dumps(extra.get("options", {})),
    ]
    return subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True, env=_env())


def finish(process: subprocess.Popen[str]) -> dict[str, Any]:
    out, _ = process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"worker failed with {process.returncode}")
    return dict(json.loads(out.strip().splitlines()[-1]))


# Measuring


def send_span(send_times: list[list[Any]]) -> float:
    """Seconds from the first accepted send to the last."""
    times = [float(item[0]) for item in send_times]
    return max(times) - min(times) if times else 0.0


def sustained_rate(send_times: list[list[Any]]) -> float:
    times = sorted(float(item[0]) for item in send_times)
    if len(times) < 2 or times[-1] <= times[0]:
        return 0.0
    return (len(times) - 1) / (times[-1] - times[0])


def judge(
    outcome: Outcome,
    stats: dict[str, Any],
    chats: Sequence[int],
    excused: set[int],
) -> None:
    """Fill rate, 429s, duplicates and unaccounted recipients from the emulator's counters."""
    per_chat = {int(chat): n for chat, n in stats["accepted_per_chat"].items()}
    outcome.rate = sustained_rate(stats["send_times"])
    outcome.too_many = int(stats["too_many_requests"])
    outcome.duplicates = sum(max(0, per_chat.get(c, 0) - 1) for c in chats)
    outcome.unaccounted = sum(1 for c in chats if per_chat.get(c, 0) == 0 and c not in excused)


async def run_ours(
    emu: EmulatorProcess, args: argparse.Namespace, chats: Sequence[int], database_url: str
) -> Outcome:
    outcome = Outcome("ours (bot.delivery.Sender)", len(chats))
    await prepare_outbox(database_url, chats)
    await emu.control("reset_stats")
    result = finish(spawn("ours", args, TOKENS["ours"], database_url=database_url))
    stats = await emu.control("stats")
    statuses = await outbox_statuses(database_url)
    _account_ours(outcome, stats, chats, statuses)
    outcome.wall = send_span(stats["send_times"])
    outcome.rss_mb = result["rss_kb"] / 1024
    outcome.cpu_per_1k = 1000 * result["cpu"] / max(1, len(chats))
    return outcome


def _account_ours(
    outcome: Outcome, stats: dict[str, Any], chats: Sequence[int], statuses: dict[int, str]
) -> None:
    excused = {c for c, s in statuses.items() if s in ("failed", "blocked", "uncertain")}
    judge(outcome, stats, chats, excused)
    per_chat = {int(chat): n for chat, n in stats["accepted_per_chat"].items()}
    # A row marked sent whose chat got nothing would be a lie in the report.
    outcome.unaccounted += sum(
        1 for c, s in statuses.items() if s == "sent" and per_chat.get(c, 0) == 0
    )
    outcome.unaccounted += sum(1 for c in chats if c not in statuses)
    outcome.uncertain = sum(1 for s in statuses.values() if s == "uncertain")
    outcome.failed = sum(1 for s in statuses.values() if s in ("failed", "blocked"))


async def run_peer(emu: EmulatorProcess, args: argparse.Namespace, chats: Sequence[int]) -> Outcome:
    outcome = Outcome("peer (PTB 22.8 AIORateLimiter)", len(chats))
    await emu.control("reset_stats")
    result = finish(spawn("peer", args, TOKENS["peer"]))
    stats = await emu.control("stats")
    errors = {int(chat) for chat in result["errors"]}
    judge(outcome, stats, chats, errors)
    outcome.failed = len(errors)
    outcome.wall = send_span(stats["send_times"])
    outcome.rss_mb = result["rss_kb"] / 1024
    outcome.cpu_per_1k = 1000 * result["cpu"] / max(1, len(chats))
    return outcome


async def run_crash(
    emu: EmulatorProcess,
    args: argparse.Namespace,
    chats: Sequence[int],
    database_url: str,
    rng: random.Random,
) -> Outcome:
    outcome = Outcome("ours, SIGKILL + restart", len(chats))
    await prepare_outbox(database_url, chats)
    await emu.control("reset_stats")
    expected = len(chats) / args.rate
    first = spawn("ours", args, TOKENS["crash"], database_url=database_url, options=CRASH_LEASES)
    for _ in range(600):  # wait out the process start-up (importing aiogram is slow)
        if (await emu.control("stats"))["sends"]:
            break
        await asyncio.sleep(0.5)
    delay = rng.uniform(0.1, 0.8) * expected
    await asyncio.sleep(delay)
    first.send_signal(signal.SIGKILL)
    first.wait()
    before = await emu.control("stats")
    outcome.notes.append(
        f"SIGKILL {delay:.1f} s into sending, after {before['sends']} accepted sends; "
        f"restarted with claim lease {CRASH_LEASES['claim_lease']:g} s, "
        f"send lease {CRASH_LEASES['send_lease']:g} s"
    )
    result = finish(
        spawn("ours", args, TOKENS["crash"], database_url=database_url, options=CRASH_LEASES)
    )
    stats = await emu.control("stats")
    statuses = await outbox_statuses(database_url)
    _account_ours(outcome, stats, chats, statuses)
    outcome.wall = send_span(stats["send_times"])
    outcome.rss_mb = result["rss_kb"] / 1024
    return outcome


def _chats(count: int) -> list[int]:
    return list(range(FIRST_CHAT, FIRST_CHAT + count))


def table(outcomes: Sequence[Outcome], args: argparse.Namespace) -> str:
    ceiling = 30.0
    lines = [
        f"Recipients: {args.recipients}; emulator limits 30 msg/s global, 1 msg/s per chat; "
        f"BROADCAST_RATE={args.rate:g}, concurrency {args.concurrency}.",
        "",
        "| run | sustained msg/s | % of 30/s | first→last send s | 429s | duplicates | unaccounted "
        "| uncertain | failed | peak RSS MB | CPU s per 1k msgs |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for o in outcomes:
        lines.append(
            f"| {o.name} | {o.rate:.2f} | {100 * o.rate / ceiling:.1f} | {o.wall:.1f} "
            f"| {o.too_many} | {o.duplicates} | {o.unaccounted} | {o.uncertain} | {o.failed} "
            f"| {o.rss_mb:.0f} | {'–' if o.cpu_per_1k is None else f'{o.cpu_per_1k:.2f}'} |"
        )
    notes = [f"- {o.name}: {note}" for o in outcomes for note in o.notes]
    return "\n".join(lines + (["", *notes] if notes else []))


async def main(args: argparse.Namespace) -> int:
    rng = random.Random(args.seed)
    chats = _chats(args.recipients)
    emu = EmulatorProcess()
    await emu.start()
    args.base_url = emu.base_url
    outcomes: list[Outcome] = []
    with tempfile.TemporaryDirectory(prefix="broadcast-bench-") as folder:
        try:
            await emu.add_users(chats)
            outcomes.append(await run_ours(emu, args, chats, await _database(args, folder, "ours")))
            print(table(outcomes, args), file=sys.stderr)
            if not args.skip_peer:
                outcomes.append(await run_peer(emu, args, chats))
                print(table(outcomes, args), file=sys.stderr)
            if not args.skip_crash:
                url = await _database(args, folder, "crash")
                outcomes.append(await run_crash(emu, args, chats, url, rng))
        finally:
            await emu.stop()
    print(table(outcomes, args))
    ours = outcomes[0]
    ok = ours.duplicates == 0 and ours.unaccounted == 0
    ok = ok and all(o.duplicates == 0 and o.unaccounted == 0 for o in outcomes if "ours" in o.name)
    return 0 if ok else 1


async def _database(args: argparse.Namespace, folder: str, name: str) -> str:
    if not args.database_url:
        return f"sqlite+aiosqlite:///{folder}/{name}.db"
    # PostgreSQL: a fresh database beside the one given, for this run only.
    import asyncpg
    from sqlalchemy.engine import make_url

    from bot.storage.database import normalise_url

    base = make_url(normalise_url(args.database_url))
    database = f"bench_{name}_{os.getpid()}"
    connection = await asyncpg.connect(
        host=base.host,
        port=base.port or 5432,
        user=base.username,
        password=base.password,
        database="postgres",
    )
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        await connection.execute(f'CREATE DATABASE "{database}"')
    finally:
        await connection.close()
    return base.set(database=database).render_as_string(hide_password=False)


def arguments(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int, default=10_000)
    parser.add_argument("--rate", type=float, default=float(os.environ.get("BROADCAST_RATE", 30)))
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--database-url", default="", help="PostgreSQL server (default: SQLite)")
    parser.add_argument("--skip-peer", action="store_true")
    parser.add_argument("--skip-crash", action="store_true")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--worker", choices=["ours", "peer"], help=argparse.SUPPRESS)
    parser.add_argument("--token", help=argparse.SUPPRESS)
    parser.add_argument("--base-url", help=argparse.SUPPRESS)
    parser.add_argument("--options", default="{}", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


if __name__ == "__main__":
    parsed = arguments()
    if parsed.worker:
        run_worker(parsed)
    else:
        sys.exit(asyncio.run(main(parsed)))
