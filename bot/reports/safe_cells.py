"""Spreadsheet cells that stay data: every export (XLSX and CSV) writes its values through here.

Excel, LibreOffice and Google Sheets run a text that starts with `=`, `+`, `-` or `@` (some after
stripping a leading tab or carriage return) as a formula when a CSV is opened or a cell is
edited; a Telegram name or a unit name is enough to plant one. Such a text gets a leading `'`
(OWASP's advice for CSV injection), and in XLSX every text is written as a string cell, never a
formula. Numbers, dates and empty cells stay as they are.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from openpyxl.cell import WriteOnlyCell
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_text(text: str) -> str:
    """The text, with a leading `'` when a spreadsheet would read it as a formula."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def safe_value(value: Any) -> Any:
    return safe_text(value) if isinstance(value, str) else value


def csv_row(values: Iterable[Any]) -> list[Any]:
    """A CSV row: None as an empty field, texts made safe."""
    return ["" if value is None else safe_value(value) for value in values]


def xlsx_cell(sheet: WriteOnlyWorksheet, value: Any) -> WriteOnlyCell:
    """A write-only cell; a text is a string cell whatever it starts with."""
    cell = WriteOnlyCell(sheet, value=safe_value(value))
    if isinstance(value, str):
        cell.data_type = "s"
    return cell


def xlsx_row(sheet: WriteOnlyWorksheet, values: Iterable[Any]) -> list[WriteOnlyCell]:
    return [xlsx_cell(sheet, value) for value in values]
