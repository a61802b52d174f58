"""The command line finds the same database and folders from any working folder: relative
settings are read against the home (CANHGIAC_HOME, else the settings file's folder), and a
command that only reads refuses a database that does not exist instead of creating one."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli.app import app
from bot.settings import Settings

UNITS = "code,name,kind,parent_code\nTRUONG,Trường Xa,school,\n"
READ_COMMANDS = [
    ["units", "list"],
    ["stats", "report", "--unit", "TRUONG", "-o", "out.xlsx"],
    ["broadcast", "status", "1"],
    ["reminders", "list"],
    ["invite", "list"],
    ["grant", "42", "--unit", "TRUONG", "--role", "officer"],
]


@pytest.fixture
def place(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """A home folder with a settings file naming a relative database, and another folder to
    work from; no settings from the developer's shell."""
    for name in list(os.environ):
        if name.startswith(("BOT_", "DATABASE_", "CANHGIAC_", "CONTENT_", "QUIZZES_")):
            monkeypatch.delenv(name, raising=False)
    home = tmp_path / "home"
    elsewhere = tmp_path / "elsewhere"
    home.mkdir()
    elsewhere.mkdir()
    (home / "bot.env").write_text(
        "DATABASE_URL=sqlite+aiosqlite:///data/canhgiac.db\nCONTENT_DIR=my-content\n",
        encoding="utf-8",
    )
    (home / "units.csv").write_text(UNITS, encoding="utf-8")
    monkeypatch.chdir(elsewhere)
    return home, elsewhere


def test_relative_settings_are_read_against_the_settings_file_folder(
    place: tuple[Path, Path],
) -> None:
    home, _ = place
    settings = Settings(_env_file=home / "bot.env")
    assert settings.home == home.resolve()
    assert settings.database_file == home.resolve() / "data" / "canhgiac.db"
    assert settings.content_dir == home.resolve() / "my-content"
    assert settings.quizzes_dir == home.resolve() / "quizzes"


def test_canhgiac_home_wins_over_the_settings_file_folder(
    place: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    home, _ = place
    monkeypatch.setenv("CANHGIAC_HOME", str(tmp_path / "srv"))
    settings = Settings(_env_file=home / "bot.env")
    assert settings.database_file == (tmp_path / "srv" / "data" / "canhgiac.db").resolve()
    absolute = Settings(_env_file=None, database_url=f"sqlite:///{tmp_path / 'x.db'}")
    assert absolute.database_file == tmp_path / "x.db"
    postgres = Settings(_env_file=None, database_url="postgresql://bot:secret@db/canhgiac")
    assert postgres.database_file is None
    assert postgres.database_label() == "postgresql://bot:***@db/canhgiac"


def test_commands_use_the_home_database_from_another_folder(place: tuple[Path, Path]) -> None:
    home, elsewhere = place
    runner = CliRunner()
    env_file = str(home / "bot.env")
    made = runner.invoke(app, ["--env-file", env_file, "units", "import", str(home / "units.csv")])
    assert made.exit_code == 0, made.output
    assert (home / "data" / "canhgiac.db").is_file()

    listed = runner.invoke(app, ["--env-file", env_file, "--verbose", "units", "list"])
    assert listed.exit_code == 0, listed.output
    assert "TRUONG" in listed.stdout and "Trường Xa" in listed.stdout
    database = home.resolve() / "data" / "canhgiac.db"
    assert f"Database: sqlite+aiosqlite:///{database}" in listed.stderr
    assert f"Settings file: {home.resolve() / 'bot.env'}" in listed.stderr
    assert not (elsewhere / "data").exists()


def test_the_settings_file_can_come_from_the_environment(
    place: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    home, elsewhere = place
    monkeypatch.setenv("CANHGIAC_ENV_FILE", str(home / "bot.env"))
    runner = CliRunner()
    assert runner.invoke(app, ["units", "import", str(home / "units.csv")]).exit_code == 0
    listed = runner.invoke(app, ["units", "list"])
    assert listed.exit_code == 0 and "TRUONG" in listed.stdout
    assert not (elsewhere / "data").exists()


@pytest.mark.parametrize("command", READ_COMMANDS, ids=lambda c: " ".join(c[:2]))
def test_read_commands_refuse_a_missing_database(
    place: tuple[Path, Path], command: list[str]
) -> None:
    home, elsewhere = place
    result = CliRunner().invoke(app, ["--env-file", str(home / "bot.env"), *command])
    assert result.exit_code == 2, result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    database = home.resolve() / "data" / "canhgiac.db"
    assert errors == [
        f"Error: no database at {database}: set DATABASE_URL (or CANHGIAC_HOME) to the bot's "
        "database, or name its settings file with `canhgiac --env-file PATH …`"
    ]
    assert not (home / "data").exists() and not (elsewhere / "data").exists()
    assert list(elsewhere.iterdir()) == []


def test_a_missing_settings_file_is_one_line(place: tuple[Path, Path]) -> None:
    result = CliRunner().invoke(app, ["--env-file", "nowhere.env", "units", "list"])
    assert result.exit_code == 2
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert errors == ["Error: --env-file nowhere.env: no such file"]


def test_the_installed_command_from_another_folder(place: tuple[Path, Path]) -> None:
    """The real entry point in its own process, started in a folder that is not the home."""
    home, elsewhere = place
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DATABASE_", "CANHGIAC_", "CONTENT_", "QUIZZES_"))
    }
    env["CANHGIAC_HOME"] = str(home)

    def canhgiac(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "bot", *args],
            cwd=elsewhere,
            capture_output=True,
            text=True,
            timeout=120,
            env=env,
        )

    refused = canhgiac("units", "list")
    assert refused.returncode == 2 and "no database at" in refused.stderr
    assert canhgiac("units", "import", str(home / "units.csv")).returncode == 0
    listed = canhgiac("-v", "units", "list")
    assert listed.returncode == 0, listed.stderr
    assert "TRUONG" in listed.stdout
    assert str(home.resolve() / "data" / "canhgiac.db") in listed.stderr
    assert list(elsewhere.iterdir()) == []
