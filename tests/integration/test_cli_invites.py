"""`canhgiac invite create/list/revoke` on a real database: a code without the bot's username,
a last day in the past refused, the list by unit, and a revoked code that nobody can redeem."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar

import pytest
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession
from typer.testing import CliRunner

from bot.cli.app import app
from bot.services.enrollment import EnrollStatus, redeem_invite
from bot.storage.database import create_engine, create_sessionmaker
from bot.storage.models import InviteCode, Membership, Unit, User

T = TypeVar("T")


def on_database(url: str, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    async def run() -> T:
        engine = create_engine(url)
        try:
            async with create_sessionmaker(engine)() as session:
                return await work(session)
        finally:
            await engine.dispose()

    return asyncio.run(run())


@pytest.fixture
def cli(database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> CliRunner:
    for name in list(os.environ):
        if name.startswith(("BOT_", "DATABASE_", "CANHGIAC_", "TELEGRAM_")):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.chdir(tmp_path)

    async def units(session: AsyncSession) -> None:
        school = Unit(code="TRUONG", name="Trường A", kind="school")
        other = Unit(code="CTY", name="Công ty B", kind="enterprise")
        session.add_all([school, other])
        await session.flush()
        session.add(Unit(code="LOP-1", name="Lớp 1", kind="class", parent_id=school.id))
        await session.commit()

    on_database(database_url, units)
    return CliRunner()


def invites(url: str) -> dict[str, InviteCode]:
    async def read(session: AsyncSession) -> dict[str, InviteCode]:
        return {i.code: i for i in (await session.exec(select(InviteCode))).all()}

    return on_database(url, read)


def errors(output: str) -> list[str]:
    """The `Error:` lines (log lines of an earlier test's logging setup may surround them)."""
    return [line for line in output.splitlines() if line.startswith("Error:")]


def code_in(output: str) -> str:
    first = output.splitlines()[0]
    assert first.startswith("Code "), output
    return first.split()[1].rstrip(":")


def test_create_without_the_bot_username_still_makes_the_code(
    cli: CliRunner, database_url: str, tmp_path: Path
) -> None:
    made = cli.invoke(app, ["invite", "create", "--unit", "lop-1"])
    assert made.exit_code == 0, made.output
    code = code_in(made.stdout)
    assert made.stdout.splitlines()[1:] == [
        "Note: no link or QR code, the bot's username is unknown: give --bot-username or set "
        "BOT_TOKEN.",
        f"People join by sending /start {code} to the bot.",
    ]
    stored = invites(database_url)
    assert list(stored) == [code] and stored[code].role == "learner"
    assert list(tmp_path.glob("*.png")) == []


def test_a_last_day_in_the_past_is_refused(cli: CliRunner, database_url: str) -> None:
    past = cli.invoke(
        app,
        ["invite", "create", "--unit", "TRUONG", "--expires", "01/01/2020", "--bot-username", "b"],
    )
    assert past.exit_code == 2
    assert errors(past.stderr) == [
        "Error: --expires 01/01/2020 is in the past: give today or a later day"
    ]
    assert invites(database_url) == {}
    today = datetime.now(UTC) + timedelta(hours=7)
    ok = cli.invoke(
        app,
        ["invite", "create", "--unit", "TRUONG", "--expires", f"{today:%d/%m/%Y}", "--qr", "q.png"],
    )
    assert ok.exit_code == 0, ok.output


def test_list_by_unit_and_revoke(cli: CliRunner, database_url: str) -> None:
    def create(*args: str) -> str:
        made = cli.invoke(app, ["invite", "create", *args])
        assert made.exit_code == 0, made.output
        return code_in(made.stdout)

    school = create(
        "--unit", "TRUONG", "--role", "trainer", "--uses", "3", "--expires", "31/12/2099"
    )
    pupils = create("--unit", "LOP-1")
    company = create("--unit", "CTY", "--role", "officer")

    everything = cli.invoke(app, ["invite", "list"])
    assert everything.exit_code == 0, everything.output
    lines = everything.stdout.splitlines()
    assert [line.split("\t")[0] for line in lines] == [company, pupils, school]
    assert lines[2].split("\t") == [
        school,
        "TRUONG",
        "trainer",
        "3 uses left",
        "until 31/12/2099",
        "open",
    ]
    subtree = cli.invoke(app, ["invite", "list", "--unit", "truong"])
    assert [line.split("\t")[0] for line in subtree.stdout.splitlines()] == [pupils, school]
    assert cli.invoke(app, ["invite", "list", "--unit", "NOPE"]).exit_code == 2

    revoked = cli.invoke(app, ["invite", "revoke", pupils.lower()])
    assert revoked.exit_code == 0, revoked.output
    assert revoked.stdout.strip() == (
        f"Invite {pupils} revoked: nobody can join Lớp 1 (LOP-1) with it any more."
    )
    after = cli.invoke(app, ["invite", "list", "--unit", "LOP-1"]).stdout.split("\t")
    assert after[3:] == ["0 uses left", "no end", "used up or revoked\n"]
    unknown = cli.invoke(app, ["invite", "revoke", "KHONGCO"])
    assert unknown.exit_code == 2 and "no invite with code KHONGCO" in unknown.stderr

    async def redeem(session: AsyncSession) -> tuple[EnrollStatus, EnrollStatus, int]:
        now = datetime.now(UTC)
        session.add(User(id=5001, first_name="Lan", consent_at=now, consent_version=1))
        await session.commit()
        user = await session.get(User, 5001)
        assert user is not None
        refused = await redeem_invite(session, user, pupils)
        joined = await redeem_invite(session, user, company)
        members = len((await session.exec(select(Membership))).all())
        return refused.status, joined.status, members

    refused, joined, members = on_database(database_url, redeem)
    assert (refused, joined, members) == (EnrollStatus.USED_UP, EnrollStatus.ENROLLED, 1)


def test_grant_and_revoke_by_username(cli: CliRunner, database_url: str) -> None:
    async def people(session: AsyncSession) -> None:
        now = datetime.now(UTC)
        session.add_all(
            [
                User(id=6001, username="Co_Lan", consent_at=now, consent_version=1),
                User(id=6002, username="minh_gv", consent_at=now, consent_version=1),
                # Two rows with one name: someone changed theirs after the bot last saw them.
                User(id=6003, username="hoa", consent_at=now, consent_version=1),
                User(id=6004, username="Hoa", consent_at=now, consent_version=1),
                User(id=6005, username="da_xoa", erased_at=now),
            ]
        )
        await session.commit()

    on_database(database_url, people)
    granted = cli.invoke(app, ["grant", "@co_lan", "--unit", "truong", "--role", "trainer"])
    assert granted.exit_code == 0, granted.output
    assert granted.stdout.strip() == "@co_lan (6001) is now trainer in Trường A (TRUONG)."
    again = cli.invoke(app, ["grant", "CO_LAN", "--unit", "TRUONG", "--role", "trainer"])
    assert again.stdout.strip() == "@CO_LAN (6001) is already trainer in Trường A (TRUONG)."

    ambiguous = cli.invoke(app, ["grant", "@HOA", "--unit", "TRUONG", "--role", "officer"])
    assert ambiguous.exit_code == 2
    assert errors(ambiguous.stderr) == [
        "Error: several people go by @HOA (ids 6003, 6004): give the numeric id"
    ]
    for unknown in ("@khong_ai", "@da_xoa"):
        result = cli.invoke(app, ["grant", unknown, "--unit", "TRUONG", "--role", "officer"])
        assert result.exit_code == 2
        assert "nobody known to the bot goes by" in result.stderr

    revoked = cli.invoke(app, ["revoke", "@Co_Lan", "--unit", "TRUONG"])
    assert revoked.exit_code == 0, revoked.output
    assert revoked.stdout.strip() == "Ended: trainer for @Co_Lan (6001) in TRUONG."

    async def roles(session: AsyncSession) -> list[tuple[int, str, bool]]:
        rows = (await session.exec(select(Membership))).all()
        return [(m.user_id, m.role, m.until is None) for m in rows]

    assert on_database(database_url, roles) == [(6001, "trainer", False)]
