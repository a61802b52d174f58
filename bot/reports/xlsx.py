"""The spreadsheet export: a summary, one sheet per metric over time, one sheet per child unit.

Headers are Vietnamese, the header row is frozen and every column has a width. Written with
openpyxl's write-only mode, which streams rows: tens of thousands of people take seconds. Every
cell goes through `safe_cells`, so names and unit names are always text, never formulas.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Sequence

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from bot.reports import labels as vi
from bot.reports.model import ExportData, UnitRow
from bot.reports.safe_cells import xlsx_cell, xlsx_row
from bot.reports.tables import (
    METRICS,
    PERSON_HEADERS,
    UNIT_COLUMNS,
    Cell,
    person_cells,
    unit_cells,
    unit_rows,
)

HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", start_color="2F6DB5")
HEADER_ALIGNMENT = Alignment(wrap_text=True, vertical="center")
SHEET_NAME_MAX = 31
_BAD_SHEET_CHARACTERS = re.compile(r"[\[\]:*?/\\]")


class _Names:
    """Sheet names: Excel allows 31 characters, no []:*?/\\, unique regardless of case."""

    def __init__(self) -> None:
        self.used: set[str] = set()

    def __call__(self, wanted: str) -> str:
        base = _BAD_SHEET_CHARACTERS.sub("-", wanted).strip("'") or "Sheet"
        name, number = base[:SHEET_NAME_MAX], 2
        while name.casefold() in self.used:
            suffix = f" ({number})"
            name, number = base[: SHEET_NAME_MAX - len(suffix)] + suffix, number + 1
        self.used.add(name.casefold())
        return name


def _sheet(
    book: Workbook, name: str, headers: Sequence[str], widths: Sequence[int]
) -> WriteOnlyWorksheet:
    sheet = book.create_sheet(name)
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    _header(sheet, headers)
    return sheet


def _header(sheet: WriteOnlyWorksheet, headers: Iterable[str]) -> None:
    cells = []
    for text in headers:
        cell = xlsx_cell(sheet, text)
        cell.font, cell.fill, cell.alignment = HEADER_FONT, HEADER_FILL, HEADER_ALIGNMENT
        cells.append(cell)
    sheet.append(cells)


def _percent_cells(
    sheet: WriteOnlyWorksheet, values: Sequence[Cell], percent: Sequence[bool]
) -> list[WriteOnlyCell]:
    cells = []
    for value, is_percent in zip(values, percent, strict=True):
        cell = xlsx_cell(sheet, value)
        if is_percent and value is not None:
            cell.number_format = "0.0"
        cells.append(cell)
    return cells


def _unit_table(sheet: WriteOnlyWorksheet, rows: Iterable[UnitRow]) -> None:
    percent = [column.percent for column in UNIT_COLUMNS]
    for row in rows:
        sheet.append(_percent_cells(sheet, unit_cells(row), percent))


def to_xlsx(data: ExportData) -> bytes:
    report = data.report
    book = Workbook(write_only=True)
    names = _Names()
    headers = [column.header for column in UNIT_COLUMNS]
    widths = [column.width for column in UNIT_COLUMNS]
    summary = _sheet(book, names(vi.SUMMARY_SHEET), headers, widths)
    _unit_table(summary, unit_rows(report))

    bucket_headers = [vi.bucket_text(b) for b in report.buckets]
    for metric in METRICS:
        sheet = _sheet(
            book,
            names(metric.sheet),
            [vi.UNIT, vi.UNIT_NAME, *bucket_headers, vi.WHOLE_PERIOD],
            [16, 38, *[13] * len(bucket_headers), 12],
        )
        for row in unit_rows(report):
            values: list[Cell] = [row.unit.code, row.unit.name]
            values += [metric.value(f) for f in row.by_bucket] + [metric.value(row.figures)]
            flags = [False, False, *[metric.percent] * (len(values) - 2)]
            sheet.append(_percent_cells(sheet, values, flags))

    own_rows = {row.unit.id: row for row in report.children}
    for child in data.sheets:
        if child.unit.id == report.unit.id:  # members of the unit itself, outside every child
            sheet = _sheet(
                book,
                names(vi.OWN_MEMBERS),
                [h for h, _ in PERSON_HEADERS],
                [w for _, w in PERSON_HEADERS],
            )
        else:
            sheet = _sheet(book, names(child.unit.code), headers, widths)
            _unit_table(sheet, child.rows or [own_rows[child.unit.id]])
            if child.people is not None:
                sheet.append([])
                _header(sheet, [h for h, _ in PERSON_HEADERS])
        for person in child.people or []:
            sheet.append(xlsx_row(sheet, person_cells(person)))

    notes = book.create_sheet(names(vi.NOTES_SHEET))
    notes.column_dimensions["A"].width = 110
    for line in (
        f"{report.unit.name} ({report.unit.code})",
        vi.period_text(report.period),
        f"Lập lúc {report.generated_at:%d/%m/%Y %H:%M} (UTC)",
        "",
        vi.SCORECARD_NOTE,
        vi.SCORE_NOTE,
        vi.tiers_note(data.thresholds),
        vi.PEOPLE_NOTE,
        vi.people_omitted_note(data.people_omitted) if data.people_omitted else "",
    ):
        notes.append([xlsx_cell(notes, line)])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
