"""Words a search should hear but not weigh: question words, stop words, greetings.

People ask the bot in sentences ("cháy nhà thì gọi số nào", "who do I call if there is a
fire"). The words that carry the question ("gọi", "cháy", "fire") must decide the ranking,
not "thì", "nào", "who", "is". Stop words are not dropped, only weighed lightly, because
folding makes some of them collide with real words: without marks "thi" is both "thì" (a
stop word) and "thị" ("chỉ thị"). So a Vietnamese stop word counts only as typed with its
marks, or in the short list of unmarked forms that collide with nothing the bot teaches.

English plurals are cut to their singular for matching ("tasks" → "task"), which no
Vietnamese syllable is affected by: none ends in "s".

A greeting ("xin chào", "hello") is not a search: the router answers it with a pointer to
/trogiup. `is_greeting` decides.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from bot.domain.text import tokens

_VIETNAMESE_STOP = """
    là gì nào đâu sao thế không có của và thì mà bị được cho với phải làm cần nên để khi mấy
    nhiêu những các một này đó ở tôi mình em anh chị bạn hãy muốn hỏi ơi ạ nhé vậy như về từ
    lúc ai giúp xin rồi đã sẽ đang thật nhỉ chứ hả đấy
"""
# Unmarked forms safe to treat as stop words: no word the bot teaches folds to them ("so" is
# "số", "an" is "an ninh", "dang" is "Đảng", "luc" is "lực lượng", "to" is "tổ": not listed).
_PLAIN_STOP = """
    la gi nao sao khong cua va duoc voi phai lam nen khi nhieu nhung cac mot nay minh em anh
    hay muon oi nhe vay nhu ai giup xin roi da se that cho
    what which who whom whose when where why how is are was were be been being does did done
    could might must shall should would will i my mine you your we us our they them their he
    she his her its this that these those the a of for in on at by with from about into over
    if there here and or but not no yes any some much many still need needs want please tell
    know get got have has had just as than then also very ok okay
"""
# Vietnamese stop and question words as typed with their marks.
VIETNAMESE_STOP = frozenset(_VIETNAMESE_STOP.split())
PLAIN_STOP = frozenset(_PLAIN_STOP.split())
GREETINGS = frozenset(
    {
        "xin chao",
        "chao",
        "alo",
        "a lo",
        "hello",
        "hi",
        "hey",
        "good morning",
        "good afternoon",
        "good evening",
        "chao buoi sang",
        "chao buoi chieu",
        "chao buoi toi",
    }
)
# Words that may follow a greeting without making it a question: "chào bạn", "hi bot".
_TAIL = "ban bot ad admin a nhe nha oi em anh chi moi nguoi ca there all everyone"
_GREETING_TAIL = frozenset(_TAIL.split())
_WORD = re.compile(r"[^\W_]+")


def is_stop(word: str, *, shouting: bool = False) -> bool:
    """Whether a query word, as typed (any case, with or without marks), is a stop word.
    A word in capitals is an abbreviation ("AI" is not "ai", who), unless the whole query
    is in capitals (`shouting`)."""
    if len(word) > 1 and word.isupper() and not shouting:
        return False
    lowered = unicodedata.normalize("NFC", word.lower())
    return lowered in VIETNAMESE_STOP or lowered in PLAIN_STOP


@lru_cache(maxsize=65536)
def stem(token: str) -> str:
    """A folded token with an English plural cut: "tasks" → "task", "companies" → "company"."""
    if len(token) >= 5 and token.endswith("ies"):
        return token[:-3] + "y"
    if len(token) >= 4 and token.endswith("s") and not token.endswith("ss") and token.isalpha():
        return token[:-1]
    return token


def query_words(query: str) -> list[tuple[str, bool]]:
    """The folded, stemmed tokens of a query, each with whether it is a stop word."""
    found: list[tuple[str, bool]] = []
    words = _WORD.findall(unicodedata.normalize("NFC", query))
    letters = [word for word in words if not word.isdigit()]
    shouting = len(letters) > 1 and all(word.isupper() for word in letters)
    for word in words:
        stop = is_stop(word, shouting=shouting)
        found += [(stem(token), stop) for token in tokens(word)]
    return found


def is_greeting(text: str) -> bool:
    """Whether `text` is only a greeting ("Xin chào!", "chào bạn", "Hello bot")."""
    words = tokens(text)
    while words and words[-1] in _GREETING_TAIL:
        words.pop()
    return 0 < len(words) <= 4 and " ".join(words) in GREETINGS
