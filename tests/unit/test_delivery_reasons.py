"""What a failed send stores as its reason: a short phrase, never an exception's own text."""

from __future__ import annotations

import pytest
from aiogram.exceptions import (
    ClientDecodeError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.methods import SendMessage
from aiohttp import ClientResponseError, RequestInfo
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from bot.delivery.sender import Verdict, describe, judge

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
METHOD = SendMessage(chat_id=1, text="x")


def _malformed() -> TelegramNetworkError:
    url = URL(f"http://127.0.0.1:8081/bot{TOKEN}/sendMessage")
    info = RequestInfo(url, "POST", CIMultiDictProxy(CIMultiDict()), url)
    cause = ClientResponseError(info, (), status=400, message="Bad status line")
    error = TelegramNetworkError(METHOD, f"{type(cause).__name__}: {cause}")
    error.__cause__ = cause
    return error


def _timeout() -> TelegramNetworkError:
    error = TelegramNetworkError(METHOD, "Request timeout error")
    error.__cause__ = TimeoutError()
    return error


@pytest.mark.parametrize(
    ("error", "reason", "verdict"),
    [
        (_malformed(), "malformed answer", Verdict.UNCERTAIN),
        (_timeout(), "timeout", Verdict.UNCERTAIN),
        (
            ClientDecodeError("Failed to decode object", ValueError(), f"<a href=/bot{TOKEN}/>"),
            "unreadable answer",
            Verdict.UNCERTAIN,
        ),
        (
            TelegramForbiddenError(METHOD, "Forbidden: bot was blocked by the user"),
            "blocked: bot was blocked by the user",
            Verdict.BLOCKED,
        ),
        (
            TelegramBadRequest(METHOD, "Bad Request: chat not found"),
            "bad request: chat not found",
            Verdict.BLOCKED,
        ),
        (
            TelegramServerError(METHOD, "Bad Gateway"),
            "server error: Bad Gateway",
            Verdict.RETRY,
        ),
        (
            TelegramRetryAfter(METHOD, "Too Many Requests: retry after 3", 3),
            "rate limited: retry after 3 s",
            Verdict.RATE_LIMITED,
        ),
    ],
)
def test_reasons_are_short_and_hold_no_token(
    error: Exception, reason: str, verdict: Verdict
) -> None:
    assert describe(error) == reason
    assert judge(error) is verdict
    assert TOKEN.split(":")[1] not in describe(error)


def test_a_description_quoting_a_token_is_scrubbed() -> None:
    error = TelegramBadRequest(METHOD, f"Bad Request: see http://h/bot{TOKEN}/getMe")
    assert describe(error) == "bad request: see http://h/bot<token>/getMe"
