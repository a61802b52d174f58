"""Logging: one line per record (a traceback below it), and no secret in any of it.

Records are scrubbed where they are made (a log record factory), so every handler, ours or any
other attached to the root logger, gets the message, the formatted exception and the stack
without the bot token, a Bot API URL's token segment or a configured secret (the webhook
secret). Our own handler's formatter scrubs its whole output once more.

Some libraries log personal data below a level: aiosqlite's DEBUG lines quote every statement
with its parameters (names, usernames, message texts), SQLAlchemy's INFO lines the statements.
Those loggers never go below `QUIET`, whatever `LOG_LEVEL` says (the engines also hide their
parameters, see `storage.database`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any, TextIO

from bot.redact import Redactor

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
HANDLER_NAME = "canhgiac"
QUIET = {
    "aiosqlite": logging.INFO,
    "sqlalchemy.engine": logging.WARNING,
    "sqlalchemy.pool": logging.WARNING,
}

RecordFactory = Callable[..., logging.LogRecord]


class RedactingFormatter(logging.Formatter):
    """Formats a record, traceback and stack included, then scrubs the whole text."""

    def __init__(self, redactor: Redactor, fmt: str = FORMAT) -> None:
        super().__init__(fmt)
        self.redactor = redactor

    def format(self, record: logging.LogRecord) -> str:
        return self.redactor(super().format(record))


def scrub(record: logging.LogRecord, redactor: Redactor, formatter: logging.Formatter) -> None:
    """Rewrite a record in place: message, exception text and stack without secrets.

    The exception is formatted here once; formatters use a record's `exc_text` as it is.
    """
    try:
        message = record.getMessage()
    except Exception:  # a broken format: the handler reports it as it always does
        return
    clean = redactor(message)
    if clean != message:
        record.msg, record.args = clean, None
    if record.exc_info and not record.exc_text:
        record.exc_text = formatter.formatException(record.exc_info)
    if record.exc_text:
        record.exc_text = redactor(record.exc_text)
    if record.stack_info:
        record.stack_info = redactor(record.stack_info)


class ScrubbingFactory:
    """A log record factory that scrubs each record right after the usual factory made it."""

    def __init__(self, base: RecordFactory, redactor: Redactor) -> None:
        self.base = base
        self.redactor = redactor
        self.formatter = logging.Formatter()

    def __call__(self, *args: Any, **kwargs: Any) -> logging.LogRecord:
        record = self.base(*args, **kwargs)
        scrub(record, self.redactor, self.formatter)
        return record


def install_scrubbing(secrets: Iterable[str | None] = ()) -> Redactor:
    """Scrub every record made from now on (again calling it replaces the secrets)."""
    redactor = Redactor(secrets)
    current = logging.getLogRecordFactory()
    base = current.base if isinstance(current, ScrubbingFactory) else current
    logging.setLogRecordFactory(ScrubbingFactory(base, redactor))
    return redactor


def setup_logging(
    level: str = "INFO",
    *,
    secrets: Iterable[str | None] = (),
    stream: TextIO | None = None,
) -> logging.Handler:
    """One handler on the root logger (replacing the one an earlier call made)."""
    redactor = install_scrubbing(secrets)
    handler = logging.StreamHandler(stream)
    handler.set_name(HANDLER_NAME)
    handler.setFormatter(RedactingFormatter(redactor))
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == HANDLER_NAME]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    for name, floor in QUIET.items():
        logging.getLogger(name).setLevel(max(floor, root.level))
    return handler
