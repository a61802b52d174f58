"""`canhgiac content check|search|show`: output, exit codes, one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli.content import app

CONTENT = Path(__file__).resolve().parents[2] / "content"
runner = CliRunner()


@pytest.fixture(autouse=True)
def _defaults(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)  # keep a developer's .env out of the test
    monkeypatch.setenv("CONTENT_DIR", str(CONTENT))


def test_check_passes_on_the_real_content() -> None:
    result = runner.invoke(app, ["check"])
    assert result.exit_code == 0, result.output
    assert "42 explainers (vi: 21, en: 21)" in result.output
    assert result.output.strip().endswith("no problems.")


def test_check_lists_problems_and_fails(tmp_path: Path) -> None:
    folder = tmp_path / "content" / "vi"
    folder.mkdir(parents=True)
    (folder / "hong.md").write_text("---\nid: hong\n---\n## Tiêu đề\n\nChữ.\n", encoding="utf-8")
    result = runner.invoke(app, ["check", "--dir", str(tmp_path / "content")])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert "content/vi/hong.md:3: missing field 'title'" in lines
    assert lines[-1] == f"{len(lines) - 1} problem(s) in 1 file(s)."


def test_missing_folder_is_one_line_and_exit_2(tmp_path: Path) -> None:
    result = runner.invoke(app, ["check", "--dir", str(tmp_path / "nope")])
    assert result.exit_code == 2
    assert result.output.strip() == f"Error: no content folder at {tmp_path / 'nope'}"
    assert "Traceback" not in result.output


def test_search_prints_a_ranked_table() -> None:
    result = runner.invoke(app, ["search", "chi thi 48", "--limit", "3"])
    assert result.exit_code == 0, result.output
    assert "ct-48-tw" in result.output and "48-CT/TW" in result.output
    assert result.output.index("ct-48-tw") < result.output.index("chi-thi-07")


def test_search_as_json() -> None:
    result = runner.invoke(app, ["search", "circular 124", "--lang", "en", "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert rows[0]["id"] == "tt-124-2021" and rows[0]["lang"] == "en"
    assert rows[0]["rank"] == 1 and rows[0]["document"] == "124/2021/TT-BCA"
    assert set(rows[0]) == {
        "rank",
        "id",
        "lang",
        "document",
        "title",
        "score",
        "section_index",
        "section_title",
        "snippet",
    }


def test_search_with_no_result() -> None:
    result = runner.invoke(app, ["search", "xyzzy"])
    assert result.exit_code == 0
    assert "Nothing found" in result.output
    assert json.loads(runner.invoke(app, ["search", "xyzzy", "--json"]).output) == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["search", "   "], "Error: the query is empty"),
        (["search", "x", "--lang", "fr"], "Error: unknown language 'fr' (known: vi, en)"),
        (["search", "x", "--limit", "0"], "Error: --limit must be between 1 and 50"),
        (["show", "khong-co"], "Error: no explainer 'khong-co'"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args: list[str], message: str) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert result.output.strip() == message


def test_show_prints_the_messages() -> None:
    result = runner.invoke(app, ["show", "so-dien-thoai-khan-cap"])
    assert result.exit_code == 0, result.output
    assert "<b>Năm số cần nhớ</b>" in result.output
    assert "--- section 1, message 1/1" in result.output
