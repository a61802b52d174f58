"""Logging: one line per record, and a filter that keeps bot tokens out of every log line."""

from __future__ import annotations

import logging
import re

TOKEN_IN_TEXT = re.compile(r"\d{3,20}:[A-Za-z0-9_-]{20,100}")


class RedactTokens(logging.Filter):
    """aiogram and aiohttp may log request URLs, which contain `/bot<token>/`."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if TOKEN_IN_TEXT.search(message):
            record.msg = TOKEN_IN_TEXT.sub("<token>", message)
            record.args = None
        return True


def setup_logging(level: str = "INFO") -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactTokens())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
