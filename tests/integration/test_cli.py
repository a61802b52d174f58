"""The `canhgiac` command: one-line errors and non-zero exits, a real run against the emulator,
and the sandbox transcript."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli.app import app
from bot.emulator import Emulator

GOOD_TOKEN = "123456789:AAbbCCddEEffGGhhIIjjKKllMMnnOOppQQ"


@pytest.fixture
def clean_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No settings from the developer's shell or a `.env` in the working folder."""
    for name in list(os.environ):
        if name.startswith(("BOT_", "DATABASE_", "TELEGRAM_", "WEBHOOK_", "ADMIN_", "REDIS_")):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}")
    return tmp_path


def _one_line_error(result_output: str) -> str:
    """The single `Error:` line; log lines of the start-up may come before it, tracebacks never."""
    errors = [line for line in result_output.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1, result_output
    assert "Traceback" not in result_output
    return errors[0]


def test_run_without_token(clean_env: Path) -> None:
    result = CliRunner().invoke(app, ["run"])
    assert result.exit_code == 1
    assert "BOT_TOKEN is not set" in _one_line_error(result.output)


def test_run_with_malformed_token(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOT_TOKEN", "not-a-token")
    result = CliRunner().invoke(app, ["run"])
    assert result.exit_code == 1
    assert "BOT_TOKEN is malformed" in _one_line_error(result.output)


def test_run_with_unreachable_database(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOT_TOKEN", GOOD_TOKEN)
    monkeypatch.setenv("DATABASE_URL", "postgresql://nobody@127.0.0.1:9/none")
    result = CliRunner().invoke(app, ["run"])
    assert result.exit_code == 1
    line = _one_line_error(result.output)
    assert "Database unreachable" in line and "nobody" in line


def test_run_with_unreachable_telegram(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOT_TOKEN", GOOD_TOKEN)
    monkeypatch.setenv("TELEGRAM_API_BASE", "http://127.0.0.1:9")
    result = CliRunner().invoke(app, ["run"])
    assert result.exit_code == 1
    assert "Telegram unreachable" in _one_line_error(result.output)
    assert GOOD_TOKEN not in result.output


def test_run_with_rejected_token(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    async def scenario() -> tuple[int, str]:
        emulator = Emulator(tokens=["42:some-other-token-that-is-allowed"])
        await emulator.start()
        try:
            monkeypatch.setenv("BOT_TOKEN", GOOD_TOKEN)
            monkeypatch.setenv("TELEGRAM_API_BASE", emulator.base_url)
            result = await asyncio.to_thread(CliRunner().invoke, app, ["run"])
            return result.exit_code, result.output
        finally:
            await emulator.stop()

    code, output = asyncio.run(scenario())
    assert code == 1
    assert "rejected BOT_TOKEN" in _one_line_error(output)


def test_bad_setting_is_one_line(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOT_TIMEZONE", "Mars/Olympus")
    result = CliRunner().invoke(app, ["run"])
    assert result.exit_code == 1
    assert "BOT_TIMEZONE" in _one_line_error(result.output)


def test_version() -> None:
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0 and result.output.startswith("canhgiac ")


async def test_run_answers_start_through_any_bot_api_server(clean_env: Path) -> None:
    """`canhgiac run` in a process of its own, against the emulator: /start gets the buttons."""
    emulator = Emulator(bot_username="canhgiac_run_bot")
    await emulator.start()
    env = {**os.environ, "BOT_TOKEN": GOOD_TOKEN, "TELEGRAM_API_BASE": emulator.base_url}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        env=env,
        cwd=clean_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        emulator.add_user(3001, first_name="Hoa")
        emulator.send_text(3001, "/start")
        messages = await emulator.wait_for_messages(3001, 2, timeout=60)
        assert "Cảnh Giác" in (messages[0].text or "")
        buttons = [text for row in messages[1].buttons() for text, _ in row]
        assert buttons == ["✅ Tôi đồng ý", "✖️ Không, cảm ơn"]
        process.send_signal(signal.SIGTERM)
        output, _ = await asyncio.wait_for(process.communicate(), timeout=30)
        assert process.returncode == 0, output.decode()
        assert GOOD_TOKEN not in output.decode()
        assert emulator.violations == []
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        await emulator.stop()


def test_sandbox_script_transcript(clean_env: Path) -> None:
    script = clean_env / "script.txt"
    script.write_text(
        "# a learner joins\n/start\n1\n2\n/start HOCVIEN\n/baihoc\n", encoding="utf-8"
    )
    completed = subprocess.run(
        [sys.executable, "-m", "bot", "sandbox", "--script", str(script)],
        cwd=clean_env,
        capture_output=True,
        text=True,
        timeout=120,
        env={key: value for key, value in os.environ.items() if key != "DATABASE_URL"},
    )
    assert completed.returncode == 0, completed.stderr
    transcript = completed.stdout
    assert transcript.splitlines()[0] == "> /start"
    assert "[1] ✅ Tôi đồng ý" in transcript
    assert "Bạn dưới 18 tuổi?" in transcript and "[2] Không, tôi đủ 18 tuổi trở lên" in transcript
    assert "Bạn đã tham gia Đơn vị trình diễn với vai trò học viên." in transcript
    assert "[1] Chỉ thị 07/CT-BCA-V28" in transcript
    assert not list(clean_env.glob("*.db")), "the sandbox must not leave a database behind"
