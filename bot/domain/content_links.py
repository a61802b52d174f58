"""Links between explainers.

In Markdown an author writes `[Thông tư 124](doc:tt-124-2021)`. The rendered HTML turns it
into a deep link that opens the other explainer in this bot:

    <a href="https://t.me/{bot_username}?start=doc-tt-124-2021">Thông tư 124</a>

The bot's username is only known once it runs (`getMe`), so the rendered text keeps the
literal placeholder `{bot_username}`; `fill_bot_username` (or `Section.messages_for`)
puts the real name in just before sending. The /start handler reads the payload back with
`explainer_id_from_start`. Message sizes are checked with the longest possible username,
so filling it in never pushes a message over Telegram's limit.
"""

from __future__ import annotations

import re

BOT_USERNAME_PLACEHOLDER = "{bot_username}"
MAX_BOT_USERNAME = 32
DOC_SCHEME = "doc:"
START_PREFIX = "doc-"
_USERNAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{3,31}$")
_START_PAYLOAD = re.compile(r"^doc-([a-z0-9]+(?:-[a-z0-9]+)*)$")


def doc_link_href(explainer_id: str) -> str:
    """The href an explainer link renders to, with the username still a placeholder."""
    return f"https://t.me/{BOT_USERNAME_PLACEHOLDER}?start={START_PREFIX}{explainer_id}"


def doc_deep_link(bot_username: str, explainer_id: str) -> str:
    """A t.me link that opens `explainer_id` in the bot called `bot_username`."""
    return fill_bot_username(doc_link_href(explainer_id), bot_username)


def fill_bot_username(html: str, bot_username: str) -> str:
    """Put the bot's username into every explainer link of a rendered message."""
    username = bot_username.lstrip("@")
    if not _USERNAME.match(username):
        raise ValueError(f"not a Telegram bot username: {bot_username!r}")
    return html.replace(BOT_USERNAME_PLACEHOLDER, username)


def explainer_id_from_start(payload: str | None) -> str | None:
    """The explainer id in a /start payload such as "doc-chi-thi-07", else None."""
    match = _START_PAYLOAD.match(payload or "")
    return match.group(1) if match else None


def worst_case_length(html: str) -> int:
    """Length of `html` once the longest possible username replaces each placeholder."""
    extra = MAX_BOT_USERNAME - len(BOT_USERNAME_PLACEHOLDER)
    return len(html) + html.count(BOT_USERNAME_PLACEHOLDER) * extra
