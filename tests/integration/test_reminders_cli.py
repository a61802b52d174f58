"""`canhgiac reminders add/list/remove` against a migrated SQLite database."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest
from sqlmodel import select
from typer.testing import CliRunner

from bot.cli.app import app
from bot.storage import migrate
from bot.storage.database import create_engine, create_sessionmaker
from bot.storage.models import Unit
from bot.storage.models_reminders import Reminder


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    for name in list(os.environ):
        if name.startswith(("BOT_", "DATABASE_", "REMINDER_", "HOLIDAYS")):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("DATABASE_URL", url)

    async def prepare() -> None:
        engine = create_engine(url)
        await migrate.upgrade(engine)
        async with create_sessionmaker(engine)() as session:
            session.add(Unit(code="TRUONG-A", name="Trường A", timezone="Asia/Ho_Chi_Minh"))
            await session.commit()
        await engine.dispose()

    asyncio.run(prepare())
    return url


def rows(url: str) -> list[Reminder]:
    async def read() -> list[Reminder]:
        engine = create_engine(url)
        async with create_sessionmaker(engine)() as session:
            found = list((await session.exec(select(Reminder))).all())
        await engine.dispose()
        return found

    return asyncio.run(read())


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["reminders", *args])
    return result.exit_code, result.output


def test_add_list_remove(database: str) -> None:
    code, out = run("add", "--unit", "truong-a", "--text", "Đọc <Chỉ thị 07>", "--daily", "8:00")
    assert code == 0, out
    assert out.startswith("Reminder #1 added for TRUONG-A: first ")
    code, out = run(
        "add",
        "--unit",
        "TRUONG-A",
        "--text",
        "Làm bài kiểm tra",
        "--cron",
        "0 8 * * 1-5",
        "--quiet-hours",
        "off",
        "--audience",
        "unpassed:chi-thi-07",
        "--quiz",
        "chi-thi-07",
    )
    assert code == 0, out
    code, out = run("add", "--unit", "TRUONG-A", "--text", "x", "--at", "2099-08-19T08:00+07:00")
    assert code == 0, out
    daily, cron, once = rows(database)
    assert daily.text == "Đọc &lt;Chỉ thị 07&gt;" and daily.quiet_hours == "21:00-07:00"
    assert (cron.audience, cron.audience_ref, cron.message_kind, cron.quiet_hours) == (
        "unpassed",
        "chi-thi-07",
        "quiz",
        "off",
    )
    assert once.schedule_kind == "once"
    code, out = run("list")
    assert code == 0 and out.count("TRUONG-A") == 3 and "Đọc <Chỉ thị 07>" in out
    assert run("remove", "1") == (0, "Reminder #1 removed.\n")
    code, out = run("list")
    assert "#1\t" not in out
    assert "#1\t" in run("list", "--all")[1]


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--unit", "NOPE", "--text", "x", "--daily", "8:00"], 2, "no unit with code NOPE"),
        (["--unit", "TRUONG-A", "--text", "x"], 2, "exactly one of"),
        (["--unit", "TRUONG-A", "--text", "x", "--daily", "8:00", "--cron", "* * * * *"], 2, ""),
        (["--unit", "TRUONG-A", "--text", "x", "--at", "01/01/2020 08:00"], 1, "never be sent"),
        (["--unit", "TRUONG-A", "--text", "x", "--cron", "0 25 * * *"], 1, "hour must be"),
        (["--unit", "TRUONG-A", "--text", "x", "--daily", "8:00", "--audience", "some"], 2, ""),
        (["--unit", "TRUONG-A", "--text", "x", "--daily", "8:00", "--quiet-hours", "x"], 1, ""),
    ],
)
def test_add_refuses_with_one_line(database: str, args: list[str], code: int, message: str) -> None:
    exit_code, out = run("add", *args)
    assert exit_code == code, out
    errors = [line for line in out.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and message in errors[0] and "Traceback" not in out
    assert rows(database) == []


def test_remove_unknown(database: str) -> None:
    code, out = run("remove", "42")
    assert code == 1 and "no reminder #42" in out


def said(output: str) -> list[str]:
    """What the command said (log lines of an earlier test's logging setup left out)."""
    return [line for line in output.splitlines() if line.startswith(("Error:", "Reminder", "Note"))]


def test_unknown_banks_and_explainers_are_refused_with_the_known_ones(database: str) -> None:
    code, out = run(
        "add", "--unit", "TRUONG-A", "--text", "x", "--daily", "8:00", "--quiz", "khong-co"
    )
    assert code == 2, out
    error = next(line for line in out.splitlines() if line.startswith("Error:"))
    assert error.startswith("Error: --quiz: no quiz bank 'khong-co'; known banks: ")
    assert "chi-thi-07" in error and "lua-dao-tin-gia" in error
    audience = ["--audience", "unpassed:khong-co"]
    code, out = run("add", "--unit", "TRUONG-A", "--text", "x", "--daily", "8:00", *audience)
    assert code == 2 and "--audience unpassed: no quiz bank 'khong-co'" in out
    code, out = run(
        "add", "--unit", "TRUONG-A", "--text", "x", "--daily", "8:00", "--explainer", "khong-co"
    )
    assert code == 2 and "--explainer: no explainer 'khong-co'" in out
    assert rows(database) == []


def test_a_time_in_the_quiet_hours_is_said_never_moved_silently(database: str) -> None:
    late = ["add", "--unit", "TRUONG-A", "--text", "Ôn tập", "--at", "25/12/2099 22:30"]
    code, out = run(*late)
    assert code == 1, out
    assert said(out) == [
        "Error: 25/12/2099 22:30 is inside the quiet hours 21:00-07:00: it would be sent at "
        "26/12/2099 07:00. Add --yes to accept that, or give another time (or --quiet-hours off)."
    ]
    assert rows(database) == []
    code, out = run(*late, "--yes")
    assert code == 0, out
    assert said(out) == [
        "Reminder #1 added for TRUONG-A: first 26/12/2099 07:00 (Asia/Ho_Chi_Minh).",
        "Note: 25/12/2099 22:30 is inside the quiet hours 21:00-07:00: it would be sent at "
        "26/12/2099 07:00.",
    ]
    code, out = run("add", "--unit", "TRUONG-A", "--text", "x", "--daily", "22:00")
    assert code == 1 and "each one would be sent at 07:00 the next day" in out
    code, out = run("add", "--unit", "TRUONG-A", "--text", "x", "--weekly", "T2 5:30")
    assert code == 1 and "05:30 is inside the quiet hours 21:00-07:00" in out
    off = ["--at", "25/12/2099 22:30", "--quiet-hours", "off"]
    code, out = run("add", "--unit", "TRUONG-A", "--text", "x", *off)
    assert code == 0 and "first 25/12/2099 22:30" in out and "Note" not in out
    assert len(rows(database)) == 2


def test_list_shows_days_as_people_write_them(database: str) -> None:
    code, out = run("add", "--unit", "TRUONG-A", "--text", "Họp", "--weekly", "T4 T2 08:00")
    assert code == 0, out
    code, out = run("add", "--unit", "TRUONG-A", "--text", "Nghỉ", "--weekly", "cn,t7 09:15")
    assert code == 0, out
    code, out = run("list")
    timings = [line.split("\t")[2] for line in out.splitlines() if line.startswith("#")]
    assert timings == ["weekly T2, T4 08:00", "weekly T7, CN 09:15"]


def test_the_first_fire_skips_tet_and_holidays_can_be_removed(
    database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    daily = ["add", "--unit", "TRUONG-A", "--text", "Ôn tập", "--daily", "08:00"]
    code, out = run(*daily, "--start", "05/02/2027")
    assert code == 0 and "first 11/02/2027 08:00" in out, out  # 30 Tết to mùng 5 are days off
    code, out = run(*daily, "--start", "05/02/2027", "--on-holidays")
    assert code == 0 and "first 05/02/2027 08:00" in out, out
    monkeypatch.setenv("HOLIDAYS_EXCLUDE", "2027-02-05,2027-02-06")
    code, out = run(*daily, "--start", "05/02/2027")
    assert code == 0 and "first 05/02/2027 08:00" in out, out
    monkeypatch.setenv("HOLIDAYS", "02-11")
    monkeypatch.delenv("HOLIDAYS_EXCLUDE")
    code, out = run(*daily, "--start", "05/02/2027")
    assert code == 0 and "first 12/02/2027 08:00" in out, out
