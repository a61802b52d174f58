"""Importing a bank from CSV and XLSX: round trips, row-numbered problems, nothing half-written."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook

from bot.domain.quiz import QuizFormatError, load_banks, read_bank_file
from bot.domain.quiz_import import COLUMNS, UnreadableTable, bank_to_yaml, import_table

ROWS: list[dict[str, Any]] = [
    {
        "id": "nhap-1",
        "text": "Số điện thoại báo cháy là số nào?",
        "option_1": "113",
        "option_2": "114",
        "option_3": "115",
        "correct": "2",
        "explanation": "Gọi 114 để báo cháy,\ncứu nạn, cứu hộ.",
        "difficulty": "easy",
        "source": "P55",
        "learn_more": "so-dien-thoai-khan-cap",
    },
    {
        "id": "nhap-2",
        "text": "Tên miền nào là của Bộ Công an?",
        "option_1": "bocongan.gov.vn",
        "option_2": "bocongan-gov.vn",
        "option_3": "mps.gov.vn",
        "option_4": "mps-gov.vn",
        "correct": "1;3",
        "explanation": "bocongan.gov.vn và mps.gov.vn.",
        "difficulty": "medium",
        "source": "P51",
        "learn_more": "lua-dao-tin-gia",
    },
]


def write_csv(path: Path, rows: list[dict[str, Any]], delimiter: str = ",") -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(COLUMNS), delimiter=delimiter)
        writer.writeheader()
        writer.writerows(rows)
    return path


def write_xlsx(path: Path, rows: list[dict[str, Any]]) -> Path:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(list(COLUMNS))
    for row in rows:
        values = [row.get(column) for column in COLUMNS]
        # Spreadsheet users type numbers: the importer must take them as they come.
        values = [
            int(value) if isinstance(value, str) and value.isdigit() else value for value in values
        ]
        sheet.append(values)
    workbook.save(path)
    return path


@pytest.fixture
def content(tmp_path: Path) -> Path:
    folder = tmp_path / "content"
    (folder / "vi").mkdir(parents=True)
    for explainer in ("so-dien-thoai-khan-cap", "lua-dao-tin-gia"):
        (folder / "vi" / f"{explainer}.md").write_text(
            f"---\nid: {explainer}\n---\n", encoding="utf-8"
        )
    return folder


@pytest.mark.parametrize("kind", ["csv", "csv;", "xlsx"])
def test_round_trip(tmp_path: Path, content: Path, kind: str) -> None:
    table = tmp_path / f"bang.{kind.rstrip(';')}"
    if kind == "xlsx":
        write_xlsx(table, ROWS)
    else:
        write_csv(table, ROWS, delimiter=";" if kind.endswith(";") else ",")
    quizzes = tmp_path / "quizzes"
    out = quizzes / "nhap.yaml"
    bank = import_table(
        table,
        bank_id="nhap",
        title="Nhập thử",
        quizzes_dir=quizzes,
        content_dir=content,
        out=out,
    )
    assert bank.path == out
    assert bank.questions_per_attempt == 2 and bank.topic == "nhap" and bank.pass_mark == 70
    first, second = bank.questions
    assert first.options == ("113", "114", "115") and first.correct == frozenset({1})
    assert first.explanation == "Gọi 114 để báo cháy,\ncứu nạn, cứu hộ."
    assert second.correct == frozenset({0, 2}) and len(second.options) == 4
    parsed = read_bank_file(out)
    assert parsed.problems == []
    assert parsed.bank is not None and parsed.bank.questions == bank.questions
    assert load_banks(quizzes)["nhap"].questions == bank.questions
    assert bank_to_yaml(parsed.bank) == out.read_text(encoding="utf-8")


BAD_CASES = [
    # (row index to spoil, field, value, words of the message)
    (0, "correct", "4", "out of range: options are 1 to 3"),
    (0, "correct", "hai", "option number (1-based)"),
    (1, "text", "x" * 301, "limit is 300"),
    (1, "explanation", "y" * 201, "limit is 200"),
    (0, "difficulty", "very hard", "easy, medium, hard"),
    (1, "source", "", "'source' is missing"),
    (0, "option_2", "", "option_2 is empty but a later option is filled"),
    (1, "option_1", "z" * 101, "limit is 100"),
    (1, "learn_more", "khong-co", "explainer"),
    (1, "id", "nhap-1", "used twice"),
]


@pytest.mark.parametrize(("index", "field", "value", "words"), BAD_CASES)
@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_bad_rows_name_the_spreadsheet_row_and_write_nothing(
    tmp_path: Path, content: Path, kind: str, index: int, field: str, value: str, words: str
) -> None:
    rows = [dict(row) for row in ROWS]
    rows[index][field] = value
    table = tmp_path / f"bang.{kind}"
    write_xlsx(table, rows) if kind == "xlsx" else write_csv(table, rows)
    out = tmp_path / "quizzes" / "nhap.yaml"
    with pytest.raises(QuizFormatError) as caught:
        import_table(table, bank_id="nhap", title="T", content_dir=content, out=out)
    matching = [problem for problem in caught.value.problems if words in problem.message]
    assert matching, [str(problem) for problem in caught.value.problems]
    assert matching[0].line == index + 2  # the header is row 1
    assert str(matching[0]).startswith(f"{table}:{index + 2}: ")
    assert not out.exists()


def test_clashes_with_existing_banks_are_caught(tmp_path: Path, content: Path) -> None:
    quizzes = tmp_path / "quizzes"
    import_table(
        write_csv(tmp_path / "a.csv", ROWS), bank_id="truoc", title="T", out=quizzes / "truoc.yaml"
    )
    again = [dict(ROWS[0], id="moi-1", text="SỐ ĐIỆN THOẠI  báo cháy là số nào?"), dict(ROWS[1])]
    with pytest.raises(QuizFormatError) as caught:
        import_table(
            write_csv(tmp_path / "b.csv", again),
            bank_id="sau",
            title="T",
            quizzes_dir=quizzes,
            content_dir=content,
            out=quizzes / "sau.yaml",
        )
    found = {(problem.line, problem.message.split(" ")[0]) for problem in caught.value.problems}
    assert found == {(2, "question"), (3, "question")}  # repeated wording, then a reused id
    assert not (quizzes / "sau.yaml").exists()
    # Re-importing over the same file is not a clash with itself.
    import_table(
        write_csv(tmp_path / "c.csv", ROWS),
        bank_id="truoc",
        title="T",
        quizzes_dir=quizzes,
        out=quizzes / "truoc.yaml",
    )


def test_bank_level_and_table_level_problems(tmp_path: Path) -> None:
    table = write_csv(tmp_path / "bang.csv", ROWS)
    with pytest.raises(QuizFormatError, match="pass_mark"):
        import_table(table, bank_id="nhap", title="T", pass_mark=0)
    with pytest.raises(QuizFormatError, match=r"must be named nhap\.yaml"):
        import_table(table, bank_id="nhap", title="T", out=tmp_path / "khac.yaml")
    with pytest.raises(QuizFormatError, match=r"\.csv or \.xlsx"):
        import_table(tmp_path / "bang.txt", bank_id="nhap", title="T")
    header_only = tmp_path / "rong.csv"
    header_only.write_text(",".join(COLUMNS) + "\n", encoding="utf-8")
    with pytest.raises(QuizFormatError, match="no question rows"):
        import_table(header_only, bank_id="nhap", title="T")
    odd = tmp_path / "le.csv"
    odd.write_text("id,text,cau_hoi\n", encoding="utf-8")
    with pytest.raises(QuizFormatError) as caught:
        import_table(odd, bank_id="nhap", title="T")
    assert {problem.line for problem in caught.value.problems} == {1}
    assert "unknown column 'cau_hoi'" in str(caught.value.problems[0])
    not_excel = tmp_path / "hong.xlsx"
    not_excel.write_bytes(b"not a workbook")
    with pytest.raises(UnreadableTable, match=r"not a readable \.xlsx workbook"):
        import_table(not_excel, bank_id="nhap", title="T")


QUOTED = dict(
    ROWS[0],
    text='Ai gọi "Công an"; xưng là cán bộ, thì làm gì?',
    option_1='Làm theo "hướng dẫn"',
    explanation='Gác máy, gọi 113; "không" chuyển tiền.',
)


@pytest.mark.parametrize("delimiter", [";", ","])
def test_excel_quoting_is_read_right(tmp_path: Path, content: Path, delimiter: str) -> None:
    """Excel writes quotes inside a field doubled ("") and quotes fields that hold the
    separator; the header line holds neither, so the dialect must not come from it alone."""
    table = write_csv(tmp_path / "bang.csv", [QUOTED, ROWS[1]], delimiter=delimiter)
    raw = table.read_text(encoding="utf-8-sig")
    assert '""Công an""' in raw and '""hướng dẫn""' in raw
    bank = import_table(table, bank_id="nhap", title="T", content_dir=content)
    first = bank.questions[0]
    assert first.text == QUOTED["text"]
    assert first.options[0] == QUOTED["option_1"]
    assert first.explanation == QUOTED["explanation"]
    assert bank.questions[1].options == (
        "bocongan.gov.vn",
        "bocongan-gov.vn",
        "mps.gov.vn",
        "mps-gov.vn",
    )
