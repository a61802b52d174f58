"""The trend chart: weekly active members (bars) and quiz pass rate (line), as PNG bytes.

Drawn with matplotlib's Agg canvas on a `Figure` of its own (no pyplot, no global state), so
charts can be drawn from a worker thread.
"""

from __future__ import annotations

import io

from bot.reports.labels import period_text
from bot.reports.model import Trend

WIDTH, HEIGHT, DPI = 10, 5.2, 110
BAR_COLOUR = "#2f6db5"
LINE_COLOUR = "#d9480f"


def trend_png(trend: Trend) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    figure = Figure(figsize=(WIDTH, HEIGHT), dpi=DPI)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    points = trend.points
    positions = list(range(len(points)))
    labels = [f"{p.week_start:%d/%m}" for p in points]
    axes.bar(positions, [p.active for p in points], color=BAR_COLOUR, label="Thành viên hoạt động")
    axes.set_ylabel("Thành viên hoạt động trong tuần")
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_ylim(bottom=0)
    step = max(1, len(points) // 13)
    axes.set_xticks(positions[::step], labels[::step], rotation=45, ha="right")
    axes.set_xlabel("Tuần bắt đầu từ")
    rate = axes.twinx()
    rates = [p.pass_rate for p in points]
    rate.plot(
        [x for x, r in zip(positions, rates, strict=True) if r is not None],
        [r for r in rates if r is not None],
        color=LINE_COLOUR,
        marker="o",
        linewidth=2,
        label="Tỉ lệ đạt (%)",
    )
    rate.set_ylim(0, 100)
    rate.set_ylabel("Tỉ lệ đạt bài kiểm tra (%)")
    handles = axes.get_legend_handles_labels()[0] + rate.get_legend_handles_labels()[0]
    axes.legend(handles=handles, loc="upper left", fontsize="small")
    figure.suptitle(f"{trend.unit.name} ({trend.unit.code})", fontsize=12)
    axes.set_title(period_text(trend.period), fontsize=9)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
