"""Text helpers shared by the content loader and the search index.

Folding reduces Vietnamese text to what a person types on a phone without a Vietnamese
keyboard: lower case, no tone marks or vowel marks, "đ" as "d", punctuation as spaces.
Letters and digits are cut apart ("ct48" → "ct 48") and numbers lose leading zeros
("06" → "6"), so "Nghị định 06/2013/NĐ-CP" and "nghi dinh 6 2013" fold to the same tokens.

Tone marks: the project writes the classic placement ("hóa, khóa, ủy, xóa, hủy", the way
official names such as "Ủy ban nhân dân" are printed), not the newer "hoá, khoá, uỷ".
`classic_tones` converts; `modern_tone_words` finds what would be converted.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_TOKEN = re.compile(r"[^\W\d_]+|\d+")
_SPACES = re.compile(r"\s+")
_TONE_MARKS = "\u0301\u0300\u0309\u0303\u0323"  # sắc, huyền, hỏi, ngã, nặng


def _with_tones(letters: str) -> str:
    return "".join(unicodedata.normalize("NFC", f"{b}{t}") for b in letters for t in _TONE_MARKS)


# "oa", "oe", "uy" ending a syllable with the tone on the second vowel. After "q" the "u"
# belongs to the consonant ("quý"), and before a further letter ("hoàn", "khuỷu") both
# styles agree, so neither is matched.
_MODERN = re.compile(
    rf"(?<![qQ])(?:[oO][{_with_tones('aAeE')}]|[uU][{_with_tones('yY')}])(?![^\W\d_])"
)
_WORD_AROUND = re.compile(r"[^\W\d_]*$"), re.compile(r"^[^\W\d_]*")


def _to_classic(match: re.Match[str]) -> str:
    pair = match.group()
    second = unicodedata.normalize("NFD", pair[1])
    return unicodedata.normalize("NFC", pair[0] + second[1:]) + second[0]


def classic_tones(text: str) -> str:
    """`text` with tone marks in the classic place: "hoá" → "hóa", "huỷ" → "hủy"."""
    return _MODERN.sub(_to_classic, unicodedata.normalize("NFC", text))


def modern_tone_words(text: str) -> list[str]:
    """The words of `text` written with the newer placement ("xoá", "Uỷ"), in order."""
    text = unicodedata.normalize("NFC", text)
    words = []
    for match in _MODERN.finditer(text):
        before = _WORD_AROUND[0].search(text, 0, match.start())
        after = _WORD_AROUND[1].match(text[match.end() :])
        words.append(
            (before.group() if before else "") + match.group() + (after.group() if after else "")
        )
    return words


@lru_cache(maxsize=4096)
def fold_char(char: str) -> str:
    """One character folded to exactly one character: a bare lower-case letter or digit,
    or a space for anything else. Keeps positions aligned between a text and its folding."""
    if char in "đĐ":
        return "d"
    bare = "".join(
        part for part in unicodedata.normalize("NFD", char) if not unicodedata.combining(part)
    ).lower()
    if len(bare) >= 1 and bare[0].isalnum():
        return bare[0]
    return " "


class _FoldTable(dict[int, str]):
    """`str.translate` table for `fold_char`, filled on first sight of each character."""

    def __missing__(self, code: int) -> str:
        folded = self[code] = fold_char(chr(code))
        return folded


class _MarkTable(dict[int, int | None]):
    """`str.translate` table that drops combining marks, filled on first sight."""

    def __missing__(self, code: int) -> int | None:
        kept = self[code] = None if unicodedata.combining(chr(code)) else code
        return kept


_FOLD = _FoldTable()
_MARKS = _MarkTable()


def fold_aligned(text: str) -> str:
    """`text` folded character by character: same length, same positions.

    Meant for NFC text (the loader normalises every file to NFC), so that a match found in
    the folded form points at the same characters of the original."""
    return text.translate(_FOLD)


def _strip_marks(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return decomposed.translate(_MARKS).lower()


def tokens(text: str) -> list[str]:
    """Folded tokens: runs of letters, runs of digits (leading zeros dropped)."""
    found = _TOKEN.findall(_strip_marks(text))
    return [(token.lstrip("0") or "0") if token.isdigit() else token for token in found]


def fold(text: str) -> str:
    """The folded tokens of `text` joined by single spaces."""
    return " ".join(tokens(text))


def compact(text: str) -> str:
    """The folded form without spaces: "Chỉ thị 48" → "chithi48"."""
    return "".join(tokens(text))


def utf16_len(text: str) -> int:
    """Length as Telegram counts it: in UTF-16 code units."""
    return len(text) + sum(1 for char in text if ord(char) > 0xFFFF)


def one_line(text: str) -> str:
    """All whitespace runs (new lines included) as single spaces, trimmed."""
    return _SPACES.sub(" ", text).strip()


def shorten(text: str, width: int, *, ellipsis: str = "…") -> str:
    """`text` on one line, cut at a word boundary to at most `width` characters."""
    line = one_line(text)
    if len(line) <= width:
        return line
    room = width - len(ellipsis)
    cut = line[:room]
    space = cut.rfind(" ")
    if space > room // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:.-–") + ellipsis
