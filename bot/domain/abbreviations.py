"""Abbreviations a learner may not know: each must be spelled out before its first use.

Official texts write "ANTQ" for "an ninh Tổ quốc" and "ANTT" for "an ninh, trật tự"; a
worker or a student meeting them cold cannot. A text (an explainer read from its title on,
a quiz question read from its text to its explanation) passes when the words an
abbreviation stands for come before it, e.g. "an ninh, trật tự (ANTT)".
"""

from __future__ import annotations

import re

from bot.domain.text import fold

ABBREVIATIONS: dict[str, dict[str, str]] = {
    "ANTQ": {"vi": "an ninh Tổ quốc", "en": "national security"},
    "ANTT": {"vi": "an ninh, trật tự", "en": "security and order"},
}
_USE = {short: re.compile(rf"(?<![\w]){short}(?![\w])") for short in ABBREVIATIONS}


def unexplained(text: str, lang: str) -> list[str]:
    """The abbreviations `text` uses before spelling them out, in the order of ABBREVIATIONS."""
    missing: list[str] = []
    for short, meanings in ABBREVIATIONS.items():
        first = _USE[short].search(text)
        if first is None:
            continue
        meaning = fold(meanings.get(lang, meanings["vi"]))
        if f" {meaning} " not in f" {fold(text[: first.start()])} ":
            missing.append(short)
    return missing


def explanation_hint(short: str, lang: str) -> str:
    """How to spell an abbreviation out: "an ninh Tổ quốc (ANTQ)"."""
    meanings = ABBREVIATIONS[short]
    return f"{meanings.get(lang, meanings['vi'])} ({short})"
