"""Secrets scrubbed out of text before it is logged, stored or shown.

A bot token looks like `123456789:AAH…` and travels in every Bot API URL (`/bot<token>/`);
aiohttp's errors quote that URL. The webhook secret and any other configured secret are
replaced wherever they appear.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

TOKEN_IN_TEXT = re.compile(r"\d{3,20}:[A-Za-z0-9_-]{20,100}")
# The path segment of a Bot API URL, even with a token of an unusual shape or percent-encoded.
BOT_URL_SEGMENT = re.compile(r"(?i)/(file/)?bot\d+(?::|%3A)[^/\s'\"?#]*")
TOKEN_MARK = "<token>"
SECRET_MARK = "<secret>"
_SHORTEST_SECRET = 6  # shorter "secrets" would blank out ordinary words


class Redactor:
    """Replaces tokens, Bot API URL segments and the given secrets in a text."""

    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        values = sorted(
            {s for s in secrets if s and len(s) >= _SHORTEST_SECRET}, key=len, reverse=True
        )
        self._secrets = (
            re.compile("|".join(re.escape(value) for value in values)) if values else None
        )

    def __call__(self, text: str) -> str:
        if self._secrets is not None:
            text = self._secrets.sub(SECRET_MARK, text)
        text = BOT_URL_SEGMENT.sub(lambda m: f"/{m[1] or ''}bot{TOKEN_MARK}", text)
        return TOKEN_IN_TEXT.sub(TOKEN_MARK, text)

    def found_in(self, text: str) -> bool:
        return self(text) != text


_plain = Redactor()


def redact(text: str) -> str:
    """`text` without anything shaped like a bot token or a Bot API URL's token segment."""
    return _plain(text)
