"""The built-in yearly series for "Ngày hội toàn dân bảo vệ an ninh Tổ quốc" (19/8).

Quyết định 521/QĐ-TTg (13/6/2005) makes 19/8 of each year the festival, the same day as the
traditional day of the People's Public Security. Before it, trainers are offered a ready
series of one-off reminders they can enable per unit: two weeks before (what the day is),
one week before (a quiz on Directive 07), the day before, and the morning of the day.

Pure data and date arithmetic; the texts are translated where they are shown
(`bot.telegram.reminder_views`), keyed by the step's key.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

SERIES = "ngay-hoi-19-8"
FESTIVAL_MONTH, FESTIVAL_DAY = 8, 19
OFFER_DAYS = 30  # the offer opens this many days before the festival
OFFER_AT = time(9, 0)  # local time of the yearly message offering the series to trainers
DECREE = "521/QĐ-TTg"


@dataclass(frozen=True)
class Step:
    key: str
    days_before: int
    at: time
    message_kind: str  # "text" | "explainer" | "quiz" (as `MessageKind`)
    link_ref: str | None = None


STEPS: tuple[Step, ...] = (
    Step("d14", 14, time(8, 0), "explainer", "qd-521-ttg"),
    Step("d7", 7, time(8, 0), "quiz", "chi-thi-07"),
    Step("d1", 1, time(16, 0), "explainer", "chi-thi-07"),
    Step("d0", 0, time(7, 30), "text"),
)


def festival_day(year: int) -> date:
    return date(year, FESTIVAL_MONTH, FESTIVAL_DAY)


def offer_opens(year: int) -> date:
    return festival_day(year) - timedelta(days=OFFER_DAYS)


def offer_year(today: date) -> int | None:
    """The year whose series is on offer on `today` (the month before 19/8), else None."""
    year = today.year
    return year if offer_opens(year) <= today < festival_day(year) else None


def fire_time(step: Step, year: int) -> datetime:
    """The step's naive local date and time in `year`."""
    return datetime.combine(festival_day(year) - timedelta(days=step.days_before), step.at)


def campaign_key(year: int, step: Step) -> str:
    """Stored in `Reminder.campaign`: one reminder per unit, year and step."""
    return f"{SERIES}:{year}:{step.key}"


def parse_campaign_key(key: str | None) -> tuple[int, Step] | None:
    """The year and step of a campaign key, None for anything else."""
    if not key:
        return None
    series, _, rest = key.partition(":")
    year_text, _, step_key = rest.partition(":")
    if series != SERIES or not year_text.isdigit():
        return None
    step = next((s for s in STEPS if s.key == step_key), None)
    return (int(year_text), step) if step else None


def offer_cron() -> str:
    """A cron line for the yearly offer to trainers (local time)."""
    opens = offer_opens(2001)  # the same day every year: 19/8 minus a fixed number of days
    return f"{OFFER_AT.minute} {OFFER_AT.hour} {opens.day} {opens.month} *"
