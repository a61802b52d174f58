"""Report files from real figures: XLSX layout, CSV, JSON and the trend chart."""

from __future__ import annotations

import io
import json

from openpyxl import load_workbook
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.reports.chart import trend_png
from bot.reports.tables import to_csv, to_json
from bot.reports.xlsx import to_xlsx
from bot.services import stats
from tests.integration.test_stats import ADMIN, CONFIG, PERIOD, _fill, _org


async def test_spreadsheet_layout(session: AsyncSession) -> None:
    org = await _org(session)
    await _fill(session, org)
    assert org.root.id is not None
    data = await stats.export(
        session, access=ADMIN, unit_id=org.root.id, period=PERIOD, config=CONFIG
    )
    book = load_workbook(io.BytesIO(to_xlsx(data)))
    assert book.sheetnames[0] == "Tổng hợp" and book.sheetnames[-1] == "Ghi chú"
    assert {"Thành viên", "Hoạt động", "Tỉ lệ đạt", "SO-GD-P1", "SO-GD-P2"} <= set(book.sheetnames)
    for sheet in book.worksheets[:-1]:
        assert sheet.freeze_panes == "A2", sheet.title
        assert sheet.column_dimensions["A"].width and sheet.column_dimensions["B"].width
    summary = list(book["Tổng hợp"].iter_rows(values_only=True))
    assert summary[0][:4] == ("Mã đơn vị", "Tên đơn vị", "Loại", "Thành viên")
    assert [row[0] for row in summary[1:]] == ["SO-GD", "SO-GD-P1", "SO-GD-P2"]
    weekly = list(book["Hoạt động"].iter_rows(values_only=True))
    assert weekly[0][-1] == "Cả kỳ" and weekly[1][-1] == 3
    p1 = [row for row in book["SO-GD-P1"].iter_rows(values_only=True) if row[0]]
    assert "Họ và tên" in [row[0] for row in p1] and "An Nguyễn Văn" in [row[0] for row in p1]
    notes = " ".join(str(row[0]) for row in book["Ghi chú"].iter_rows(values_only=True) if row[0])
    assert "124/2021/TT-BCA" in notes and "đạt / chưa đạt" in notes


async def test_csv_json_and_chart(session: AsyncSession) -> None:
    org = await _org(session)
    await _fill(session, org)
    assert org.root.id is not None
    data = await stats.export(
        session, access=ADMIN, unit_id=org.root.id, period=PERIOD, config=CONFIG
    )
    lines = to_csv(data.report).decode("utf-8-sig").splitlines()
    assert lines[0].startswith("Mã đơn vị,Tên đơn vị") and lines[1].startswith("SO-GD,")
    document = json.loads(to_json(data))
    assert document["total"]["figures"]["quiz_finished"] == 3
    assert document["child_units"][0]["people"][0]["name"]
    trend = await stats.trend(
        session, access=ADMIN, unit_id=org.root.id, period=PERIOD, config=CONFIG
    )
    assert trend_png(trend).startswith(b"\x89PNG\r\n\x1a\n")
