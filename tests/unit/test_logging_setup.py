"""The logging set up by `canhgiac run` scrubs tokens and secrets from messages, tracebacks and
stacks, for its own handler and for any other handler on the root logger."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bot.redact import Redactor, redact
from tests.e2e.scan import captured_logging

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
WEBHOOK_SECRET = "wh-secret_Zq81x"
ODD_URL = "http://api.local/bot42:short/sendMessage"  # a token too short for the usual shape


def test_redact_replaces_tokens_and_bot_url_segments() -> None:
    assert redact(f"url='http://h/bot{TOKEN}/getMe'") == "url='http://h/bot<token>/getMe'"
    assert redact(f"token {TOKEN} here") == "token <token> here"
    assert redact(ODD_URL) == "http://api.local/bot<token>/sendMessage"
    assert (
        redact("http://h/file/bot42%3Aabc/photos/1.jpg") == "http://h/file/bot<token>/photos/1.jpg"
    )
    assert redact("at 12:30 the bot42 sent /help") == "at 12:30 the bot42 sent /help"


def test_a_configured_secret_is_replaced_anywhere() -> None:
    scrub = Redactor([WEBHOOK_SECRET, None, ""])
    assert scrub(f"header={WEBHOOK_SECRET}!") == "header=<secret>!"
    assert Redactor(["abc"])("abc") == "abc"  # too short to be a secret worth blanking words for


def _fail() -> None:
    raise RuntimeError(f"POST {ODD_URL} with {WEBHOOK_SECRET} failed for bot{TOKEN}")


def test_tracebacks_and_stacks_are_scrubbed_for_every_handler(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with captured_logging("INFO", secrets=(WEBHOOK_SECRET,)) as logs:
        caplog.set_level(logging.INFO)
        log = logging.getLogger("canhgiac.test")
        try:
            _fail()
        except RuntimeError:
            log.exception("sending %s failed", f"http://h/bot{TOKEN}/x")
        log.warning("secret is %s", WEBHOOK_SECRET, stack_info=True)
        log.error("wrapped", exc_info=RuntimeError(f"see {ODD_URL}"))
    assert "Traceback" in logs.text and "RuntimeError" in logs.text and "Stack (most" in logs.text
    for text in (logs.text, caplog.text, "\n".join(r.getMessage() for r in caplog.records)):
        assert TOKEN not in text
        assert TOKEN.split(":")[1] not in text
        assert WEBHOOK_SECRET not in text
        assert "bot42:short" not in text
    assert "<secret>" in logs.text and "bot<token>" in logs.text


def test_setting_up_twice_keeps_one_handler_and_other_handlers() -> None:
    root = logging.getLogger()
    other = logging.NullHandler()
    root.addHandler(other)
    try:
        with captured_logging("INFO"), captured_logging("WARNING"):
            ours = [h for h in root.handlers if h.get_name() == "canhgiac"]
            assert len(ours) == 1
            assert other in root.handlers
    finally:
        root.removeHandler(other)


def test_every_command_scrubs_what_it_logs(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Commands other than `run` set up no logging; Python's own last-resort output must not
    show the secrets either."""
    from bot.cli.common import load_settings

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("BOT_TOKEN", TOKEN)
    monkeypatch.setenv("WEBHOOK_SECRET", WEBHOOK_SECRET)
    factory = logging.getLogRecordFactory()
    try:
        load_settings()
        logging.getLogger("canhgiac.cli").warning("token %s secret %s", TOKEN, WEBHOOK_SECRET)
    finally:
        logging.setLogRecordFactory(factory)
    assert TOKEN not in caplog.text and WEBHOOK_SECRET not in caplog.text
    assert "token <secret> secret <secret>" in caplog.text
