"""`canhgiac quizzes check|import`: exit codes, one-line errors, files written or not."""

from __future__ import annotations

import csv
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli.quizzes import app
from bot.domain.quiz import load_banks
from bot.domain.quiz_import import COLUMNS

ROOT = Path(__file__).resolve().parents[2]
runner = CliRunner()

ROW = {
    "id": "cli-1",
    "text": "Số nào để báo cháy?",
    "option_1": "113",
    "option_2": "114",
    "correct": "2",
    "explanation": "Gọi 114.",
    "difficulty": "easy",
    "source": "P55",
    "learn_more": "so-dien-thoai-khan-cap",
}


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project folder with explainers and an empty quiz folder, set as the defaults."""
    monkeypatch.chdir(tmp_path)  # keep a developer's .env out of the test
    (tmp_path / "content" / "vi").mkdir(parents=True)
    (tmp_path / "content" / "vi" / "so.md").write_text(
        "---\nid: so-dien-thoai-khan-cap\n---\n", encoding="utf-8"
    )
    (tmp_path / "quizzes").mkdir()
    monkeypatch.setenv("QUIZZES_DIR", str(tmp_path / "quizzes"))
    monkeypatch.setenv("CONTENT_DIR", str(tmp_path / "content"))
    return tmp_path


def table(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(COLUMNS))
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_import_then_check(project: Path) -> None:
    source = table(project / "bang.csv", [ROW, dict(ROW, id="cli-2", text="Số 114 để làm gì?")])
    result = runner.invoke(app, ["import", str(source), "--bank", "cli", "--title", "Thử"])
    assert result.exit_code == 0, result.output
    assert "2 questions" in result.output
    assert load_banks(project / "quizzes")["cli"].title == "Thử"

    again = runner.invoke(app, ["import", str(source), "--bank", "cli", "--title", "Thử"])
    assert again.exit_code == 2 and "--replace" in again.output
    replaced = runner.invoke(
        app, ["import", str(source), "--bank", "cli", "--title", "Mới", "--replace"]
    )
    assert replaced.exit_code == 0, replaced.output

    checked = runner.invoke(app, ["check"])
    assert checked.exit_code == 0, checked.output
    assert "1 bank, 2 questions: no problems." in checked.output


def test_a_bad_table_writes_nothing_and_exits_2(project: Path) -> None:
    source = table(project / "bang.csv", [dict(ROW, correct="5")])
    result = runner.invoke(app, ["import", str(source), "--bank", "cli", "--title", "Thử"])
    assert result.exit_code == 2
    assert f"{source}:2: 'correct' 5 is out of range" in result.output
    assert "nothing was written" in result.output
    assert "Traceback" not in result.output
    assert not (project / "quizzes" / "cli.yaml").exists()


def test_check_reports_file_and_line_and_exits_1(project: Path) -> None:
    (project / "quizzes" / "hong.yaml").write_text("id: hong\ntitle: [\n", encoding="utf-8")
    result = runner.invoke(app, ["check"])
    assert result.exit_code == 1
    assert f"{project / 'quizzes' / 'hong.yaml'}:" in result.output
    assert "1 problem in 1 file." in result.output


def test_bad_input_is_one_line_and_exit_2(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    missing = runner.invoke(app, ["check", "--dir", str(project / "nowhere")])
    assert missing.exit_code == 2
    assert missing.output.strip().splitlines() == [
        f"Error: no quiz folder at {project / 'nowhere'}"
    ]
    no_file = runner.invoke(app, ["import", "khong-co.csv", "--bank", "x", "--title", "T"])
    assert no_file.exit_code == 2 and no_file.output.startswith("Error: no such file")
    monkeypatch.setenv("BOT_TIMEZONE", "Sao/Hoa")
    broken_settings = runner.invoke(app, ["check"])
    assert broken_settings.exit_code == 2
    assert broken_settings.output.startswith("Error: BOT_TIMEZONE is invalid")


def test_the_real_banks_pass(project: Path) -> None:
    content = ROOT / "content"
    if not any((content / "vi").glob("*.md")):
        pytest.skip("the explainers are not written yet")
    result = runner.invoke(
        app, ["check", "--dir", str(ROOT / "quizzes"), "--content-dir", str(content)]
    )
    assert result.exit_code == 0, result.output


MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml"


def xlsx_parts(shared_strings: str, sheet: str) -> dict[str, str]:
    """The parts of a small workbook, written by hand so that any part can be spoiled."""
    return {
        "[Content_Types].xml": (
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" '
            'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{XLSX_TYPE}.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" '
            f'ContentType="{XLSX_TYPE}.worksheet+xml"/>'
            '<Override PartName="/xl/sharedStrings.xml" '
            f'ContentType="{XLSX_TYPE}.sharedStrings+xml"/></Types>'
        ),
        "_rels/.rels": (
            f'<Relationships xmlns="{PACKAGE_REL_NS}"><Relationship Id="rId1" '
            f'Type="{REL_NS}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
        ),
        "xl/workbook.xml": (
            f'<workbook xmlns="{MAIN_NS}" xmlns:r="{REL_NS}"><sheets>'
            '<sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
        ),
        "xl/_rels/workbook.xml.rels": (
            f'<Relationships xmlns="{PACKAGE_REL_NS}">'
            f'<Relationship Id="rId1" Type="{REL_NS}/worksheet" Target="worksheets/sheet1.xml"/>'
            f'<Relationship Id="rId2" Type="{REL_NS}/sharedStrings" Target="sharedStrings.xml"/>'
            "</Relationships>"
        ),
        "xl/worksheets/sheet1.xml": sheet,
        "xl/sharedStrings.xml": shared_strings,
    }


SHEET = (
    f'<worksheet xmlns="{MAIN_NS}"><sheetData>'
    '<row r="1"><c r="A1" t="s"><v>0</v></c></row></sheetData></worksheet>'
)
STRINGS = f'<sst xmlns="{MAIN_NS}" count="1" uniqueCount="1"><si><t>id</t></si></sst>'
# "Billion laughs": each entity is ten of the one before; lol8 alone is 300 MB of text.
ENTITIES = '<!ENTITY lol0 "lol">' + "".join(
    f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">' for n in range(1, 9)
)
BOMB = (
    f'<?xml version="1.0"?><!DOCTYPE sst [{ENTITIES}]>'
    f'<sst xmlns="{MAIN_NS}" count="1" uniqueCount="1"><si><t>&lol8;</t></si></sst>'
)


def write_parts(path: Path, parts: dict[str, str]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
    return path


def unreadable_files(folder: Path) -> dict[str, Path]:
    parts = xlsx_parts(STRINGS, SHEET)
    files = {
        "entity bomb": write_parts(folder / "bomb.xlsx", xlsx_parts(BOMB, SHEET)),
        "not a zip": folder / "random.xlsx",
        "empty": folder / "empty.xlsx",
        "no workbook": write_parts(
            folder / "no-book.xlsx", {k: v for k, v in parts.items() if k != "xl/workbook.xml"}
        ),
        "cut-off sheet": write_parts(
            folder / "cut.xlsx", {**parts, "xl/worksheets/sheet1.xml": SHEET[:60]}
        ),
        "text in a number cell": write_parts(
            folder / "number.xlsx",
            {**parts, "xl/worksheets/sheet1.xml": SHEET.replace('t="s"><v>0', "><v>abc")},
        ),
        "shared string out of range": write_parts(
            folder / "index.xlsx",
            {**parts, "xl/worksheets/sheet1.xml": SHEET.replace("<v>0", "<v>7")},
        ),
        "csv with a runaway quote": folder / "quote.csv",
        "csv in UTF-16": folder / "utf16.csv",
    }
    files["not a zip"].write_bytes(b"\x00\x01garbage" * 50)
    files["empty"].write_bytes(b"")
    # An opening quote never closed: the field runs past the csv module's size limit.
    files["csv with a runaway quote"].write_bytes(b'id,text\nq,"' + b"x" * 200_000 + b"\n")
    files["csv in UTF-16"].write_bytes("id,text\nq,Câu hỏi\n".encode("utf-16"))
    return files


def test_unreadable_tables_are_one_line(project: Path) -> None:
    # Sanity: the hand-made workbook is readable when nothing is spoiled.
    good = write_parts(project / "good.xlsx", xlsx_parts(STRINGS, SHEET))
    result = runner.invoke(app, ["import", str(good), "--bank", "b", "--title", "T"])
    assert "missing column(s)" in result.output
    for case, path in unreadable_files(project).items():
        result = runner.invoke(app, ["import", str(path), "--bank", "b", "--title", "T"])
        assert result.exit_code == 2, (case, result.output)
        assert "Traceback" not in result.output, (case, result.output)
        lines = result.output.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(f"Error: cannot read {path}: "), (
            case,
            result.output,
        )
        assert not (project / "quizzes" / "b.yaml").exists()


def test_the_entity_bomb_is_refused_by_defusedxml(project: Path) -> None:
    from openpyxl import DEFUSEDXML

    assert DEFUSEDXML  # openpyxl parses through defusedxml: entity declarations are refused
    path = write_parts(project / "bomb.xlsx", xlsx_parts(BOMB, SHEET))
    result = runner.invoke(app, ["import", str(path), "--bank", "b", "--title", "T"])
    assert "XML entities" in result.output
