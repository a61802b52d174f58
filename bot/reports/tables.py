"""Report rows as cells, and the CSV and JSON files.

The CSV holds the unit table (the unit, then each child unit), UTF-8 with a byte-order mark so
that Excel shows Vietnamese correctly. The JSON holds everything, people included when the
export lists them.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.reports import labels as vi
from bot.reports.model import ExportData, Figures, PersonRow, UnitReport, UnitRow
from bot.reports.safe_cells import csv_row

Cell = str | int | float | None


def _share(part: float | None) -> float | None:
    return None if part is None else round(100 * part, 1)


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


@dataclass(frozen=True)
class Column:
    header: str
    width: int
    value: Callable[[UnitRow], Cell]
    percent: bool = False


def _card(pick: Callable[[Any], float | None]) -> Callable[[UnitRow], Cell]:
    def value(row: UnitRow) -> Cell:
        card = row.figures.scorecard
        return None if card is None else pick(card)

    return value


UNIT_COLUMNS: tuple[Column, ...] = (
    Column(vi.UNIT, 16, lambda r: r.unit.code),
    Column(vi.UNIT_NAME, 38, lambda r: r.unit.name),
    Column(vi.KIND, 15, lambda r: vi.KINDS.get(r.unit.kind, r.unit.kind)),
    Column(vi.MEMBERS, 12, lambda r: r.figures.members),
    Column(vi.ACTIVE, 14, lambda r: r.figures.active),
    Column(vi.READS, 12, lambda r: r.figures.lesson_reads),
    Column(vi.QUIZ_STARTED, 14, lambda r: r.figures.quiz_started),
    Column(vi.QUIZ_FINISHED, 14, lambda r: r.figures.quiz_finished),
    Column(vi.QUIZ_PASSED, 10, lambda r: r.figures.quiz_passed),
    Column(vi.PASS_RATE, 12, lambda r: _round(r.figures.pass_rate), True),
    Column(vi.AVERAGE, 14, lambda r: _round(r.figures.average_score), True),
    Column(vi.REMINDERS, 14, lambda r: r.figures.reminder_acks),
    Column(vi.BROADCASTS, 14, lambda r: r.figures.broadcast_acks),
    Column(vi.ENROLLED_SHARE, 14, _card(lambda c: _share(c.enrolled_share)), True),
    Column(vi.READ_SHARE, 16, _card(lambda c: _share(c.read_share)), True),
    Column(vi.PASSED_SHARE, 16, _card(lambda c: _share(c.passed_share)), True),
    Column(vi.ACKNOWLEDGED_SHARE, 16, _card(lambda c: _share(c.acknowledged_share)), True),
    Column(vi.SCORE, 12, _card(lambda c: c.score), True),
    Column(vi.TIER, 10, _card(lambda c: c.tier)),
)


@dataclass(frozen=True)
class Metric:
    """One figure followed over time, for a sheet of its own."""

    sheet: str
    value: Callable[[Figures], Cell]
    percent: bool = False


def _score(figures: Figures) -> Cell:
    return None if figures.scorecard is None else figures.scorecard.score


METRICS: tuple[Metric, ...] = (
    Metric("Thành viên", lambda f: f.members),
    Metric("Hoạt động", lambda f: f.active),
    Metric("Đọc bài", lambda f: f.lesson_reads),
    Metric("Hoàn thành kiểm tra", lambda f: f.quiz_finished),
    Metric("Tỉ lệ đạt", lambda f: _round(f.pass_rate), True),
    Metric("Điểm trung bình", lambda f: _round(f.average_score), True),
    Metric("Xác nhận nhắc nhở", lambda f: f.reminder_acks),
    Metric("Xác nhận thông báo", lambda f: f.broadcast_acks),
    Metric("Điểm tham gia", _score, True),
)

PERSON_HEADERS: tuple[tuple[str, int], ...] = (
    (vi.PERSON, 28),
    (vi.USERNAME, 18),
    (vi.UNITS, 24),
    (vi.ROLES, 16),
    (vi.ACTIVE_DAYS, 12),
    (vi.READS, 12),
    (vi.QUIZ_FINISHED, 14),
    (vi.QUIZ_PASSED, 10),
    (vi.AVERAGE, 14),
    (vi.REMINDERS, 14),
    (vi.BROADCASTS, 14),
)


def unit_cells(row: UnitRow) -> list[Cell]:
    return [column.value(row) for column in UNIT_COLUMNS]


def person_cells(person: PersonRow) -> list[Cell]:
    roles = ", ".join(vi.ROLES_VI.get(r.strip(), r.strip()) for r in person.roles.split(","))
    return [
        person.name if person.consented else vi.WITHDRAWN,
        # Without the "@": a text starting with it would be escaped as a would-be formula.
        person.username or None,
        person.units,
        roles,
        person.active_days,
        person.lesson_reads,
        person.quiz_finished,
        person.quiz_passed,
        _round(person.average_score),
        person.reminder_acks,
        person.broadcast_acks,
    ]


def unit_rows(report: UnitReport) -> list[UnitRow]:
    return [report.total, *report.children]


def to_csv(report: UnitReport) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(csv_row(column.header for column in UNIT_COLUMNS))
    for row in unit_rows(report):
        writer.writerow(csv_row(unit_cells(row)))
    return buffer.getvalue().encode("utf-8-sig")


def _figures_json(figures: Figures) -> dict[str, Any]:
    card = figures.scorecard
    return {
        "members": figures.members,
        "active": figures.active,
        "lesson_reads": figures.lesson_reads,
        "quiz_started": figures.quiz_started,
        "quiz_finished": figures.quiz_finished,
        "quiz_passed": figures.quiz_passed,
        "pass_rate": _round(figures.pass_rate),
        "average_score": _round(figures.average_score),
        "reminder_acks": figures.reminder_acks,
        "broadcast_acks": figures.broadcast_acks,
        "scorecard": None
        if card is None
        else {
            "enrolled": card.counts.enrolled,
            "read_core": card.counts.read_core,
            "passed_core": card.counts.passed_core,
            "acknowledged": card.counts.acknowledged,
            "score": card.score,
            "tier": card.tier,
        },
    }


def _unit_json(row: UnitRow, buckets: list[dict[str, str]]) -> dict[str, Any]:
    return {
        "code": row.unit.code,
        "name": row.unit.name,
        "kind": row.unit.kind,
        "figures": _figures_json(row.figures),
        "by_bucket": [
            {**bucket, **_figures_json(figures)}
            for bucket, figures in zip(buckets, row.by_bucket, strict=False)
        ],
    }


def to_json(data: ExportData) -> bytes:
    report = data.report
    buckets = [{"from": b.start.isoformat(), "to": b.end.isoformat()} for b in report.buckets]
    document: dict[str, Any] = {
        "unit": {"code": report.unit.code, "name": report.unit.name, "kind": report.unit.kind},
        "period": {"from": report.period.start.isoformat(), "to": report.period.end.isoformat()},
        "generated_at": report.generated_at.isoformat(),
        "note": vi.SCORECARD_NOTE,
        "thresholds": list(data.thresholds),
        "total": _unit_json(report.total, buckets),
        "children": [_unit_json(row, buckets) for row in report.children],
        "child_units": [
            {
                "code": sheet.unit.code,
                "children": [_unit_json(row, []) for row in sheet.rows],
                "people": None
                if sheet.people is None
                else [
                    dict(
                        zip(
                            (
                                "name",
                                "username",
                                "units",
                                "roles",
                                "active_days",
                                "lesson_reads",
                                "quiz_finished",
                                "quiz_passed",
                                "average_score",
                                "reminder_acks",
                                "broadcast_acks",
                            ),
                            person_cells(p),
                            strict=True,
                        )
                    )
                    for p in sheet.people
                ],
            }
            for sheet in data.sheets
        ],
    }
    return json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8")
