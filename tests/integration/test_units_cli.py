"""The admin commands end to end: units, grant/revoke, invite, demo seed, stats report."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from bot.cli.app import app

CSV = "code,name,kind,parent_code\nLOP-1,Lớp 1,class,TRUONG\nTRUONG,Trường,school,\nX,,agency,\n"


@pytest.fixture
def cli(database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> CliRunner:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.delenv("BOT_TOKEN", raising=False)
    monkeypatch.chdir(tmp_path)
    return CliRunner()


def test_units_grants_and_invites(cli: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "units.csv").write_text(CSV, encoding="utf-8")
    first = cli.invoke(app, ["units", "import", "units.csv"])
    assert first.exit_code == 1, first.output
    assert "2 created" in first.stdout and "line 4 (X): name is empty" in first.stderr
    assert (
        "0 created, 0 updated, 2 unchanged"
        in cli.invoke(app, ["units", "import", "units.csv"]).stdout
    )
    tree = cli.invoke(app, ["units", "list"])
    assert tree.exit_code == 0 and "TRUONG" in tree.stdout and "LOP-1" in tree.stdout

    granted = cli.invoke(app, ["grant", "4242", "--unit", "truong", "--role", "officer"])
    assert granted.exit_code == 0 and "now officer" in granted.stdout
    assert cli.invoke(app, ["grant", "4242", "--unit", "NOPE", "--role", "officer"]).exit_code == 2
    assert cli.invoke(app, ["grant", "4242", "--unit", "TRUONG", "--role", "admin"]).exit_code == 2
    revoked = cli.invoke(app, ["revoke", "4242", "--unit", "TRUONG"])
    assert revoked.exit_code == 0 and "officer" in revoked.stdout

    no_name = cli.invoke(app, ["invite", "create", "--unit", "LOP-1"])
    assert no_name.exit_code == 0 and "Note: no link or QR code" in no_name.stdout
    made = cli.invoke(
        app,
        [
            "invite",
            "create",
            "--unit",
            "lop-1",
            "--role",
            "trainer",
            "--uses",
            "5",
            "--expires",
            "31/12/2030",
            "--bot-username",
            "@canhgiac_bot",
        ],
    )
    assert made.exit_code == 0, made.output
    link = next(line for line in made.stdout.splitlines() if line.startswith("https://"))
    code = link.rsplit("=", 1)[1]
    assert link == f"https://t.me/canhgiac_bot?start={code}"
    assert (tmp_path / f"invite-{code}.png").read_bytes().startswith(b"\x89PNG")


def test_demo_seed_and_report(cli: CliRunner, tmp_path: Path) -> None:
    seeded = cli.invoke(
        app, ["demo", "seed", "--units", "14", "--users", "120", "--events", "3000", "--root", "T"]
    )
    assert seeded.exit_code == 0, seeded.output
    assert "120 people" in seeded.stdout and "3000 events" in seeded.stdout
    again = cli.invoke(app, ["demo", "seed", "--root", "T", "--users", "5", "--events", "10"])
    assert again.exit_code == 2 and "already been seeded" in again.stderr

    report = cli.invoke(
        app, ["stats", "report", "--unit", "T", "--period", "lastyear", "-o", "t.xlsx"]
    )
    assert report.exit_code == 0, report.output
    book = load_workbook(io.BytesIO((tmp_path / "t.xlsx").read_bytes()))
    summary = list(book["Tổng hợp"].iter_rows(values_only=True))
    assert summary[1][0] == "T" and summary[1][3] == 120
    as_json = cli.invoke(
        app,
        [
            "stats",
            "report",
            "--unit",
            "T",
            "--from",
            "01/01/2020",
            "--to",
            "31/12/2022",
            "--format",
            "json",
            "-o",
            "t.json",
        ],
    )
    assert as_json.exit_code == 0, as_json.output
    document = json.loads((tmp_path / "t.json").read_text(encoding="utf-8"))
    assert document["total"]["figures"]["members"] == 0  # before anyone joined
    bad = cli.invoke(
        app,
        [
            "stats",
            "report",
            "--unit",
            "T",
            "--from",
            "31/02/2026",
            "--to",
            "01/03/2026",
            "-o",
            "x.csv",
        ],
    )
    assert bad.exit_code == 2 and "no such day" in bad.stderr
    assert "ledger rows folded" in cli.invoke(app, ["stats", "rebuild"]).stdout
