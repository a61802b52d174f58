"""The explainer library the bot serves, reloadable (SIGHUP) without dropping updates."""

from __future__ import annotations

import logging
from pathlib import Path

from bot.domain.content import Library, check_content, load_library
from bot.domain.content_model import Problem

log = logging.getLogger(__name__)


class ContentStore:
    """Holds the current library; a reload swaps it only if the new files pass the checker."""

    def __init__(self, content_dir: Path) -> None:
        self.content_dir = content_dir
        self.library: Library = load_library(content_dir)

    def reload(self) -> list[Problem]:
        problems = check_content(self.content_dir)
        if problems:
            log.error("Content not reloaded: %d problem(s), first: %s", len(problems), problems[0])
            return problems
        self.library = load_library(self.content_dir)
        log.info("Content reloaded: %d explainers", len(self.library.ids()))
        return []
