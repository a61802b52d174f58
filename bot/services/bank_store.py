"""The quiz banks the bot serves, reloadable without a restart, and short keys for buttons.

A bank id may be up to 64 characters, too long for callback data next to a prefix, so buttons
carry `key_of(bank_id)`: the id itself when it is short, else a stable hash of it. The key is
derived from the id alone, so buttons sent before a restart or a reload still resolve.
"""

from __future__ import annotations

import logging
import zlib
from collections.abc import Mapping
from pathlib import Path

from bot.domain.quiz import Bank, QuizFormatError, load_banks

log = logging.getLogger(__name__)

MAX_PLAIN_KEY = 24
HASH_MARK = "~"


def key_of(bank_id: str) -> str:
    if len(bank_id) <= MAX_PLAIN_KEY:
        return bank_id
    return f"{HASH_MARK}{zlib.crc32(bank_id.encode('utf-8')):08x}"


class BankStore:
    """Holds the current banks; a reload swaps them only if every file loads cleanly."""

    def __init__(self, quizzes_dir: Path | None = None, banks: Mapping[str, Bank] | None = None):
        self.quizzes_dir = quizzes_dir
        if banks is None:
            if quizzes_dir is None:
                raise ValueError("a BankStore needs a folder or banks")
            banks = load_banks(quizzes_dir)
        self._set(banks)

    @classmethod
    def of(cls, *banks: Bank) -> BankStore:
        """A store of the given banks, for tests and tools."""
        return cls(banks={bank.id: bank for bank in banks})

    def _set(self, banks: Mapping[str, Bank]) -> None:
        self.banks: dict[str, Bank] = dict(banks)
        self._by_key = {key_of(bank_id): bank for bank_id, bank in self.banks.items()}

    def get(self, bank_id: str) -> Bank | None:
        return self.banks.get(bank_id)

    def by_key(self, key: str) -> Bank | None:
        return self._by_key.get(key)

    def find(self, text: str) -> Bank | None:
        """A bank named by its id or its key (as typed after a command)."""
        wanted = text.strip().lower()
        return self.banks.get(wanted) or self._by_key.get(wanted)

    def listed(self, language: str) -> list[Bank]:
        """Every bank, those in `language` first, then by title."""
        return sorted(self.banks.values(), key=lambda b: (b.language != language, b.title))

    def reload(self) -> list[str]:
        """Reload from the folder; returns the problems (empty when the swap happened)."""
        if self.quizzes_dir is None:
            return []
        try:
            banks = load_banks(self.quizzes_dir)
        except QuizFormatError as exc:
            log.error("Quiz banks not reloaded: %s", exc)
            return [str(problem) for problem in exc.problems]
        self._set(banks)
        log.info("Quiz banks reloaded: %d banks", len(banks))
        return []
