"""One tone-mark style (classic: "hóa, khóa, ủy") in content, quizzes and the vi catalog."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli.app import app
from bot.domain.text import classic_tones, modern_tone_words
from bot.domain.tone_style import fixed, spots_in, tone_files
from bot.telegram.catalogs import po_path

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("modern", "classic"),
    [
        ("hoá", "hóa"),
        ("Khoá học", "Khóa học"),
        ("xoá, huỷ", "xóa, hủy"),
        ("Uỷ ban nhân dân", "Ủy ban nhân dân"),
        ("HOÀ BÌNH", "HÒA BÌNH"),
        ("tuỳ chọn", "tùy chọn"),
        ("Thuỵ Sĩ", "Thụy Sĩ"),
        ("toà án, khoẻ, oà khóc", "tòa án, khỏe, òa khóc"),
    ],
)
def test_modern_placement_becomes_classic(modern: str, classic: str) -> None:
    assert classic_tones(modern) == classic
    assert modern_tone_words(modern)
    assert classic_tones(classic) == classic and modern_tone_words(classic) == []


@pytest.mark.parametrize("word", ["quý", "quỳnh", "hoàn", "toàn", "khuỷu", "hoạt", "thuế", "xoáy"])
def test_words_both_styles_write_alike_are_left_alone(word: str) -> None:
    assert classic_tones(word) == word
    assert modern_tone_words(word) == []


def test_decomposed_text_is_found_and_fixed() -> None:
    decomposed = unicodedata.normalize("NFD", "Đã xoá")
    assert modern_tone_words(decomposed) == ["xoá"]
    assert classic_tones(decomposed) == "Đã xóa"


def test_a_catalog_keeps_its_msgids(tmp_path: Path) -> None:
    catalog = tmp_path / "messages.po"
    text = 'msgid "Delete (xoá)"\nmsgstr ""\n"Xoá "\n"tuỳ ý"\n\nmsgid "x"\nmsgstr "Huỷ"\n'
    assert [spot.word for spot in spots_in(catalog, text)] == ["Xoá", "tuỳ", "Huỷ"]
    assert fixed(catalog, text) == (
        'msgid "Delete (xoá)"\nmsgstr ""\n"Xóa "\n"tùy ý"\n\nmsgid "x"\nmsgstr "Hủy"\n'
    )


def test_content_quizzes_and_the_vietnamese_catalog_use_the_classic_style() -> None:
    files = tone_files(ROOT / "content", ROOT / "quizzes", po_path("vi"))
    assert po_path("vi") in files and any(path.suffix == ".md" for path in files)
    assert any(path.parent.name == "quizzes" for path in files)
    spots = [str(spot) for path in files for spot in spots_in(path, path.read_text("utf-8"))]
    assert spots == [], "run `canhgiac i18n tone --fix`"


def test_the_command_reports_then_fixes(tmp_path: Path) -> None:
    content, quizzes = tmp_path / "content", tmp_path / "quizzes"
    (content / "vi").mkdir(parents=True)
    quizzes.mkdir()
    page = content / "vi" / "x.md"
    page.write_text("Ủy ban và uỷ ban\n", encoding="utf-8")
    bank = quizzes / "b.yaml"
    bank.write_text("text: Văn hoá\n", encoding="utf-8")
    catalog = tmp_path / "messages.po"
    catalog.write_text('msgid "Cancel"\nmsgstr "Huỷ"\n', encoding="utf-8")
    runner = CliRunner()
    args = ["--content-dir", str(content), "--quizzes-dir", str(quizzes), "--catalog", str(catalog)]
    report = runner.invoke(app, ["i18n", "tone", *args])
    assert report.exit_code == 1 and "'uỷ' → 'ủy'" in report.output
    done = runner.invoke(app, ["i18n", "tone", "--fix", *args])
    assert done.exit_code == 0, done.output
    assert page.read_text("utf-8") == "Ủy ban và ủy ban\n"
    assert bank.read_text("utf-8") == "text: Văn hóa\n"
    assert catalog.read_text("utf-8") == 'msgid "Cancel"\nmsgstr "Hủy"\n'
    assert runner.invoke(app, ["i18n", "tone", *args]).exit_code == 0
