"""Run the emulator standalone: `python -m bot.emulator --port 8081`."""

from __future__ import annotations

import argparse
import asyncio
import contextlib

from bot.emulator.emulator import Emulator
from bot.emulator.limits import RateLimits


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bot.emulator", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--bot-username", default="canhgiac_bot")
    parser.add_argument("--token", action="append", help="accept only these tokens (repeatable)")
    parser.add_argument("--rate-limits", action="store_true", help="enforce Telegram's limits")
    parser.add_argument("--global-per-second", type=float, default=30)
    parser.add_argument("--private-per-second", type=float, default=1)
    parser.add_argument("--private-burst", type=int, default=3)
    parser.add_argument("--group-per-minute", type=int, default=20)
    return parser.parse_args()


async def _serve(args: argparse.Namespace) -> None:
    limits = None
    if args.rate_limits:
        limits = RateLimits(
            global_per_second=args.global_per_second,
            private_per_second=args.private_per_second,
            private_burst=args.private_burst,
            group_per_minute=args.group_per_minute,
        )
    emulator = Emulator(rate_limits=limits, bot_username=args.bot_username, tokens=args.token)
    base_url = await emulator.start(args.host, args.port)
    print(base_url, flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await emulator.stop()


def main() -> None:
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(_arguments()))


if __name__ == "__main__":
    main()
