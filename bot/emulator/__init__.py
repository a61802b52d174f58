"""A strict Telegram Bot API server on loopback for the sandbox, the tests and the benchmarks.

emu = Emulator()
await emu.start()
bot = Bot(token, session=AiohttpSession(api=TelegramAPIServer.from_base(emu.base_url)))
"""

from bot.emulator.emulator import Emulator
from bot.emulator.limits import RateLimits
from bot.emulator.models import Call, SentMessage, Violation

__all__ = ["Call", "Emulator", "RateLimits", "SentMessage", "Violation"]
