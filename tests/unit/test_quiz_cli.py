"""`canhgiac quizzes check|import`: exit codes, one-line errors, files written or not."""

from __future__ import annotations

import csv
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
