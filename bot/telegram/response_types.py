"""Keep aiogram's parsed-response classes of the common calls alive for the whole process.

aiogram reads every answer as `Response[<result type>]`; pydantic caches those generic classes
only weakly, so the garbage collector drops them and the next call builds the class again
(about 20 ms for a Message). Holding a reference once at start makes every call pay nothing.
"""

from __future__ import annotations

from typing import Any

from aiogram import methods
from aiogram.client.session.base import Response

COMMON_CALLS = (
    methods.GetUpdates,
    methods.GetMe,
    methods.AnswerCallbackQuery,
    methods.SendMessage,
    methods.EditMessageText,
    methods.EditMessageReplyMarkup,
    methods.DeleteMessage,
    methods.SendPhoto,
    methods.SendDocument,
    methods.SendPoll,
)
_KEPT: list[Any] = []


def keep_response_types() -> None:
    if _KEPT:
        return
    for call in COMMON_CALLS:
        result_type: Any = call.__returning__
        _KEPT.append(Response[result_type])
